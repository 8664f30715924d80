package control

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/postern/postern"
)

// storedDevice adds a device called name with the given ephemerality,
// creation and last-seen times.
func (ts *testServer) storedDevice(t *testing.T, name string, ephemeral bool, created, lastSeen time.Time) postern.Device {
	t.Helper()
	d := ts.addDevice(t, name)
	d.Ephemeral, d.Created, d.LastSeen = ephemeral, created, lastSeen
	if err := ts.st.UpdateDevice(context.Background(), &d); err != nil {
		t.Fatal(err)
	}
	// Created is not updatable; recreate the row with it.
	if err := ts.st.DeleteDevice(context.Background(), d.ID); err != nil {
		t.Fatal(err)
	}
	if err := ts.st.CreateDevice(context.Background(), &d); err != nil {
		t.Fatal(err)
	}
	return d
}

func TestEphemeralSweep(t *testing.T) {
	forEachBackend(t, testEphemeralSweep)
}

func testEphemeralSweep(t *testing.T, before *testServer) {
	ctx := context.Background()
	before.Close() // a server that went away with devices offline
	now := time.Now()
	old := now.Add(-2 * time.Hour)
	neverSeen := before.storedDevice(t, "never-seen", true, old, time.Time{})
	offline := before.storedDevice(t, "offline", true, old, now.Add(-time.Hour))
	recent := before.storedDevice(t, "recent", true, old, now.Add(-time.Minute))
	young := before.storedDevice(t, "young", true, now.Add(-time.Minute), time.Time{})
	durable := before.storedDevice(t, "durable", false, old, old)

	ts := newTestServerOn(t, before.st, func(c *Config) { c.SweepInterval = time.Hour })
	exists := func(id int64) bool {
		_, err := ts.st.Device(ctx, id)
		if err != nil && !postern.IsNotFound(err) {
			t.Fatal(err)
		}
		return err == nil
	}
	deadline := time.Now().Add(5 * time.Second)
	for exists(neverSeen.ID) || exists(offline.ID) {
		if time.Now().After(deadline) {
			t.Fatalf("start-up sweep: never-seen exists %v, offline exists %v after 5s; want both deleted", exists(neverSeen.ID), exists(offline.ID))
		}
		time.Sleep(10 * time.Millisecond)
	}
	connected := ts.storedDevice(t, "connected", true, old, old)
	ts.connect(t, connected)
	// connect recorded a fresh last seen; make it old again, as after a
	// long session, and sweep as the periodic loop does.
	if err := ts.st.TouchDevice(ctx, connected.ID, old); err != nil {
		t.Fatal(err)
	}
	ts.sweepEphemeral(ctx)
	for _, d := range []postern.Device{recent, young, durable, connected} {
		if !exists(d.ID) {
			t.Errorf("device %s deleted by the sweep, want kept", d.Name)
		}
	}
	evs, err := ts.st.AuditEvents(ctx, postern.AuditFilter{TailnetID: before.tn.ID})
	if err != nil {
		t.Fatal(err)
	}
	deleted := map[string]bool{}
	for _, e := range evs {
		if e.Action == "DELETE" && strings.Contains(e.Actor.DisplayName, "ephemeral") {
			deleted[e.Target.Name] = true
		}
	}
	if len(deleted) != 2 {
		t.Errorf("audited ephemeral deletions: got %v, want never-seen and offline", deleted)
	}
}
