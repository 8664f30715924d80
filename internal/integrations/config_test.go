package integrations

import (
	"strings"
	"testing"

	"github.com/postern/postern"
)

func TestConfigCheck(t *testing.T) {
	for _, tc := range []struct {
		name string
		cfg  Config
		want string // "" means valid
	}{
		{"valid", Config{BaseURL: "https://fleet.example.com", Secret: "t"}, ""},
		{"loopback http", Config{BaseURL: "http://127.0.0.1:8080", Secret: "t"}, ""},
		{"no secret", Config{BaseURL: "https://fleet.example.com"}, "fleet: an API token is required"},
		{"no URL", Config{Secret: "t"}, "fleet: the server URL is required"},
		{"no host", Config{BaseURL: "https://", Secret: "t"}, `fleet: invalid server URL "https://"`},
		{"bad scheme", Config{BaseURL: "ftp://fleet.example.com", Secret: "t"}, "invalid server URL"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			err := tc.cfg.Check("fleet", "server URL", "an API token")
			if tc.want == "" {
				if err != nil {
					t.Fatalf("got %v, want nil", err)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tc.want) || postern.ErrorCode(err) != postern.EINVALID {
				t.Errorf("got %v, want EINVALID containing %q", err, tc.want)
			}
		})
	}
	if l := (&Config{}).ProviderLogger("fleet"); l == nil {
		t.Errorf("ProviderLogger with no Logger: got nil, want a discarding logger")
	}
}
