package records

import (
	"fmt"
	"sync"
	"testing"
)

type rec struct {
	ID   string
	Name string
}

func newSet() *Set[string, rec] {
	next := 1
	return New(func(r *rec) *string { return &r.ID }, func(r *rec, exists func(string) bool) {
		if r.ID == "" {
			for exists(fmt.Sprintf("id%02d", next)) {
				next++
			}
			r.ID = fmt.Sprintf("id%02d", next)
			next++
		}
		if r.Name == "" {
			r.Name = "rec " + r.ID
		}
	})
}

func TestSet(t *testing.T) {
	t.Run("Replace assigns ids skipping taken ones and fills defaults", func(t *testing.T) {
		s := newSet()
		got := s.Replace([]rec{{ID: "id01"}, {}, {ID: "a", Name: "x"}})
		want := []rec{{"id01", "rec id01"}, {"id02", "rec id02"}, {"a", "x"}}
		if fmt.Sprint(got) != fmt.Sprint(want) {
			t.Errorf("got %v, want %v", got, want)
		}
		page, total := s.Page(0, -1)
		if fmt.Sprint(page) != fmt.Sprint([]rec{want[2], want[0], want[1]}) || total != 3 {
			t.Errorf("got page %v total %d, want id order and 3", page, total)
		}
	})
	t.Run("Replace drops earlier records", func(t *testing.T) {
		s := newSet()
		s.Put(rec{ID: "old"})
		s.Replace([]rec{{ID: "new"}})
		if _, ok := s.Get("old"); ok {
			t.Errorf("got old record present, want gone")
		}
		if n := s.Len(); n != 1 {
			t.Errorf("got Len %d, want 1", n)
		}
	})
	t.Run("Put replaces by id and new ids reorder", func(t *testing.T) {
		s := newSet()
		s.Put(rec{ID: "b", Name: "1"})
		s.Put(rec{ID: "b", Name: "2"})
		s.Put(rec{ID: "a"})
		page, total := s.Page(0, 10)
		if total != 2 || page[0].ID != "a" || page[1].Name != "2" {
			t.Errorf("got %v (total %d), want [a b:2]", page, total)
		}
	})
	t.Run("Update keeps the id and reports absence", func(t *testing.T) {
		s := newSet()
		s.Put(rec{ID: "a"})
		if !s.Update("a", func(r *rec) { r.ID, r.Name = "z", "changed" }) {
			t.Fatalf("got Update false, want true")
		}
		if r, ok := s.Get("a"); !ok || r.Name != "changed" || r.ID != "a" {
			t.Errorf("got %v %v, want {a changed} true", r, ok)
		}
		if s.Update("missing", func(*rec) {}) {
			t.Errorf("got Update true for a missing id, want false")
		}
	})
	t.Run("Remove", func(t *testing.T) {
		s := newSet()
		s.Put(rec{ID: "a"})
		s.Put(rec{ID: "b"})
		if !s.Remove("a") || s.Remove("a") {
			t.Errorf("got Remove results wrong, want true then false")
		}
		page, _ := s.Page(0, -1)
		if len(page) != 1 || page[0].ID != "b" {
			t.Errorf("got %v, want [b]", page)
		}
	})
	t.Run("Page bounds", func(t *testing.T) {
		s := newSet()
		s.Replace([]rec{{ID: "a"}, {ID: "b"}, {ID: "c"}})
		for _, tc := range []struct{ offset, limit, n int }{{1, 1, 1}, {2, 5, 1}, {3, 5, 0}, {9, 1, 0}, {-1, 2, 2}} {
			page, total := s.Page(tc.offset, tc.limit)
			if len(page) != tc.n || total != 3 {
				t.Errorf("Page(%d,%d): got %d records total %d, want %d total 3", tc.offset, tc.limit, len(page), total, tc.n)
			}
		}
	})
	t.Run("Read sees ids in order", func(t *testing.T) {
		s := newSet()
		s.Replace([]rec{{ID: "c"}, {ID: "a"}})
		s.Read(func(ids []string, get func(string) (rec, bool)) {
			if fmt.Sprint(ids) != "[a c]" {
				t.Errorf("got ids %v, want [a c]", ids)
			}
			if _, ok := get("c"); !ok {
				t.Errorf("got c absent, want present")
			}
		})
	})
}

func TestSetConcurrent(t *testing.T) {
	s := newSet()
	var wg sync.WaitGroup
	for i := range 4 {
		wg.Go(func() {
			for j := range 50 {
				r := s.Put(rec{})
				s.Update(r.ID, func(r *rec) { r.Name = fmt.Sprint(i, j) })
				s.Page(0, 10)
			}
		})
	}
	wg.Wait()
	if n := s.Len(); n != 200 {
		t.Errorf("got %d records, want 200", n)
	}
}

func TestAfter(t *testing.T) {
	ids := []string{"b", "d", "f"}
	for _, tc := range []struct {
		id   string
		want int
	}{{"a", 0}, {"b", 1}, {"c", 1}, {"d", 2}, {"f", 3}, {"g", 3}} {
		t.Run(tc.id, func(t *testing.T) {
			if got := After(ids, tc.id); got != tc.want {
				t.Errorf("After(%q): got %d, want %d", tc.id, got, tc.want)
			}
		})
	}
}
