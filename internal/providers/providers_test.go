package providers

import (
	"strings"
	"testing"

	"github.com/postern/postern"
	"github.com/postern/postern/internal/integrations"
)

// TestDescriptors: every provider fills in what the rest of Postern reads.
func TestDescriptors(t *testing.T) {
	seen := map[string]bool{}
	for _, p := range All() {
		t.Run(p.ID, func(t *testing.T) {
			switch {
			case p.ID == "" || p.ID != strings.ToLower(p.ID):
				t.Errorf("ID %q: want a non-empty lower-case id", p.ID)
			case seen[p.ID]:
				t.Errorf("ID %q is registered twice", p.ID)
			case p.Label == "":
				t.Errorf("no Label")
			case p.New == nil:
				t.Errorf("no New")
			case p.Secret.Label == "" || !p.Secret.Required:
				t.Errorf("Secret: got %+v, want a labelled, required field", p.Secret)
			case p.CloudID.Label == "" && p.DefaultHost == "":
				t.Errorf("neither a cloudId field nor a DefaultHost")
			case len(p.Namespaces) == 0 && p.Declared == nil:
				t.Errorf("no attribute namespaces, and none declared by the vendor")
			}
			seen[p.ID] = true
			for _, ns := range p.Namespaces {
				for _, a := range ns.Attrs {
					if a.Doc == "" || a.Kind == postern.KindNone {
						t.Errorf("attribute %s: got kind %v doc %q, want both", a.Name, a.Kind, a.Doc)
					}
				}
			}
		})
	}
	Catalog() // panics on a clash between namespaces
}

func TestLookup(t *testing.T) {
	p, err := Lookup("falcon")
	if err != nil || p.ID != "falcon" || !p.MatchMAC {
		t.Errorf("Lookup(falcon): got %+v, %v; want falcon, matching MACs", p.ID, err)
	}
	_, err = Lookup("nosuch")
	if code, msg := postern.ErrorCode(err), postern.ErrorMessage(err); code != postern.EINVALID || !strings.Contains(msg, `unknown posture integration provider "nosuch" (want one of fleet, kandji`) {
		t.Errorf("Lookup(nosuch): got %s %q, want EINVALID naming the known providers", code, msg)
	}
}

// TestBaseURL covers the vendors' own cloudId rules: Falcon regions and
// Kandji console URLs (the common rule is tested in integrations).
func TestBaseURL(t *testing.T) {
	ok := []struct{ provider, cloudID, want string }{
		{"kandji", "acme.kandji.io", "https://acme.api.kandji.io"},
		{"kandji", "https://acme.kandji.io", "https://acme.api.kandji.io"},
		{"kandji", "https://Acme.Kandji.io/devices/", "https://acme.api.kandji.io"},
		{"kandji", "acme.eu.kandji.io", "https://acme.api.eu.kandji.io"},
		{"kandji", "https://acme.eu.kandji.io", "https://acme.api.eu.kandji.io"},
		{"kandji", "acme.api.kandji.io", "https://acme.api.kandji.io"},
		{"kandji", "https://acme.api.kandji.io/api/v1", "https://acme.api.kandji.io"},
		{"kandji", "acme.api.eu.kandji.io", "https://acme.api.eu.kandji.io"},
		{"kandji", "https://acme.clients.us-1.kandji.io/api/v1/", "https://acme.clients.us-1.kandji.io"},
		{"kandji", "http://127.0.0.1:8080", "http://127.0.0.1:8080"},
		{"falcon", "us-1", "https://api.crowdstrike.com"},
		{"falcon", "us-2", "https://api.us-2.crowdstrike.com"},
		{"falcon", "EU-1", "https://api.eu-1.crowdstrike.com"},
		{"falcon", "us-gov", "https://api.laggar.gcw.crowdstrike.com"},
		{"falcon", "us-gov-1", "https://api.laggar.gcw.crowdstrike.com"},
		{"falcon", "us-gov-2", "https://api.us-gov-2.crowdstrike.mil"},
		{"falcon", "api.us-2.crowdstrike.com", "https://api.us-2.crowdstrike.com"},
		{"fleet", "https://fleet.example.com/api/latest/fleet", "https://fleet.example.com"},
		{"sentinelone", "https://x.sentinelone.net/web/api/v2.1", "https://x.sentinelone.net"},
	}
	for _, tc := range ok {
		t.Run(tc.provider+"/"+tc.cloudID, func(t *testing.T) {
			p, err := Lookup(tc.provider)
			if err != nil {
				t.Fatal(err)
			}
			got, err := integrations.BaseURL(p, tc.cloudID)
			if err != nil || got != tc.want {
				t.Errorf("BaseURL(%s, %q): got %q, %v; want %q", tc.provider, tc.cloudID, got, err, tc.want)
			}
		})
	}
	bad := []struct{ provider, cloudID, msg string }{
		{"falcon", "us-9", `invalid cloudId "us-9" for falcon: want a region (us-1, us-2, us-3, eu-1, us-gov, us-gov-2), an API host name or a full https:// URL`},
		{"fleet", "us-1", `invalid cloudId "us-1" for fleet: want a host name such as api.example.com or a full https:// URL`},
		{"kandji", "http://acme.kandji.io", `invalid cloudId "http://acme.kandji.io" for kandji: http:// is only allowed for loopback addresses; use https://`},
		{"kandji", "https://169.254.169.254", "link-local"},
		{"falcon", "", "cloudId is required for falcon"},
	}
	for _, tc := range bad {
		t.Run("bad/"+tc.provider+"/"+tc.cloudID, func(t *testing.T) {
			p, _ := Lookup(tc.provider)
			got, err := integrations.BaseURL(p, tc.cloudID)
			if postern.ErrorCode(err) != postern.EINVALID || !strings.Contains(postern.ErrorMessage(err), tc.msg) {
				t.Errorf("BaseURL(%s, %q): got %q, %v; want EINVALID containing %q", tc.provider, tc.cloudID, got, err, tc.msg)
			}
		})
	}
}
