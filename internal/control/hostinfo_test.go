package control

import (
	"testing"

	"tailscale.com/tailcfg"
	"tailscale.com/types/opt"

	"github.com/postern/postern"
)

func TestNodeAttributes(t *testing.T) {
	tests := []struct {
		name string
		hi   *tailcfg.Hostinfo
		want map[string]postern.Value
	}{
		{"nil", nil, map[string]postern.Value{}},
		{"linux stable", &tailcfg.Hostinfo{OS: "linux", OSVersion: "6.8.0", IPNVersion: "1.102.5-tdeadbeef-gcafe", StateEncrypted: opt.False}, map[string]postern.Value{
			"node:os":               postern.String("linux"),
			"node:osVersion":        postern.String("6.8.0"),
			"node:tsVersion":        postern.String("1.102.5"),
			"node:tsReleaseTrack":   postern.String("stable"),
			"node:tsAutoUpdate":     postern.Bool(false),
			"node:tsStateEncrypted": postern.Bool(false),
		}},
		{"macOS unstable autoupdate", &tailcfg.Hostinfo{OS: "macOS", IPNVersion: "1.103.40", AllowsUpdate: true}, map[string]postern.Value{
			"node:os":             postern.String("macos"),
			"node:tsVersion":      postern.String("1.103.40"),
			"node:tsReleaseTrack": postern.String("unstable"),
			"node:tsAutoUpdate":   postern.Bool(true),
		}},
		{"garbage version", &tailcfg.Hostinfo{OS: "windows", IPNVersion: "dev-build"}, map[string]postern.Value{
			"node:os":           postern.String("windows"),
			"node:tsAutoUpdate": postern.Bool(false),
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := NodeAttributes(tt.hi)
			if !sameAttrs(got, tt.want) {
				t.Errorf("got %v, want %v", got, tt.want)
			}
		})
	}
}
