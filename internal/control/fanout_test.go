package control

import (
	"slices"
	"testing"
	"time"

	"tailscale.com/tailcfg"
)

func rule(src string) []tailcfg.FilterRule {
	return []tailcfg.FilterRule{{SrcIPs: []string{src}, DstPorts: []tailcfg.NetPortRange{{IP: "*", Ports: tailcfg.PortRangeAny}}}}
}

func peerIDsOf(nodes []*tailcfg.Node) []tailcfg.NodeID {
	var ids []tailcfg.NodeID
	for _, n := range nodes {
		ids = append(ids, n.ID)
	}
	return ids
}

func TestFullMap(t *testing.T) {
	ts := newTestServer(t)
	a, b, c := ts.addDevice(t, "a"), ts.addDevice(t, "b"), ts.addDevice(t, "c")
	ts.pol.peers[a.ID] = []int64{b.ID}
	ts.pol.filter[a.ID] = rule(b.IPv4.String())
	_, m := ts.connect(t, a)

	if m.Node == nil || m.Node.ID != tailcfg.NodeID(a.ID) {
		t.Fatalf("self node: got %+v, want id %d", m.Node, a.ID)
	}
	if got, want := m.Node.Name, "a.postern.internal."; got != want {
		t.Errorf("self name: got %q, want %q", got, want)
	}
	if got, want := peerIDsOf(m.Peers), []tailcfg.NodeID{tailcfg.NodeID(b.ID)}; !slices.Equal(got, want) {
		t.Errorf("peers: got %v, want %v (c=%d must be absent)", got, want, c.ID)
	}
	if got := m.PacketFilters["base"]; len(got) != 1 || got[0].SrcIPs[0] != b.IPv4.String() {
		t.Errorf("filter: got %+v, want one rule from %v", m.PacketFilters, b.IPv4)
	}
	if _, ok := m.PacketFilters["*"]; !ok {
		t.Errorf("filter: got %+v, want a \"*\" reset", m.PacketFilters)
	}
	if m.DERPMap == nil || m.DERPMap.Regions[derpRegionID] == nil {
		t.Errorf("DERP map: got %+v, want region %d", m.DERPMap, derpRegionID)
	}
	if m.DNSConfig == nil || !m.DNSConfig.Proxied || !slices.Contains(m.DNSConfig.Domains, "postern.internal") {
		t.Errorf("DNS config: got %+v, want MagicDNS under postern.internal", m.DNSConfig)
	}
	if len(m.UserProfiles) != 1 || m.UserProfiles[0].LoginName != "alice@example.com" {
		t.Errorf("user profiles: got %+v, want alice", m.UserProfiles)
	}
}

func TestNotifyFilterReachesOnlyAffected(t *testing.T) {
	ts := newTestServer(t)
	a, b := ts.addDevice(t, "a"), ts.addDevice(t, "b")
	ts.pol.peers[a.ID], ts.pol.peers[b.ID] = []int64{b.ID}, []int64{a.ID}
	recA, _ := ts.connect(t, a)
	recB, _ := ts.connect(t, b)
	callsB := ts.pol.calls(b.ID)

	ts.pol.mu.Lock()
	ts.pol.filter[a.ID] = rule("100.64.9.9")
	ts.pol.mu.Unlock()
	ts.Notify(Change{Filters: []int64{a.ID}})

	// b's connecting may reach a as its own small update (b came online)
	// before or with the filter: skip such presence-only updates.
	m := recA.next(t)
	for m.PacketFilters == nil && m.Node == nil && len(m.Peers)+len(m.PeersChanged) == 0 && (len(m.OnlineChange) > 0 || len(m.PeersChangedPatch) > 0) {
		m = recA.next(t)
	}
	if got := m.PacketFilters["base"]; len(got) != 1 || got[0].SrcIPs[0] != "100.64.9.9" {
		t.Errorf("a's new filter: got %+v, want the rule from 100.64.9.9", m.PacketFilters)
	}
	if m.Node != nil || len(m.Peers) > 0 || len(m.PeersChanged) > 0 {
		t.Errorf("filter-only delta carried more: %+v", m)
	}
	recB.none(t, 100*time.Millisecond)
	if got := ts.pol.calls(b.ID); got != callsB {
		t.Errorf("b's filter computed %d more times, want 0", got-callsB)
	}
}

