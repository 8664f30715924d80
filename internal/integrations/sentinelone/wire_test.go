package sentinelone

import (
	"encoding/json"
	"testing"
	"time"
)

func TestRecordOmitsMissingFields(t *testing.T) {
	var a agent
	in := `{"id":"7","computerName":"h","isActive":true,"updatedAt":"2026-01-02T03:04:05.000000Z"}`
	if err := json.Unmarshal([]byte(in), &a); err != nil {
		t.Fatal(err)
	}
	r := a.record()
	if len(r.Attributes) != 1 {
		t.Errorf("got attributes %v, want only %s", r.Attributes, AttrIsActive)
	}
	if want := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC); !r.LastSeen.Equal(want) {
		t.Errorf("got LastSeen %v, want %v (from updatedAt)", r.LastSeen, want)
	}
	if r.Serials != nil {
		t.Errorf("got serials %v, want none for an absent serialNumber", r.Serials)
	}
}
