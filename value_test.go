package postern

import (
	"encoding/json"
	"errors"
	"fmt"
	"testing"
)

func TestValueJSONKeepsType(t *testing.T) {
	for _, tc := range []struct {
		in   string
		kind Kind
	}{
		{`"true"`, KindString}, {`true`, KindBool}, {`80`, KindNumber}, {`"80"`, KindString},
		{`-1.5`, KindNumber}, {`""`, KindString}, {`null`, KindNone},
	} {
		t.Run(tc.in, func(t *testing.T) {
			var v Value
			if err := json.Unmarshal([]byte(tc.in), &v); err != nil {
				t.Fatal(err)
			}
			if v.Kind() != tc.kind {
				t.Fatalf("kind: got %v, want %v", v.Kind(), tc.kind)
			}
			out, _ := json.Marshal(v)
			if string(out) != tc.in {
				t.Errorf("round trip: got %s, want %s", out, tc.in)
			}
			back, err := ParseValue(v.Kind(), v.Text())
			if v.IsSet() && (err != nil || back != v) {
				t.Errorf("ParseValue(Text): got %v, %v; want %v", back, err, v)
			}
		})
	}
	for _, bad := range []string{`{}`, `[1]`, `tru`} {
		var v Value
		if err := json.Unmarshal([]byte(bad), &v); err == nil {
			t.Errorf("Unmarshal(%s): got %v, want an error", bad, v)
		}
	}
}

func TestValueString(t *testing.T) {
	for v, want := range map[Value]string{String("prod"): "'prod'", Number(70): "70", Bool(false): "false", {}: "not set"} {
		if got := v.String(); got != want {
			t.Errorf("got %q, want %q", got, want)
		}
	}
}

func TestErrorCodes(t *testing.T) {
	cause := errors.New("disk on fire")
	err := fmt.Errorf("saving: %w", Errorf(ENOTFOUND, "device %q not found: %w", "n1", cause))
	if ErrorCode(err) != ENOTFOUND || !IsNotFound(err) || !errors.Is(err, cause) {
		t.Errorf("got code %q, is cause %v; want not_found wrapping the cause", ErrorCode(err), errors.Is(err, cause))
	}
	if ErrorMessage(err) != `device "n1" not found: disk on fire` {
		t.Errorf("message: got %q", ErrorMessage(err))
	}
	if ErrorCode(cause) != EINTERNAL || ErrorMessage(cause) != "internal error" {
		t.Errorf("plain error: got %q %q, want internal with a generic message", ErrorCode(cause), ErrorMessage(cause))
	}
	if ErrorCode(nil) != "" {
		t.Errorf("nil error: got code %q", ErrorCode(nil))
	}
}
