package feed

import (
	"crypto/tls"
	"net/http"

	"github.com/postern/postern"
	"github.com/postern/postern/internal/integrations"
)

// mtlsClient returns a copy of base (nil: integrations.NewClient) that
// presents the client certificate in secret: a PEM certificate (and any
// intermediates) followed by its PEM private key.
func mtlsClient(base *http.Client, secret string) (*http.Client, error) {
	cert, err := tls.X509KeyPair([]byte(secret), []byte(secret))
	if err != nil {
		return nil, postern.Errorf(postern.EINVALID, "feed: the secret looks like PEM but is not a client certificate followed by its private key: %v", err)
	}
	if base == nil {
		base = integrations.NewClient()
	}
	hc := *base
	var t *http.Transport
	switch bt := base.Transport.(type) {
	case nil:
		t = integrations.NewTransport()
	case *http.Transport:
		t = bt.Clone()
	default:
		return nil, postern.Errorf(postern.EINVALID, "feed: cannot present a client certificate through this HTTP transport (%T)", base.Transport)
	}
	if t.TLSClientConfig == nil {
		t.TLSClientConfig = &tls.Config{MinVersion: tls.VersionTLS12}
	}
	t.TLSClientConfig.Certificates = []tls.Certificate{cert}
	hc.Transport = t
	return &hc, nil
}
