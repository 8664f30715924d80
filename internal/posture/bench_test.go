package posture

import (
	"fmt"
	"testing"
)

// benchPosture is a typical five-condition posture.
func benchPosture(t testing.TB) *Posture {
	return mustPosture(t, "posture:bench",
		"node:os IN ['macos', 'linux', 'windows']",
		"node:tsVersion >= '1.60'",
		"falcon:ztaScore >= 70",
		"fleet:present",
		"custom:tier != 'prod'",
	)
}

// benchAttrs is a 20-attribute device that meets benchPosture.
func benchAttrs() Map {
	m := Map{
		"node:os":             str("linux"),
		"node:osVersion":      str("6.8.0-45-generic"),
		"node:tsVersion":      str("1.102.5"),
		"node:tsReleaseTrack": str("stable"),
		"node:tsAutoUpdate":   bl(true),
		"ip:country":          str("NL"),
		"falcon:ztaScore":     num(88),
		"fleet:present":       bl(true),
		"custom:tier":         str("dev"),
	}
	for i := len(m); i < 20; i++ {
		m[fmt.Sprintf("fleetPolicy:p%d", i)] = bl(i%2 == 0)
	}
	return m
}

func BenchmarkEval(b *testing.B) {
	p := benchPosture(b)
	attrs := benchAttrs()
	if len(attrs) != 20 {
		b.Fatalf("got %d attributes, want 20", len(attrs))
	}
	b.ReportAllocs()
	for b.Loop() {
		if ok, _ := p.Eval(attrs); !ok {
			b.Fatal("posture failed")
		}
	}
}

func BenchmarkEvalFailing(b *testing.B) {
	p := benchPosture(b)
	attrs := benchAttrs()
	attrs["falcon:ztaScore"] = num(12)
	b.ReportAllocs()
	for b.Loop() {
		if ok, _ := p.Eval(attrs); ok {
			b.Fatal("posture held")
		}
	}
}

func BenchmarkParseCondition(b *testing.B) {
	b.ReportAllocs()
	for b.Loop() {
		if _, err := ParseCondition("node:os IN ['macos', 'linux', 'windows']"); err != nil {
			b.Fatal(err)
		}
	}
}
