// Package records owns the device records a vendor fake serves: a set of
// records keyed by id, kept in id order for paging, with ids assigned and
// defaults filled by the fake that owns it. Id formats, default fields and
// wire encodings stay in each fake.
package records

import (
	"cmp"
	"slices"
	"sync"
)

// Set holds records of type T keyed by an ordered id K. It is safe for
// concurrent use; the zero value is not usable, use New.
type Set[K cmp.Ordered, T any] struct {
	id      func(*T) *K
	prepare func(t *T, exists func(K) bool)

	mu    sync.Mutex
	byID  map[K]T
	order []K // ids, sorted; nil when the set of ids changed
}

// New returns an empty Set. id returns a pointer to a record's id field.
// prepare, called on every record put (under the Set's lock, so it may
// keep state such as an id counter), assigns an id when the record's is
// the zero value and fills defaults; exists reports whether an id is
// stored. prepare may be nil.
func New[K cmp.Ordered, T any](id func(*T) *K, prepare func(t *T, exists func(K) bool)) *Set[K, T] {
	if prepare == nil {
		prepare = func(*T, func(K) bool) {}
	}
	return &Set[K, T]{id: id, prepare: prepare, byID: make(map[K]T)}
}

// Replace replaces every record with rs and returns them as stored, with
// assigned ids and defaults.
func (s *Set[K, T]) Replace(rs []T) []T {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.byID = make(map[K]T, len(rs))
	s.order = nil
	out := make([]T, len(rs))
	for i, r := range rs {
		out[i] = s.putLocked(r)
	}
	return out
}

// Put adds r, or replaces the record with r's id, and returns it as
// stored.
func (s *Set[K, T]) Put(r T) T {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.putLocked(r)
}

func (s *Set[K, T]) putLocked(r T) T {
	s.prepare(&r, s.exists)
	id := *s.id(&r)
	if _, ok := s.byID[id]; !ok {
		s.order = nil
	}
	s.byID[id] = r
	return r
}

func (s *Set[K, T]) exists(id K) bool {
	_, ok := s.byID[id]
	return ok
}

// Update applies change to the record with id and reports whether it
// exists. change cannot alter the id.
func (s *Set[K, T]) Update(id K, change func(*T)) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	r, ok := s.byID[id]
	if !ok {
		return false
	}
	change(&r)
	*s.id(&r) = id
	s.byID[id] = r
	return true
}

// Remove deletes the record with id and reports whether it existed.
func (s *Set[K, T]) Remove(id K) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, ok := s.byID[id]; !ok {
		return false
	}
	delete(s.byID, id)
	s.order = nil
	return true
}

// Get returns the record with id and whether it exists.
func (s *Set[K, T]) Get(id K) (T, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	r, ok := s.byID[id]
	return r, ok
}

// Len returns how many records are stored.
func (s *Set[K, T]) Len() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.byID)
}

// Page returns up to limit records in id order from offset on, and how
// many records there are in all; a negative limit means all of them.
func (s *Set[K, T]) Page(offset, limit int) (page []T, total int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	ids := s.sortedLocked()
	start := min(max(offset, 0), len(ids))
	end := len(ids)
	if limit >= 0 {
		end = min(start+limit, len(ids))
	}
	page = make([]T, 0, end-start)
	for _, id := range ids[start:end] {
		page = append(page, s.byID[id])
	}
	return page, len(ids)
}

// Read calls fn, holding the Set's lock, with the ids in order and a
// lookup, for reads that need a consistent view, such as a page found by
// cursor. fn must not keep ids past its return nor call the Set.
func (s *Set[K, T]) Read(fn func(ids []K, get func(K) (T, bool))) {
	s.mu.Lock()
	defer s.mu.Unlock()
	fn(s.sortedLocked(), func(id K) (T, bool) {
		r, ok := s.byID[id]
		return r, ok
	})
}

// sortedLocked returns the ids in order, building them once per change.
func (s *Set[K, T]) sortedLocked() []K {
	if s.order == nil {
		s.order = make([]K, 0, len(s.byID))
		for id := range s.byID {
			s.order = append(s.order, id)
		}
		slices.Sort(s.order)
	}
	return s.order
}

// After returns the position in the sorted ids of the first id that
// sorts after id: where a page that follows the record id starts, whether
// or not that record still exists.
func After[K cmp.Ordered](ids []K, id K) int {
	i, found := slices.BinarySearch(ids, id)
	if found {
		i++
	}
	return i
}
