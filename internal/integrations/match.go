package integrations

import (
	"github.com/postern/postern"
)

// Identity is what a tailnet device can be matched by: the serial numbers
// and MAC addresses Device Identity Collection learned from it.
type Identity struct {
	DeviceID int64
	Serials  []string
	MACs     []string
}

// IdentityOf returns the identity of d. A device whose client declined to
// report its identity has none.
func IdentityOf(d *postern.Device) Identity {
	id := Identity{DeviceID: d.ID}
	if d.PostureIdentity.Disabled {
		return id
	}
	id.Serials = d.PostureIdentity.SerialNumbers
	id.MACs = d.PostureIdentity.HardwareAddrs
	return id
}

// DeviceMatch is the vendor record chosen for one tailnet device.
type DeviceMatch struct {
	DeviceID int64
	// Record points into the records given to Match.
	Record *Record
}

// Conflict is a tailnet device that more than one vendor record matched.
// The most recently seen record won.
type Conflict struct {
	DeviceID int64
	Chosen   string   // VendorID of the record used
	Others   []string // VendorIDs of the records set aside
}

// Result is the outcome of matching vendor records to tailnet devices.
type Result struct {
	// Matches holds one entry per matched device, in the order of the
	// devices given to Match.
	Matches []DeviceMatch
	// Conflicts lists the devices more than one record matched, in the
	// order of the devices given to Match.
	Conflicts []Conflict

	ProviderHostCount    int // records the vendor reported
	MatchedCount         int // devices matched with a record
	PossibleMatchedCount int // devices with at least one usable identifier
}

// Match pairs tailnet devices with vendor records. A device matches a
// record when any of its serial numbers equals any of the record's, after
// NormalizeSerial; with useMAC, a shared MAC address (after NormalizeMAC)
// also matches. When several records match one device, the one with the
// latest LastSeen wins (ties go to the smaller VendorID, so the choice
// does not depend on the vendor's ordering) and the device is listed in
// Result.Conflicts. One record may match several devices (cloned virtual
// machines share serials); each of them gets it.
//
// It indexes the devices by normalised identifier and looks each record up
// once, so it runs in time linear in the number of identifiers.
func Match(devices []Identity, records []Record, useMAC bool) Result {
	res := Result{ProviderHostCount: len(records)}

	serialIdx := make(map[string][]int32, len(devices))
	var macIdx map[uint64][]int32
	if useMAC {
		macIdx = make(map[uint64][]int32, len(devices))
	}
	for i, d := range devices {
		usable := false
		for _, s := range d.Serials {
			if n, ok := NormalizeSerial(s); ok {
				serialIdx[n] = appendOnce(serialIdx[n], int32(i))
				usable = true
			}
		}
		if useMAC {
			for _, m := range d.MACs {
				if v, ok := parseMAC(m); ok {
					macIdx[v] = appendOnce(macIdx[v], int32(i))
					usable = true
				}
			}
		}
		if usable {
			res.PossibleMatchedCount++
		}
	}

	best := make([]int32, len(devices))        // record index chosen per device, -1 if none
	lastOffered := make([]int32, len(devices)) // last record that reached a device, to count it once
	for i := range best {
		best[i], lastOffered[i] = -1, -1
	}
	var losers map[int32][]int32 // device -> records set aside; rare
	offer := func(dev, rec int32) {
		if lastOffered[dev] == rec {
			return // the same record through another identifier
		}
		lastOffered[dev] = rec
		cur := best[dev]
		if cur < 0 {
			best[dev] = rec
			return
		}
		if losers == nil {
			losers = make(map[int32][]int32)
		}
		if newer(&records[rec], &records[cur]) {
			best[dev] = rec
			losers[dev] = append(losers[dev], cur)
		} else {
			losers[dev] = append(losers[dev], rec)
		}
	}
	for r := range records {
		rec := &records[r]
		for _, s := range rec.Serials {
			if n, ok := NormalizeSerial(s); ok {
				for _, dev := range serialIdx[n] {
					offer(dev, int32(r))
				}
			}
		}
		if useMAC {
			for _, m := range rec.MACs {
				if v, ok := parseMAC(m); ok {
					for _, dev := range macIdx[v] {
						offer(dev, int32(r))
					}
				}
			}
		}
	}

	for i, r := range best {
		if r < 0 {
			continue
		}
		res.Matches = append(res.Matches, DeviceMatch{DeviceID: devices[i].DeviceID, Record: &records[r]})
		if ls, ok := losers[int32(i)]; ok {
			c := Conflict{DeviceID: devices[i].DeviceID, Chosen: records[r].VendorID}
			for _, l := range ls {
				c.Others = append(c.Others, records[l].VendorID)
			}
			res.Conflicts = append(res.Conflicts, c)
		}
	}
	res.MatchedCount = len(res.Matches)
	return res
}

// newer reports whether a should win over b for the same device.
func newer(a, b *Record) bool {
	if !a.LastSeen.Equal(b.LastSeen) {
		return a.LastSeen.After(b.LastSeen)
	}
	return a.VendorID < b.VendorID
}

// appendOnce appends v unless it is already the last element; a device's
// identifiers are indexed in order, so that is the only place a duplicate
// can be.
func appendOnce(s []int32, v int32) []int32 {
	if len(s) > 0 && s[len(s)-1] == v {
		return s
	}
	return append(s, v)
}
