package fakehttp

import (
	"testing"
	"time"
)

func TestGrants(t *testing.T) {
	g := NewGrants(time.Hour)
	admin := g.Admin()
	if got := g.Check("a"); got != TokenUnknown {
		t.Errorf("before Issue: got %v, want TokenUnknown", got)
	}
	if got := g.Issue("a"); got != time.Hour {
		t.Errorf("Issue: got lifetime %v, want 1h", got)
	}
	if got := g.Check("a"); got != TokenValid {
		t.Errorf("after Issue: got %v, want TokenValid", got)
	}
	admin.SetTokenTTL(-time.Second)
	if got := g.TTL(); got != -time.Second {
		t.Errorf("TTL after SetTokenTTL: got %v, want -1s", got)
	}
	g.Issue("b")
	if got := g.Check("b"); got != TokenExpired {
		t.Errorf("expired token: got %v, want TokenExpired", got)
	}
	if got := g.Check("b"); got != TokenUnknown {
		t.Errorf("expired token checked again: got %v, want TokenUnknown", got)
	}
	admin.RevokeTokens()
	if got := g.Check("a"); got != TokenUnknown {
		t.Errorf("after RevokeTokens: got %v, want TokenUnknown", got)
	}
}
