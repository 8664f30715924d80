package integrations

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"

	"github.com/postern/postern"
)

// Summary returns the short, plain sentence a failed sync of the provider
// called name (its Label: "Kandji", "CrowdStrike Falcon") is shown as in the integration's status, which every reader of the
// tailnet sees, read-only roles included. It is built from the kind of
// failure only, never from text a vendor sent (a response body, an error
// message in one): that goes to the server log with the whole error.
func Summary(name string, err error) string {
	if err == nil {
		return ""
	}
	var (
		ae      *AddressError
		re      *RedirectError
		se      *StatusError
		pe      *postern.Error
		dnsErr  *net.DNSError
		opErr   *net.OpError
		netErr  net.Error
		certErr *tls.CertificateVerificationError
		x509Err x509.UnknownAuthorityError
		hostErr x509.HostnameError
		syntax  *json.SyntaxError
		typeErr *json.UnmarshalTypeError
	)
	switch {
	case errors.As(err, &ae):
		return ae.Error() + "."
	case errors.As(err, &re) && re.TooMany:
		return fmt.Sprintf("%s answered with more than %d redirects.", name, maxRedirects)
	case errors.As(err, &re):
		return fmt.Sprintf("%s answered with a redirect to another host or scheme (%s), which Postern does not follow.", name, re.To)
	case errors.As(err, &se) && (se.Status == http.StatusUnauthorized || se.Status == http.StatusForbidden):
		return fmt.Sprintf("%s refused the credentials: it answered %s.", name, statusText(se.Status))
	case errors.As(err, &se):
		return fmt.Sprintf("%s answered %s.", name, statusText(se.Status))
	case errors.Is(err, ErrAuth):
		return fmt.Sprintf("%s refused the credentials.", name)
	case errors.Is(err, context.Canceled):
		return "The sync was cancelled before it finished (the server was stopping)."
	case errors.Is(err, context.DeadlineExceeded), errors.As(err, &netErr) && netErr.Timeout():
		return fmt.Sprintf("%s did not answer in time.", name)
	case errors.As(err, &dnsErr):
		return fmt.Sprintf("The host name %s could not be resolved.", dnsErr.Name)
	case errors.As(err, &certErr), errors.As(err, &x509Err), errors.As(err, &hostErr):
		return fmt.Sprintf("The TLS certificate of the %s server could not be verified.", name)
	case errors.As(err, &opErr) && opErr.Op == "dial":
		return fmt.Sprintf("Postern could not connect to %s (%v).", name, opErr.Err)
	case errors.As(err, &syntax), errors.As(err, &typeErr), errors.Is(err, io.ErrUnexpectedEOF):
		return fmt.Sprintf("%s sent a response Postern could not read.", name)
	case errors.As(err, &pe) && pe.Code != postern.EINTERNAL:
		return pe.Message
	}
	return fmt.Sprintf("The %s sync failed; the server log has the detail.", name)
}

// statusText is "500 Internal Server Error", or just the code when it has
// no standard text.
func statusText(code int) string {
	if t := http.StatusText(code); t != "" {
		return fmt.Sprintf("%d %s", code, t)
	}
	return fmt.Sprint(code)
}
