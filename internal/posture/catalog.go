package posture

import "github.com/postern/postern"

// Attr is one attribute of a catalogue: its full name, its type and, for
// a string, the values it takes. The writer of the attribute (a posture
// provider, or the control server for node:*) declares it; the type
// checker, the docs and the console read it.
type Attr struct {
	Name    string       // e.g. "kandji:mdmEnabled"
	Kind    postern.Kind // postern.KindString, KindNumber or KindBool
	Version bool         // a string compared as a version (CompareVersions)
	Values  []string     // the values a string takes; empty means any
	Doc     string       // one sentence for the docs and the console
}

// Namespace is the attributes under one prefix ("kandji" for
// "kandji:..."), as the one writer of that prefix declares them.
//
// A closed namespace lists every attribute in Attrs, so an unknown name
// in it is a mistake to report. An open one (Open) accepts any name, each
// of kind OpenKind (KindNone: any kind), as fleetPolicy:<name> and
// custom:<name> do.
type Namespace struct {
	Name     string // the prefix, without the colon
	Attrs    []Attr
	Open     bool
	OpenKind postern.Kind
}
