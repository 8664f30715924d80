package tailnet

import (
	"reflect"
	"testing"
)

// TestChangeMergeKeepsEveryField fails when a field is added to Change
// without Merge carrying it (and Empty seeing it): it fills every field of
// a Change by reflection, merges it into a zero one, and checks that
// nothing was dropped.
func TestChangeMergeKeepsEveryField(t *testing.T) {
	var o Change
	v := reflect.ValueOf(&o).Elem()
	for i := range v.NumField() {
		f := v.Field(i)
		switch f.Kind() {
		case reflect.Bool:
			f.SetBool(true)
		case reflect.String:
			f.SetString("x")
		case reflect.Slice:
			s := reflect.MakeSlice(f.Type(), 1, 1)
			s.Index(0).Set(reflect.ValueOf(int64(7)).Convert(f.Type().Elem()))
			f.Set(s)
		default:
			t.Fatalf("Change.%s has kind %s, which this test cannot fill: extend it", v.Type().Field(i).Name, f.Kind())
		}
	}
	var c Change
	c.Merge(o)
	got := reflect.ValueOf(c)
	for i := range got.NumField() {
		if got.Field(i).IsZero() {
			t.Errorf("Merge dropped Change.%s", got.Type().Field(i).Name)
		}
	}
	// Each field on its own makes a Change non-empty, or a consumer would
	// skip it.
	for i := range v.NumField() {
		var one Change
		if v.Type().Field(i).Name == "TailnetID" {
			continue // says where, not what
		}
		reflect.ValueOf(&one).Elem().Field(i).Set(v.Field(i))
		if one.Empty() {
			t.Errorf("a Change with only %s set is Empty", v.Type().Field(i).Name)
		}
	}
}
