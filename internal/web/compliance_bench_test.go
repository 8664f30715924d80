package web

import (
	"fmt"
	"net/netip"
	"testing"

	"github.com/postern/postern"
	"github.com/postern/postern/internal/policy"
	"github.com/postern/postern/internal/posture"
	"github.com/postern/postern/internal/providers"
)

// BenchmarkCounts counts three postures' compliance on a tailnet of 5000
// devices, a tenth of them tagged servers that are only destinations:
// what each overview view and the daily snapshot pay, compile included.
func BenchmarkCounts(b *testing.B) {
	const n = 5000
	p, err := policy.Parse([]byte(`{
  "tagOwners": {"tag:server": []},
  "postures": {"posture:a": ["custom:ok == true"], "posture:b": ["node:os == 'macos'"], "posture:c": ["custom:ok == true"]},
  "defaultSrcPosture": ["posture:c"],
  "acls": [
    {"action": "accept", "src": ["autogroup:member"], "dst": ["tag:server:22"], "srcPosture": ["posture:a", "posture:b"]},
    {"action": "accept", "src": ["autogroup:member"], "dst": ["tag:server:443"]},
  ],
}`), providers.Catalog().Lenient())
	if err != nil {
		b.Fatal(err)
	}
	f := &tailnetState{attrs: map[int64][]postern.Attribute{}, users: map[string]postern.User{
		"u1": {ID: "u1", LoginName: "a@example.com", Role: postern.RoleMember}}, passes: map[int64]map[string]bool{}, policy: p}
	for _, name := range []string{"posture:a", "posture:b", "posture:c"} {
		f.postures = append(f.postures, p.Postures[name])
	}
	for i := range n {
		d := postern.Device{ID: int64(i + 1), Name: fmt.Sprintf("dev%d", i), UserID: "u1", Authorized: true,
			IPv4: netip.AddrFrom4([4]byte{100, 64, byte(i >> 8), byte(i)})}
		if i%10 == 0 {
			d.Tags = []string{"tag:server"}
		}
		f.devices = append(f.devices, d)
		f.attrs[d.ID] = []postern.Attribute{{DeviceID: d.ID, Key: "custom:ok", Value: postern.Bool(i%3 == 0)}}
		f.passes[d.ID] = map[string]bool{}
		for _, ps := range f.postures {
			ok, _ := ps.Eval(posture.Map{"custom:ok": postern.Bool(i%3 == 0)})
			f.passes[d.ID][ps.Name] = ok
		}
	}
	b.ReportAllocs()
	for b.Loop() {
		counts, err := f.counts()
		if err != nil {
			b.Fatal(err)
		}
		if counts[0].Pass+counts[0].Fail != n-n/10 {
			b.Fatalf("posture:a counted %d devices, want the %d members", counts[0].Pass+counts[0].Fail, n-n/10)
		}
	}
}
