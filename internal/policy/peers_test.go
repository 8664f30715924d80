package policy

import (
	"slices"
	"sync"
	"testing"

	"github.com/postern/postern"
	"github.com/postern/postern/internal/posture"
)

func TestPeers(t *testing.T) {
	users, nodes := exampleTailnet()
	text := "{" + exampleDefs + `
	  "acls": [{"action": "accept", "src": ["bob@example.com"], "dst": ["tag:server:22", "192.168.1.0/24:*"]},
	           {"action": "accept", "src": ["autogroup:member"], "dst": ["autogroup:self:*"]}]}`
	c, err := Load([]byte(text), testCatalog, users, nodes)
	if err != nil {
		t.Fatal(err)
	}
	for _, tt := range []struct {
		node int64
		want []int64
	}{
		{1, []int64{3}},      // alice-mac: her phone via autogroup:self
		{2, []int64{10, 20}}, // bob: the server and the subnet router
		{10, []int64{2}},     // server: bob may reach it
		{20, []int64{2}},     // router: bob reaches its subnet
		{30, nil},            // exit: nobody
		{99, nil},            // unknown node
		{3, []int64{1}},      // alice-phone: alice-mac
	} {
		if got := c.Peers(tt.node); !slices.Equal(got, tt.want) {
			t.Errorf("Peers(%d): got %v, want %v", tt.node, got, tt.want)
		}
	}
}

// TestPostureWithAddressSource checks that a posture-bound rule whose
// source is a prefix keeps only the passing nodes' addresses inside it.
func TestPostureWithAddressSource(t *testing.T) {
	users, nodes := exampleTailnet()
	text := "{" + exampleDefs + `
	  "postures": {"posture:mac": ["node:os == 'macos'"]},
	  "acls": [{"action": "accept", "src": ["100.64.0.0/16", "172.16.0.0/12"], "dst": ["tag:server:22"], "srcPosture": ["posture:mac"]}]}`
	c, err := Load([]byte(text), testCatalog, users, nodes)
	if err != nil {
		t.Fatal(err)
	}
	if got, want := srcIPs(c, 10), []string{"100.64.0.1", "172.16.0.0/12"}; !slices.Equal(got, want) {
		t.Errorf("server sources: got %v, want %v", got, want)
	}
	if d := c.Check(1, mustAddr("fd7a:115c:a1e0::10"), 6, 22); d.Allowed {
		t.Errorf("Check over IPv6 from outside the source prefix: got allowed, want denied")
	}
}

// TestConcurrentReadersAndSetAttrs runs readers while a writer flips a
// node's posture; run with -race.
func TestConcurrentReadersAndSetAttrs(t *testing.T) {
	c := compilePosture(t)
	good := posture.Map{"falcon:ztaScore": postern.Number(90), "node:os": postern.String("linux")}
	bad := posture.Map{"node:os": postern.String("windows")}
	var wg sync.WaitGroup
	stop := make(chan struct{})
	for r := 0; r < 2; r++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				select {
				case <-stop:
					return
				default:
				}
				c.Filter(3)
				c.Peers(3)
				c.Check(2, mustAddr("100.64.0.3"), 6, 22)
			}
		}()
	}
	for i := 0; i < 200; i++ {
		if i%2 == 0 {
			c.SetAttrs(2, good)
		} else {
			c.SetAttrs(2, bad)
		}
	}
	close(stop)
	wg.Wait()
	if d := c.Check(2, mustAddr("100.64.0.3"), 6, 22); d.Allowed {
		t.Errorf("after the last flip to a failing posture: got allowed, want denied")
	}
}
