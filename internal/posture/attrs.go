package posture

import "github.com/postern/postern"

// Attrs looks up a device's posture attributes by key ("namespace:name").
// A missing key, or a zero Value, means the attribute is not set.
type Attrs interface {
	Get(key string) (postern.Value, bool)
}

// Map is an Attrs held in a map; the zero (nil) Map has no attributes.
type Map map[string]postern.Value

// Get returns the value under key and whether it is set.
func (m Map) Get(key string) (postern.Value, bool) {
	v, ok := m[key]
	return v, ok && v.IsSet()
}
