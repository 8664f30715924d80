package feed

import (
	"context"
	"strings"
	"testing"

	"github.com/postern/postern"
	fake "github.com/postern/postern/internal/fakes/feed"
	"github.com/postern/postern/internal/integrations"
)

// newMTLS starts an mTLS feed trusting a fresh CA and returns it with a
// secret (certificate then key) that CA issued.
func newMTLS(t *testing.T) (*fake.Server, string) {
	t.Helper()
	ca, err := fake.NewCA()
	if err != nil {
		t.Fatal(err)
	}
	certPEM, keyPEM, err := ca.ClientCert("postern")
	if err != nil {
		t.Fatal(err)
	}
	srv := fake.NewMTLSServer(ca.Pool())
	t.Cleanup(srv.Close)
	srv.SetSchema(schema)
	srv.SetPageSize(10)
	srv.SetDevices(devices(25))
	return srv, string(certPEM) + string(keyPEM)
}

func TestFetchMTLS(t *testing.T) {
	srv, secret := newMTLS(t)
	c, err := New(integrations.Config{BaseURL: srv.URL(), TenantID: "acme", Secret: secret, HTTP: srv.Client(), Retry: quick})
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	if c.bearer != "" {
		t.Errorf("a certificate secret is also sent as a bearer token")
	}
	recs, err := c.Fetch(context.Background())
	if err != nil || len(recs) != 25 {
		t.Fatalf("Fetch: got %d records, error %v; want 25", len(recs), err)
	}
	if got := recs[0].Attributes["acme:diskEncrypted"]; got != postern.Bool(true) {
		t.Errorf("got acme:diskEncrypted = %v, want true", got)
	}
	// The caller's client is not changed: it has no certificate.
	if resp, err := srv.Client().Get(srv.URL() + "/v1/devices"); err == nil {
		resp.Body.Close()
		t.Errorf("the shared client got %s without a certificate; want a handshake failure", resp.Status)
	}
}

// TestFetchMTLSWrongCert: a certificate the feed does not trust fails the
// listing with an error and no records.
func TestFetchMTLSWrongCert(t *testing.T) {
	srv, _ := newMTLS(t)
	other, err := fake.NewCA()
	if err != nil {
		t.Fatal(err)
	}
	certPEM, keyPEM, err := other.ClientCert("intruder")
	if err != nil {
		t.Fatal(err)
	}
	c, err := New(integrations.Config{BaseURL: srv.URL(), TenantID: "acme", Secret: string(certPEM) + string(keyPEM), HTTP: srv.Client(), Retry: quick})
	if err != nil {
		t.Fatal(err)
	}
	recs, err := c.Fetch(context.Background())
	if err == nil || recs != nil {
		t.Fatalf("got %d records, error %v; want an error and no records", len(recs), err)
	}
	if strings.Contains(err.Error(), "PRIVATE KEY") {
		t.Errorf("error %q holds the key", err)
	}
}

func TestNewMTLSKeyOnly(t *testing.T) {
	ca, err := fake.NewCA()
	if err != nil {
		t.Fatal(err)
	}
	certPEM, keyPEM, err := ca.ClientCert("postern")
	if err != nil {
		t.Fatal(err)
	}
	for name, secret := range map[string]string{"certificate only": string(certPEM), "key only": string(keyPEM)} {
		_, err := New(integrations.Config{BaseURL: "https://feed.example.com", TenantID: "acme", Secret: secret})
		if postern.ErrorCode(err) != postern.EINVALID || strings.Contains(err.Error(), "PRIVATE KEY-----") {
			t.Errorf("%s: got %v, want an EINVALID error without the key", name, err)
		}
	}
}

// TestNewMTLSWithoutLineBreaks: a certificate and key pasted into the
// console's password field lose their line breaks; they still work.
func TestNewMTLSWithoutLineBreaks(t *testing.T) {
	srv, secret := newMTLS(t)
	flat := strings.NewReplacer("\r", "", "\n", "").Replace(secret)
	c, err := New(integrations.Config{BaseURL: srv.URL(), TenantID: "acme", Secret: flat, HTTP: srv.Client(), Retry: quick})
	if err != nil {
		t.Fatalf("New with a flattened PEM: %v", err)
	}
	if recs, err := c.Fetch(context.Background()); err != nil || len(recs) != 25 {
		t.Errorf("Fetch: got %d records, %v; want 25", len(recs), err)
	}
}
