// Package integrationstest holds what the vendor clients' tests assert
// alike. Only tests import it.
package integrationstest

import (
	"errors"
	"testing"

	"github.com/postern/postern"
	"github.com/postern/postern/internal/integrations"
)

// PlainError fails t unless err is a configuration problem said in one
// sentence, want, the way a missing vendor permission must be: an
// EINVALID error with exactly that message, not ErrAuth (which would
// pause the integration for a day), carrying no *StatusError (which
// reads as a refused credential), and shown as is in the status of the
// provider name's integration.
func PlainError(t testing.TB, name string, err error, want string) {
	t.Helper()
	if err == nil {
		t.Fatalf("got no error, want %q", want)
	}
	if err.Error() != want {
		t.Errorf("error: got %q, want %q", err, want)
	}
	if errors.Is(err, integrations.ErrAuth) {
		t.Errorf("errors.Is(%v, ErrAuth): got true, want false (a missing permission must not pause the sync)", err)
	}
	var se *integrations.StatusError
	if errors.As(err, &se) {
		t.Errorf("error %v carries a *StatusError, which reads as a credential failure; want the sentence alone", err)
	}
	if postern.ErrorCode(err) != postern.EINVALID || postern.ErrorMessage(err) != want {
		t.Errorf("got code %q, message %q; want %q, %q", postern.ErrorCode(err), postern.ErrorMessage(err), postern.EINVALID, want)
	}
	if got := integrations.Summary(name, err); got != want {
		t.Errorf("Summary: got %q, want %q", got, want)
	}
}
