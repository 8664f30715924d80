package providers

import (
	"bytes"
	"fmt"
	"strings"

	"github.com/postern/postern/internal/integrations"
	"github.com/postern/postern/internal/posture"
)

// AttributesMarkdown renders the attribute catalogue as docs/attributes.md:
// one table per namespace, with each attribute's name, type, values and
// description.
func AttributesMarkdown() []byte {
	owner := map[string]integrations.Provider{}
	for _, p := range All() {
		for _, ns := range p.Namespaces {
			owner[ns.Name] = p
		}
	}
	var b bytes.Buffer
	b.WriteString("# Posture attributes\n\n")
	b.WriteString("<!-- Generated from the attribute catalogue by `go test ./internal/providers -update`; do not edit. -->\n\n")
	b.WriteString("Every attribute a posture condition may name, as the policy checker knows it. In a\n")
	b.WriteString("provider's namespace an unknown name is an error (with the nearest known name as a\n")
	b.WriteString("suggestion), and so is a string outside an attribute's values or a literal of another\n")
	var open []string
	for _, ns := range Catalog().Namespaces() {
		if ns.Open {
			open = append(open, "`"+ns.Name+":`")
		}
	}
	fmt.Fprintf(&b, "type. Open namespaces (%s) take any name.\n", strings.Join(open, ", "))
	for _, p := range All() {
		if p.Declared != nil {
			fmt.Fprintf(&b, "\nA %s (provider `%s`) adds a namespace of its own, named by its integration's `tenantId`,\n", strings.ToLower(p.Label), p.ID)
			b.WriteString("with the attributes and types its schema declares; it is open (any name) until its first\n")
			b.WriteString("successful sync, and is not listed here.\n")
		}
	}
	for _, ns := range Catalog().Namespaces() {
		fmt.Fprintf(&b, "\n## `%s:`", ns.Name)
		if p, ok := owner[ns.Name]; ok {
			fmt.Fprintf(&b, " (%s, provider `%s`)", p.Label, p.ID)
		} else {
			b.WriteString(" (built in)")
		}
		b.WriteString("\n\n")
		if ns.Doc != "" {
			b.WriteString(ns.Doc + "\n\n")
		}
		if ns.Open {
			kind := "any type"
			if ns.OpenKind != 0 {
				kind = "a " + ns.OpenKind.String()
			}
			fmt.Fprintf(&b, "Open: any `%s:{name}`, each %s.\n", ns.Name, kind)
			if len(ns.Attrs) == 0 {
				continue
			}
			b.WriteString("\n")
		}
		b.WriteString("| attribute | type | values | description |\n|---|---|---|---|\n")
		for _, a := range ns.Attrs {
			fmt.Fprintf(&b, "| `%s` | %s | %s | %s |\n", a.Name, kindOf(a), valuesOf(a), docOf(a))
		}
	}
	return b.Bytes()
}

func kindOf(a posture.Attr) string {
	if a.Version {
		return "version"
	}
	return a.Kind.String()
}

func valuesOf(a posture.Attr) string {
	switch {
	case len(a.Values) > 0:
		q := make([]string, len(a.Values))
		for i, v := range a.Values {
			q[i] = "`" + v + "`"
		}
		return strings.Join(q, ", ")
	case a.Kind.String() == "bool" && a.NumericBool:
		return "`true`, `false` (or `1`, `0`)"
	case a.Kind.String() == "bool":
		return "`true`, `false`"
	}
	return "any"
}

func docOf(a posture.Attr) string {
	if a.Unavailable != "" {
		return a.Doc + " **Not available:** " + a.Unavailable + "."
	}
	return a.Doc
}
