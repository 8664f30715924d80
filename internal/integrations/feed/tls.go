package feed

import (
	"crypto/tls"
	"net/http"
	"regexp"
	"strings"

	"github.com/postern/postern"
	"github.com/postern/postern/internal/integrations"
)

// mtlsClient returns a copy of base (nil: integrations.NewClient) that
// presents the client certificate in secret: a PEM certificate (and any
// intermediates) followed by its PEM private key.
func mtlsClient(base *http.Client, secret string) (*http.Client, error) {
	pemText := reflowPEM(secret)
	cert, err := tls.X509KeyPair(pemText, pemText)
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

// pemBlockRE finds the PEM blocks of a secret, with or without the line
// breaks: a browser strips them from a pasted password field's value.
var pemBlockRE = regexp.MustCompile(`-----BEGIN ([A-Z0-9 ]+)-----([^-]*)-----END ([A-Z0-9 ]+)-----`)

// reflowPEM rewrites the PEM blocks of secret with the line breaks PEM
// needs, whatever whitespace the pasted text kept.
func reflowPEM(secret string) []byte {
	var b strings.Builder
	for _, m := range pemBlockRE.FindAllStringSubmatch(secret, -1) {
		body := strings.Join(strings.Fields(m[2]), "")
		b.WriteString("-----BEGIN " + m[1] + "-----\n")
		for len(body) > 64 {
			b.WriteString(body[:64] + "\n")
			body = body[64:]
		}
		if body != "" {
			b.WriteString(body + "\n")
		}
		b.WriteString("-----END " + m[3] + "-----\n")
	}
	return []byte(b.String())
}
