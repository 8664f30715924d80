package falcon

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/postern/postern"
	"github.com/postern/postern/internal/integrations"
)

// apiError is one entry of a response's "errors" list.
type apiError struct {
	Code    int    `json:"code"`
	Message string `json:"message"`
}

// envelope is the shape of every Falcon response. "errors" may be null
// or [].
type envelope[T any] struct {
	Meta struct {
		Pagination struct {
			Total  int    `json:"total"`
			Offset string `json:"offset"`
		} `json:"pagination"`
	} `json:"meta"`
	Resources []T        `json:"resources"`
	Errors    []apiError `json:"errors"`
}

// decode parses body into an envelope. Errors in a 2xx body fail the
// request, except "not found" entries: the entity endpoints report unknown
// ids that way while answering for the others.
// capacity, if non-zero, is how many resources to expect, so that
// decoding does not grow the slice step by step.
func decode[T any](body []byte, what string, capacity int) (*envelope[T], error) {
	var e envelope[T]
	if capacity > 0 {
		e.Resources = make([]T, 0, capacity)
	}
	if err := json.Unmarshal(body, &e); err != nil {
		return nil, fmt.Errorf("decoding %s: %w", what, err)
	}
	for _, ae := range e.Errors {
		if ae.Code != http.StatusNotFound {
			return nil, fmt.Errorf("%s: API reported %s (code %d)", what, ae.Message, ae.Code)
		}
	}
	return &e, nil
}

// explain puts the API's own message for a failed request (errors[0])
// in front of err.
func explain(err error) error {
	var se *integrations.StatusError
	if !errors.As(err, &se) {
		return err
	}
	var e envelope[json.RawMessage]
	if json.Unmarshal([]byte(se.Body), &e) != nil || len(e.Errors) == 0 || e.Errors[0].Message == "" {
		return err
	}
	return fmt.Errorf("%s: %w", e.Errors[0].Message, err)
}

// device is the part of a device-details resource Postern uses.
type device struct {
	DeviceID      string `json:"device_id"`
	Hostname      string `json:"hostname"`
	SerialNumber  string `json:"serial_number"`
	MACAddress    string `json:"mac_address"`
	ConnectionMAC string `json:"connection_mac_address"`
	LastSeen      string `json:"last_seen"`
}

// assessment is the part of a ZTA resource Postern uses.
type assessment struct {
	AID                string `json:"aid"`
	SystemSerialNumber string `json:"system_serial_number"`
	Assessment         *struct {
		Overall *float64 `json:"overall"`
	} `json:"assessment"`
}

// record turns d and its assessment a (zero if it has none) into a
// Record.
func (d *device) record(a assessment) integrations.Record {
	r := integrations.Record{VendorID: d.DeviceID, Hostname: d.Hostname}
	for _, serial := range []string{d.SerialNumber, a.SystemSerialNumber} {
		if serial != "" && !containsFold(r.Serials, serial) {
			r.Serials = append(r.Serials, serial)
		}
	}
	for _, mac := range []string{d.MACAddress, d.ConnectionMAC} {
		if mac != "" && !containsFold(r.MACs, mac) {
			r.MACs = append(r.MACs, mac)
		}
	}
	if d.LastSeen != "" {
		if t, err := time.Parse(time.RFC3339Nano, d.LastSeen); err == nil {
			r.LastSeen = t
		}
	}
	if a.Assessment != nil && a.Assessment.Overall != nil {
		r.Attributes = map[string]postern.Value{AttrZTAScore: postern.Number(*a.Assessment.Overall)}
	}
	return r
}

func containsFold(list []string, s string) bool {
	for _, x := range list {
		if strings.EqualFold(x, s) {
			return true
		}
	}
	return false
}
