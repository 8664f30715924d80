package feed

import (
	"encoding/json"
	"fmt"
	"maps"
	"math"
	"regexp"
	"slices"
	"time"
	"unicode/utf8"

	"github.com/postern/postern"
	"github.com/postern/postern/internal/integrations"
)

// The attribute types a schema declares.
const (
	typeBool    = "bool"
	typeNumber  = "number"
	typeString  = "string"
	typeVersion = "version"
)

// Bounds on what a feed can make Postern hold.
const (
	maxAttrs       = 64      // attributes in a schema
	maxValues      = 64      // declared values of one string attribute
	maxString      = 256     // a string value, a declared value, a device id
	maxIDs         = 16      // serials, and MACs, of one device
	maxIDLen       = 128     // one serial or MAC
	maxCursor      = 1024    // a cursor
	maxRecords     = 5000000 // devices in one listing
	maxPageDevices = 100000  // devices on one page
)

// nameRE is what a bare attribute name may be.
var nameRE = regexp.MustCompile(`^[a-zA-Z][a-zA-Z0-9_]{0,63}$`)

// wirePage is one answer of GET /v1/devices. Pointers tell a missing
// field from an empty one.
type wirePage struct {
	Schema     *wireSchema   `json:"schema"`
	Devices    *[]wireDevice `json:"devices"`
	NextCursor *string       `json:"nextCursor"`
}

type wireSchema struct {
	Attributes map[string]wireAttr `json:"attributes"`
}

type wireAttr struct {
	Type   string   `json:"type"`
	Values []string `json:"values,omitempty"`
}

type wireDevice struct {
	ID         string                     `json:"id"`
	Serials    []string                   `json:"serials"`
	MACs       []string                   `json:"macs"`
	LastSeen   string                     `json:"lastSeen"`
	Attributes map[string]json.RawMessage `json:"attributes"`
}

func (a wireAttr) kind() postern.Kind {
	switch a.Type {
	case typeBool:
		return postern.KindBool
	case typeNumber:
		return postern.KindNumber
	}
	return postern.KindString
}

// check validates a declared schema.
func (s *wireSchema) check() error {
	if s.Attributes == nil {
		return fmt.Errorf("the schema has no \"attributes\" object")
	}
	if len(s.Attributes) > maxAttrs {
		return fmt.Errorf("the schema declares %d attributes, more than the %d allowed", len(s.Attributes), maxAttrs)
	}
	for _, name := range slices.Sorted(maps.Keys(s.Attributes)) {
		a := s.Attributes[name]
		if !nameRE.MatchString(name) {
			return fmt.Errorf("the schema declares %q, which is not a valid attribute name (a letter, then up to 63 letters, digits or _)", name)
		}
		switch a.Type {
		case typeBool, typeNumber, typeVersion:
			if len(a.Values) > 0 {
				return fmt.Errorf("the schema declares values for %s, which is a %s; only a string takes values", name, a.Type)
			}
		case typeString:
			if len(a.Values) > maxValues {
				return fmt.Errorf("the schema declares %d values for %s, more than the %d allowed", len(a.Values), name, maxValues)
			}
			for _, v := range a.Values {
				if err := checkString(v); err != nil {
					return fmt.Errorf("the schema declares a value of %s that %w", name, err)
				}
			}
		default:
			return fmt.Errorf("the schema declares %s with type %q; want bool, number, string or version", name, a.Type)
		}
	}
	return nil
}

// equal reports whether s and o declare the same attributes.
func (s *wireSchema) equal(o *wireSchema) bool {
	return maps.EqualFunc(s.Attributes, o.Attributes, func(a, b wireAttr) bool {
		return a.Type == b.Type && slices.Equal(a.Values, b.Values)
	})
}

// checkString refuses a string Postern will not hold.
func checkString(s string) error {
	switch {
	case s == "":
		return fmt.Errorf("is empty")
	case len(s) > maxString:
		return fmt.Errorf("is longer than %d bytes", maxString)
	case !utf8.ValidString(s):
		return fmt.Errorf("is not valid UTF-8")
	}
	for _, r := range s {
		if r < 0x20 || r == 0x7f || r == '\'' {
			return fmt.Errorf("holds a control character or a single quote")
		}
	}
	return nil
}

// record turns d into a Record, with attribute names under ns, checking
// it against schema.
func (d *wireDevice) record(ns string, schema *wireSchema) (integrations.Record, error) {
	r := integrations.Record{VendorID: d.ID, Hostname: d.ID}
	if err := checkString(d.ID); err != nil {
		return r, fmt.Errorf("a device's id %q %w", truncate(d.ID), err)
	}
	if len(d.Serials) == 0 && len(d.MACs) == 0 {
		return r, fmt.Errorf("device %q has neither serials nor macs to match it by", d.ID)
	}
	for _, ids := range [][]string{d.Serials, d.MACs} {
		if len(ids) > maxIDs {
			return r, fmt.Errorf("device %q has more than %d serials or macs", d.ID, maxIDs)
		}
		for _, s := range ids {
			if s == "" || len(s) > maxIDLen {
				return r, fmt.Errorf("device %q has an empty serial or mac, or one longer than %d bytes", d.ID, maxIDLen)
			}
		}
	}
	r.Serials, r.MACs = d.Serials, d.MACs
	if d.LastSeen != "" {
		t, err := time.Parse(time.RFC3339, d.LastSeen)
		if err != nil {
			return r, fmt.Errorf("device %q has a lastSeen %q that is not an RFC 3339 time", d.ID, truncate(d.LastSeen))
		}
		r.LastSeen = t
	}
	r.Attributes = make(map[string]postern.Value, len(d.Attributes))
	for name, raw := range d.Attributes {
		decl, ok := schema.Attributes[name]
		if !ok {
			return r, fmt.Errorf("device %q has attribute %q, which the schema does not declare", d.ID, truncate(name))
		}
		v, err := value(decl, raw)
		if err != nil {
			return r, fmt.Errorf("device %q has %s %w", d.ID, name, err)
		}
		if v.IsSet() {
			r.Attributes[ns+":"+name] = v
		}
	}
	return r, nil
}

// value decodes raw as decl says; JSON null is an unset value.
func value(decl wireAttr, raw json.RawMessage) (postern.Value, error) {
	if string(raw) == "null" {
		return postern.Value{}, nil
	}
	switch decl.Type {
	case typeBool:
		var b bool
		if json.Unmarshal(raw, &b) != nil {
			return postern.Value{}, fmt.Errorf("= %s, which is not a bool as the schema declares", truncate(string(raw)))
		}
		return postern.Bool(b), nil
	case typeNumber:
		var f float64
		if json.Unmarshal(raw, &f) != nil || math.IsInf(f, 0) || math.IsNaN(f) {
			return postern.Value{}, fmt.Errorf("= %s, which is not a number as the schema declares", truncate(string(raw)))
		}
		return postern.Number(f), nil
	}
	var s string
	if json.Unmarshal(raw, &s) != nil {
		return postern.Value{}, fmt.Errorf("= %s, which is not a %s (a JSON string) as the schema declares", truncate(string(raw)), decl.Type)
	}
	if err := checkString(s); err != nil {
		return postern.Value{}, fmt.Errorf("= a string that %w", err)
	}
	if len(decl.Values) > 0 && !slices.Contains(decl.Values, s) {
		return postern.Value{}, fmt.Errorf("= %q, which is not one of the values the schema declares", s)
	}
	return postern.String(s), nil
}

// truncate shortens text from a feed for an error message.
func truncate(s string) string {
	if len(s) <= 64 {
		return s
	}
	return s[:64] + "..."
}
