package integrations

import (
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/postern/postern"
)

func TestMatch(t *testing.T) {
	t0 := time.Date(2026, 11, 1, 12, 0, 0, 0, time.UTC)
	devices := []Identity{
		{DeviceID: 1, Serials: []string{"c02abc123 "}},                                               // matches r-a (case, space)
		{DeviceID: 2, Serials: []string{"To Be Filled By O.E.M.", "PF2XYZ"}},                         // second serial matches r-b
		{DeviceID: 3, Serials: []string{"Default string"}},                                           // no usable identifier
		{DeviceID: 4, Serials: []string{"DUP1"}},                                                     // two records: r-old, r-new
		{DeviceID: 5, MACs: []string{"08-00-27-51-56-d8"}},                                           // MAC only
		{DeviceID: 6, Serials: []string{"NOPE"}},                                                     // usable, no record
		{DeviceID: 7},                                                                                // nothing at all
		{DeviceID: 8, Serials: []string{"TIE"}},                                                      // two records seen at the same time
		{DeviceID: 9, Serials: []string{"SERIAL9", "SERIAL9B"}, MACs: []string{"0a:0b:0c:0d:0e:0f"}}, // one record via two ways
	}
	records := []Record{
		{VendorID: "r-a", Serials: []string{"C02ABC123"}, LastSeen: t0},
		{VendorID: "r-b", Serials: []string{"pf2xyz"}, LastSeen: t0},
		{VendorID: "r-junk", Serials: []string{"Default string", "0"}, LastSeen: t0},
		{VendorID: "r-new", Serials: []string{"dup1"}, LastSeen: t0.Add(time.Hour)},
		{VendorID: "r-old", Serials: []string{"DUP1"}, LastSeen: t0},
		{VendorID: "r-mac", MACs: []string{"0800.2751.56D8"}, LastSeen: t0},
		{VendorID: "r-tie-z", Serials: []string{"TIE"}, LastSeen: t0},
		{VendorID: "r-tie-a", Serials: []string{"TIE"}, LastSeen: t0},
		{VendorID: "r-9", Serials: []string{"serial9", "SERIAL9B"}, MACs: []string{"0A0B0C0D0E0F"}, LastSeen: t0},
	}

	t.Run("serials and MACs", func(t *testing.T) {
		res := Match(devices, records, true)
		want := map[int64]string{1: "r-a", 2: "r-b", 4: "r-new", 5: "r-mac", 8: "r-tie-a", 9: "r-9"}
		if got := matchMap(res); !mapsEqual(got, want) {
			t.Errorf("matches: got %v, want %v", got, want)
		}
		if res.ProviderHostCount != len(records) {
			t.Errorf("ProviderHostCount: got %d, want %d", res.ProviderHostCount, len(records))
		}
		if res.MatchedCount != 6 {
			t.Errorf("MatchedCount: got %d, want 6", res.MatchedCount)
		}
		if res.PossibleMatchedCount != 7 { // all but 3 and 7
			t.Errorf("PossibleMatchedCount: got %d, want 7", res.PossibleMatchedCount)
		}
		wantConflicts := []Conflict{
			{DeviceID: 4, Chosen: "r-new", Others: []string{"r-old"}},
			{DeviceID: 8, Chosen: "r-tie-a", Others: []string{"r-tie-z"}},
		}
		if !slices.EqualFunc(res.Conflicts, wantConflicts, conflictEqual) {
			t.Errorf("Conflicts: got %+v, want %+v", res.Conflicts, wantConflicts)
		}
	})

	t.Run("without MACs", func(t *testing.T) {
		res := Match(devices, records, false)
		if got := matchMap(res); got[5] != "" {
			t.Errorf("device 5 matched %q by MAC with useMAC false, want no match", got[5])
		}
		if res.MatchedCount != 5 {
			t.Errorf("MatchedCount: got %d, want 5", res.MatchedCount)
		}
		if res.PossibleMatchedCount != 6 { // device 5 has only a MAC
			t.Errorf("PossibleMatchedCount: got %d, want 6", res.PossibleMatchedCount)
		}
	})

	t.Run("order of records does not change the choice", func(t *testing.T) {
		rev := slices.Clone(records)
		slices.Reverse(rev)
		a, b := matchMap(Match(devices, records, true)), matchMap(Match(devices, rev, true))
		if !mapsEqual(a, b) {
			t.Errorf("reversed records: got %v, want %v", b, a)
		}
	})

	t.Run("one record, two devices", func(t *testing.T) {
		devs := []Identity{{DeviceID: 1, Serials: []string{"CLONE"}}, {DeviceID: 2, Serials: []string{"clone"}}}
		res := Match(devs, []Record{{VendorID: "vm", Serials: []string{"CLONE"}}}, false)
		want := map[int64]string{1: "vm", 2: "vm"}
		if got := matchMap(res); !mapsEqual(got, want) {
			t.Errorf("matches: got %v, want %v", got, want)
		}
		if len(res.Conflicts) != 0 {
			t.Errorf("Conflicts: got %+v, want none", res.Conflicts)
		}
	})

	t.Run("empty", func(t *testing.T) {
		res := Match(nil, nil, true)
		if res.MatchedCount != 0 || res.ProviderHostCount != 0 || res.PossibleMatchedCount != 0 || len(res.Matches) != 0 {
			t.Errorf("Match(nil, nil): got %+v, want zero counts", res)
		}
	})
}

