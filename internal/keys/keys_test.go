package keys

import (
	"strings"
	"testing"

	"github.com/postern/postern"
)

func TestMintAndID(t *testing.T) {
	for _, typ := range []postern.KeyType{postern.KeyTypeAuth, postern.KeyTypeAPI, postern.KeyTypeClient} {
		t.Run(string(typ), func(t *testing.T) {
			k := postern.Key{Type: typ}
			text := Mint(&k)
			if want := "tskey-" + string(typ) + "-"; !strings.HasPrefix(text, want) {
				t.Fatalf("got %q, want prefix %q", text, want)
			}
			if strings.Contains(string(k.Hash), text) || len(k.Hash) != 32 {
				t.Fatalf("hash: got %d bytes, want 32 not containing the text", len(k.Hash))
			}
			id, ok := ID(text, typ)
			if !ok || id != k.ID {
				t.Fatalf("ID(%q) = %q, %v; want %q, true", text, id, ok, k.ID)
			}
			other := postern.KeyTypeAuth
			if typ == other {
				other = postern.KeyTypeAPI
			}
			if _, ok := ID(text, other); ok {
				t.Errorf("ID accepted a %s key as %s", typ, other)
			}
		})
	}
	a, b := postern.Key{Type: postern.KeyTypeAuth}, postern.Key{Type: postern.KeyTypeAuth}
	if Mint(&a) == Mint(&b) || a.ID == b.ID {
		t.Errorf("two mints gave the same key or id")
	}
}

func TestIDRejectsMalformed(t *testing.T) {
	for _, s := range []string{"", "tskey-auth-", "tskey-auth-abc", "tskey-auth--secret", "tskey-api-k1-x", "nope"} {
		if id, ok := ID(s, postern.KeyTypeAuth); ok {
			t.Errorf("ID(%q) = %q, true; want false", s, id)
		}
	}
}