func TestNotifyPeersDelta(t *testing.T) {
	ts := newTestServer(t)
	a, b, c := ts.addDevice(t, "a"), ts.addDevice(t, "b"), ts.addDevice(t, "c")
	ts.pol.peers[a.ID] = []int64{b.ID}
	recA, _ := ts.connect(t, a)

	ts.pol.mu.Lock()
	ts.pol.peers[a.ID] = []int64{c.ID}
	ts.pol.mu.Unlock()
	ts.Notify(Change{Peers: []int64{a.ID}})

	m := recA.next(t)
	if got, want := peerIDsOf(m.PeersChanged), []tailcfg.NodeID{tailcfg.NodeID(c.ID)}; !slices.Equal(got, want) {
		t.Errorf("PeersChanged: got %v, want %v", got, want)
	}
	if got, want := m.PeersRemoved, []tailcfg.NodeID{tailcfg.NodeID(b.ID)}; !slices.Equal(got, want) {
		t.Errorf("PeersRemoved: got %v, want %v", got, want)
	}
}

func TestNotifyUpdatedAndRemoved(t *testing.T) {
	ts := newTestServer(t)
	a, b, c := ts.addDevice(t, "a"), ts.addDevice(t, "b"), ts.addDevice(t, "c")
	ts.pol.peers[a.ID] = []int64{b.ID}
	recA, _ := ts.connect(t, a)

	t.Run("updated peer", func(t *testing.T) {
		b.Name = "bee"
		if err := ts.st.UpdateDevice(t.Context(), &b); err != nil {
			t.Fatal(err)
		}
		ts.Notify(Change{Updated: []int64{b.ID, c.ID}})
		m := recA.next(t)
		if len(m.PeersChanged) != 1 || m.PeersChanged[0].Name != "bee.postern.internal." {
			t.Errorf("PeersChanged: got %+v, want b renamed to bee", m.PeersChanged)
		}
	})
	t.Run("removed peer", func(t *testing.T) {
		ts.Notify(Change{Removed: []int64{c.ID}})
		recA.none(t, 100*time.Millisecond) // a never knew c
		ts.Notify(Change{Removed: []int64{b.ID}})
		m := recA.next(t)
		if got, want := m.PeersRemoved, []tailcfg.NodeID{tailcfg.NodeID(b.ID)}; !slices.Equal(got, want) {
			t.Errorf("PeersRemoved: got %v, want %v", got, want)
		}
	})
}

// TestSlowClientDoesNotBlock holds one client's writes while changes pour
// in: the others keep getting updates, and the slow one gets the merged
// result when it drains, not one message per change.
func TestSlowClientDoesNotBlock(t *testing.T) {
	ts := newTestServer(t)
	a, b := ts.addDevice(t, "a"), ts.addDevice(t, "b")
	recA, _ := ts.connect(t, a)
	recB, _ := ts.connect(t, b)
	recA.gate = make(chan struct{})

	const changes = 50
	for i := range changes {
		ts.pol.mu.Lock()
		ts.pol.filter[a.ID] = rule("100.64.1." + string(rune('0'+i%10)))
		ts.pol.filter[b.ID] = ts.pol.filter[a.ID]
		ts.pol.mu.Unlock()
		ts.Notify(Change{Filters: []int64{a.ID, b.ID}})
		time.Sleep(time.Millisecond)
	}
	got := recB.next(t)
	if got.PacketFilters == nil {
		t.Fatalf("b's update: got %+v, want a filter", got)
	}
	close(recA.gate)
	n := 0
	deadline := time.After(500 * time.Millisecond)
drain:
	for {
		select {
		case <-recA.msgs:
			n++
		case <-deadline:
			break drain
		}
	}
	if n == 0 || n > 3 {
		t.Errorf("slow client got %d messages for %d changes, want 1 to 3 (merged)", n, changes)
	}
}

