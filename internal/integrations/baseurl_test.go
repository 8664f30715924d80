package integrations

import (
	"strings"
	"testing"

	"github.com/postern/postern"
)

// testProvider is a provider under the common rule, cutting the API
// paths vendors' consoles show; the vendors' own rules (Falcon regions,
// Kandji console URLs) are tested in internal/providers.
func testProvider(id string) Provider {
	if id == "" {
		return Provider{}
	}
	p := Provider{ID: id, APIPaths: []string{"/api/v1/fleet", "/api/v1", "/web/api/v2.1"}}
	if id == "x" {
		p.DefaultHost = "api.example.com"
	}
	return p
}

func TestBaseURL(t *testing.T) {
	ok := []struct {
		name, provider, cloudID, want string
	}{
		{"fqdn", "fleet", "fleet.example.com", "https://fleet.example.com"},
		{"fqdn upper case and spaces", "kandji", "  Acme.API.Kandji.io ", "https://acme.api.kandji.io"},
		{"fqdn with port", "fleet", "fleet.example.com:8443", "https://fleet.example.com:8443"},
		{"https url", "sentinelone", "https://usea1-partners.sentinelone.net", "https://usea1-partners.sentinelone.net"},
		{"https url trailing slash", "fleet", "https://fleet.example.com/", "https://fleet.example.com"},
		{"https url with path", "fleet", "https://proxy.example.com/fleet/", "https://proxy.example.com/fleet"},
		{"api path cut", "kandji", "https://acme.clients.us-1.kandji.io/api/v1/", "https://acme.clients.us-1.kandji.io"},
		{"fleet api suffix cut", "fleet", "https://fleet.example.com/api/v1/fleet", "https://fleet.example.com"},
		{"s1 api suffix cut", "sentinelone", "https://x.sentinelone.net/web/api/v2.1", "https://x.sentinelone.net"},
		{"http loopback v4", "fleet", "http://127.0.0.1:8080", "http://127.0.0.1:8080"},
		{"http loopback 127/8", "fleet", "http://127.3.4.5:1", "http://127.3.4.5:1"},
		{"http loopback v6", "kandji", "http://[::1]:9000", "http://[::1]:9000"},
		{"http localhost", "falcon", "http://localhost:9000/", "http://localhost:9000"},
		{"ip address", "fleet", "10.1.2.3", "https://10.1.2.3"},
		{"bare ipv6", "fleet", "2001:db8::1", "https://[2001:db8::1]"},
		{"bare ipv6 with port", "fleet", "[2001:db8::1]:8443", "https://[2001:db8::1]:8443"},
		{"ipv6 url without port", "fleet", "https://[2001:db8::1]/", "https://[2001:db8::1]"},
		{"private ip url", "kandji", "https://10.0.0.1:8443", "https://10.0.0.1:8443"},
		{"https loopback", "fleet", "https://127.0.0.1:8443", "https://127.0.0.1:8443"},
	}
	ok = append(ok, struct{ name, provider, cloudID, want string }{"default host", "x", "", "https://api.example.com"})
	for _, tc := range ok {
		t.Run(tc.name, func(t *testing.T) {
			got, err := BaseURL(testProvider(tc.provider), tc.cloudID)
			if err != nil {
				t.Fatalf("BaseURL(%q, %q): got error %v, want %q", tc.provider, tc.cloudID, err, tc.want)
			}
			if got != tc.want {
				t.Errorf("BaseURL(%q, %q) = %q, want %q", tc.provider, tc.cloudID, got, tc.want)
			}
		})
	}

	bad := []struct {
		name, provider, cloudID, wantInMsg string
	}{
		{"empty", "fleet", "  ", "cloudId is required"},
		{"no provider", "", "fleet.example.com", "provider is required"},
		{"region for fleet", "fleet", "us-1", `"us-1"`},
		{"http remote", "fleet", "http://fleet.example.com", "only allowed for loopback"},
		{"http private ip", "kandji", "http://10.0.0.1:80", "only allowed for loopback"},
		{"ftp", "fleet", "ftp://fleet.example.com", `scheme "ftp"`},
		{"no host", "fleet", "https:///api", "no host"},
		{"user info", "fleet", "https://u:p@fleet.example.com", "credentials"},
		{"query", "fleet", "https://fleet.example.com/?x=1", "query"},
		{"bad host chars", "fleet", "flee t.example.com", `"flee t.example.com"`},
		{"bad port", "fleet", "fleet.example.com:99999", `"fleet.example.com:99999"`},
		{"label dash", "kandji", "-acme.kandji.io", `"-acme.kandji.io"`},
		// Addresses a vendor secret must never be sent to.
		{"metadata v4", "fleet", "169.254.169.254", "link-local"},
		{"metadata v4 https url", "kandji", "https://169.254.169.254/latest", "link-local"},
		{"metadata v4 http url", "kandji", "http://169.254.169.254", "only allowed for loopback"},
		{"link-local v4", "fleet", "https://169.254.1.1:8443", "link-local"},
		{"link-local v6", "fleet", "https://[fe80::1]", "link-local"},
		{"aws metadata v6", "sentinelone", "https://[fd00:ec2::254]", "metadata"},
		{"mapped metadata", "fleet", "https://[::ffff:169.254.169.254]", "link-local"},
		{"nat64 metadata", "fleet", "64:ff9b::a9fe:a9fe", "link-local"},
		{"alibaba metadata", "fleet", "100.100.100.200", "metadata"},
		{"gcp metadata name", "fleet", "metadata.google.internal", "metadata service"},
		{"gcp metadata name url", "falcon", "https://METADATA.google.internal./computeMetadata", "metadata service"},
		{"unspecified", "fleet", "0.0.0.0", "unspecified"},
		{"unspecified v6", "fleet", "https://[::]:443", "unspecified"},
		{"this network", "fleet", "0.1.2.3", "reserved"},
		{"broadcast", "fleet", "255.255.255.255", "reserved"},
		{"multicast", "fleet", "239.1.2.3", "multicast"},
		{"ip with a trailing dot", "fleet", "169.254.169.254.", `"169.254.169.254."`},
		{"hex ip as a name", "fleet", "0xa9.0xfe.0xa9.0xfe", `"0xa9.0xfe.0xa9.0xfe"`},
	}
	for _, tc := range bad {
		t.Run("bad/"+tc.name, func(t *testing.T) {
			got, err := BaseURL(testProvider(tc.provider), tc.cloudID)
			if err == nil {
				t.Fatalf("BaseURL(%q, %q) = %q, want an error", tc.provider, tc.cloudID, got)
			}
			if code := postern.ErrorCode(err); code != postern.EINVALID {
				t.Errorf("error code: got %q, want %q", code, postern.EINVALID)
			}
			if !strings.Contains(err.Error(), tc.wantInMsg) {
				t.Errorf("error %q: want it to contain %q", err, tc.wantInMsg)
			}
		})
	}
}