func TestIdentityOf(t *testing.T) {
	d := postern.Device{ID: 7, PostureIdentity: postern.PostureIdentity{SerialNumbers: []string{"S1"}, HardwareAddrs: []string{"08:00:27:51:56:d8"}}}
	got := IdentityOf(&d)
	if got.DeviceID != 7 || !slices.Equal(got.Serials, []string{"S1"}) || !slices.Equal(got.MACs, []string{"08:00:27:51:56:d8"}) {
		t.Errorf("IdentityOf: got %+v, want device 7 with its serial and MAC", got)
	}
	d.PostureIdentity.Disabled = true
	if got := IdentityOf(&d); len(got.Serials) != 0 || len(got.MACs) != 0 {
		t.Errorf("IdentityOf with reporting disabled: got %+v, want no identifiers", got)
	}
}

func matchMap(r Result) map[int64]string {
	m := make(map[int64]string)
	for _, dm := range r.Matches {
		m[dm.DeviceID] = dm.Record.VendorID
	}
	return m
}

func mapsEqual(a, b map[int64]string) bool {
	if len(a) != len(b) {
		return false
	}
	for k, v := range a {
		if b[k] != v {
			return false
		}
	}
	return true
}

func conflictEqual(a, b Conflict) bool {
	return a.DeviceID == b.DeviceID && a.Chosen == b.Chosen && slices.Equal(a.Others, b.Others)
}

// benchData builds n vendor records and m tailnet devices, of which 80%
// match a record: some by upper-case serial, some by lower case, some by
// MAC only.
func benchData(n, m int) ([]Identity, []Record) {
	t0 := time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC)
	records := make([]Record, n)
	for i := range records {
		records[i] = Record{
			VendorID: fmt.Sprint(i),
			Serials:  []string{fmt.Sprintf("C02X%08d", i)},
			MACs:     []string{fmt.Sprintf("02-00-%02x-%02x-%02x-%02x", byte(i>>24), byte(i>>16), byte(i>>8), byte(i))},
			LastSeen: t0.Add(time.Duration(i) * time.Second),
		}
	}
	devices := make([]Identity, m)
	for i := range devices {
		r := i * (n / m)
		d := Identity{DeviceID: int64(i + 1), MACs: []string{fmt.Sprintf("02:00:%02x:%02x:%02x:%02x", byte(r>>24), byte(r>>16), byte(r>>8), byte(r))}}
		switch i % 5 {
		case 0:
			d.Serials = []string{fmt.Sprintf("c02x%08d", r)}
		case 1, 2:
			d.Serials = []string{"To Be Filled By O.E.M.", fmt.Sprintf("C02X%08d", r), "Default string"}
		case 3:
			// MAC only.
		case 4:
			d.Serials = []string{fmt.Sprintf("OTHER%08d", r)}
			d.MACs = nil
		}
		devices[i] = d
	}
	return devices, records
}

func TestMatchBenchData(t *testing.T) {
	devices, records := benchData(1000, 100)
	res := Match(devices, records, true)
	if res.MatchedCount != 80 {
		t.Errorf("MatchedCount: got %d, want 80", res.MatchedCount)
	}
	if res.PossibleMatchedCount != 100 {
		t.Errorf("PossibleMatchedCount: got %d, want 100", res.PossibleMatchedCount)
	}
}

// BenchmarkMatch matches 100,000 vendor records with 10,000 tailnet
// devices, by serial and MAC.
func BenchmarkMatch(b *testing.B) {
	devices, records := benchData(100_000, 10_000)
	b.ReportAllocs()
	for b.Loop() {
		res := Match(devices, records, true)
		if res.MatchedCount != 8000 {
			b.Fatalf("MatchedCount: got %d, want 8000", res.MatchedCount)
		}
	}
}