func TestDeltaMerge(t *testing.T) {
	var d delta
	d.merge(delta{filter: true, changed: map[int64]bool{1: true}})
	d.merge(delta{peers: true, changed: map[int64]bool{2: true}, removed: map[int64]bool{3: true}})
	if !d.filter || !d.peers || len(d.changed) != 2 || !d.removed[3] {
		t.Errorf("merged delta: got %+v, want filter, peers, changed {1,2}, removed {3}", d)
	}
	got := d.take()
	if !got.filter || !d.empty() {
		t.Errorf("take: got %+v and left %+v, want the content and an empty delta", got, d)
	}
}

func TestUnchangedFilterNotResent(t *testing.T) {
	ts := newTestServer(t)
	a := ts.addDevice(t, "a")
	ts.pol.filter[a.ID] = rule("100.64.1.1")
	recA, _ := ts.connect(t, a)
	ts.Notify(Change{AllFilters: true})
	recA.none(t, 100*time.Millisecond)
}

func TestUnapprovedDeviceIsolated(t *testing.T) {
	ts := newTestServer(t)
	a, b := ts.addDevice(t, "a"), ts.addDevice(t, "b")
	b.Authorized = false
	if err := ts.st.UpdateDevice(t.Context(), &b); err != nil {
		t.Fatal(err)
	}
	ts.pol.peers[a.ID], ts.pol.peers[b.ID] = []int64{b.ID}, []int64{a.ID}
	ts.pol.filter[b.ID] = rule(a.IPv4.String())
	_, mA := ts.connect(t, a)
	if len(mA.Peers) != 0 {
		t.Errorf("a's peers: got %v, want none (b awaits approval)", peerIDsOf(mA.Peers))
	}
	recB, mB := ts.connect(t, b)
	if len(mB.Peers) != 0 || len(mB.PacketFilters["base"]) != 0 || mB.Node.MachineAuthorized {
		t.Errorf("unapproved b: got peers %v filter %v authorized %v, want none, none, false",
			peerIDsOf(mB.Peers), mB.PacketFilters, mB.Node.MachineAuthorized)
	}
	b.Authorized = true
	if err := ts.st.UpdateDevice(t.Context(), &b); err != nil {
		t.Fatal(err)
	}
	ts.Notify(Change{Updated: []int64{b.ID}, Peers: []int64{b.ID}, Filters: []int64{b.ID}})
	m := recB.next(t)
	if m.Node == nil || !m.Node.MachineAuthorized || len(m.PeersChanged) != 1 || len(m.PacketFilters["base"]) != 1 {
		t.Errorf("approved b's update: got node %+v peers %v filter %v, want authorized, a, one rule",
			m.Node, peerIDsOf(m.PeersChanged), m.PacketFilters)
	}
}

func TestRemovedDeviceStreamEnds(t *testing.T) {
	ts := newTestServer(t)
	a := ts.addDevice(t, "a")
	ts.connect(t, a)
	if err := ts.st.DeleteDevice(t.Context(), a.ID); err != nil {
		t.Fatal(err)
	}
	ts.Notify(Change{Removed: []int64{a.ID}})
	waitUntil(t, func() bool {
		ts.mu.Lock()
		defer ts.mu.Unlock()
		return ts.sessions[a.ID] == nil
	})
}

// waitUntil polls cond for up to two seconds.
func waitUntil(t *testing.T, cond func() bool) {
	t.Helper()
	for deadline := time.Now().Add(2 * time.Second); !cond(); time.Sleep(5 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatal("condition not met within 2s")
		}
	}
}
