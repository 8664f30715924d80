package store_test

import (
	"crypto/sha256"
	"encoding/hex"
	"sync"
	"testing"

	"github.com/postern/postern"
	"github.com/postern/postern/internal/store"
	"github.com/postern/postern/internal/store/storetest"
)

func TestPolicy(t *testing.T) {
	forEach(t, func(t *testing.T, s store.Store) {
		tn := storetest.NewTailnet(t, s)
		_, err := s.Policy(ctx, tn.ID)
		mustCode(t, err, postern.ENOTFOUND)

		texts := []string{"{\n  // first\n  \"acls\": [],\n}\n", `{"acls": [{"action": "accept"}]}`}
		for i, text := range texts {
			p := postern.PolicyFile{TailnetID: tn.ID, Text: text, UpdatedBy: "u1", Updated: at(i+1, 0)}
			if err := s.SavePolicy(ctx, &p); err != nil {
				t.Fatal(err)
			}
			if p.Version != int64(i+1) {
				t.Errorf("save %d: got version %d, want %d", i, p.Version, i+1)
			}
			got, err := s.Policy(ctx, tn.ID)
			if err != nil {
				t.Fatal(err)
			}
			sum := sha256.Sum256([]byte(text))
			want := postern.PolicyFile{TailnetID: tn.ID, Version: int64(i + 1), Text: text, ETag: hex.EncodeToString(sum[:]), UpdatedBy: "u1", Updated: at(i+1, 0)}
			if got != want {
				t.Errorf("save %d: got %+v, want %+v", i, got, want)
			}
		}
		mustCode(t, s.SavePolicy(ctx, &postern.PolicyFile{TailnetID: "Tnope", Text: "{}"}), postern.ENOTFOUND)
	})
}

func TestConcurrentSavePolicy(t *testing.T) {
	forEach(t, func(t *testing.T, s store.Store) {
		tn := storetest.NewTailnet(t, s)
		const n = 8
		var wg sync.WaitGroup
		errs := make(chan error, n)
		for range n {
			wg.Go(func() { errs <- s.SavePolicy(ctx, &postern.PolicyFile{TailnetID: tn.ID, Text: "{}"}) })
		}
		wg.Wait()
		close(errs)
		for err := range errs {
			if err != nil {
				t.Fatal(err)
			}
		}
		p, err := s.Policy(ctx, tn.ID)
		if err != nil || p.Version != n {
			t.Errorf("got version %d, %v, want %d", p.Version, err, n)
		}
	})
}
