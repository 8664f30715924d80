package huntress

import (
	"fmt"
	"os"
	"testing"
	"time"

	"github.com/postern/postern/internal/fakes/fakebench"
	fakehuntress "github.com/postern/postern/internal/fakes/huntress"
	"github.com/postern/postern/internal/integrations"
)

// serveEnv, when set to an agent count, makes the test binary serve a
// fake Huntress with that many agents instead of running tests; the
// benchmark runs it as a child process, so that its memory figures are
// the client's alone.
const serveEnv = "POSTERN_BENCH_FAKE_HUNTRESS_AGENTS"

func TestMain(m *testing.M) {
	if fakebench.ServeChild(serveEnv, serveFake) {
		return
	}
	os.Exit(m.Run())
}

// serveFake starts a fake Huntress with n Windows agents, for the child
// process.
func serveFake(n int) (url string, stop func()) {
	srv := fakehuntress.NewServer(pub, priv)
	agents := make([]fakehuntress.Agent, n)
	seen := time.Date(2026, 11, 20, 8, 0, 0, 0, time.UTC)
	status := []string{"Protected", "Unhealthy", "Unmanaged", "Incompatible"}
	policy := []string{"Compliant", "Non Compliant", "Pending", "Unknown", "Gpo Conflict"}
	firewall := []string{"Enabled", "Disabled", "Isolated", "Pending Isolation", "Pending Release"}
	for i := range agents {
		agents[i] = fakehuntress.Agent{
			SerialNumber:         benchSerial(i),
			DefenderStatus:       status[i%len(status)],
			DefenderPolicyStatus: policy[i%len(policy)],
			DefenderSubstatus:    "Up to date",
			FirewallStatus:       firewall[i%len(firewall)],
			MACAddresses:         []string{fmt.Sprintf("02:00:%02x:%02x:%02x:%02x", byte(i>>24), byte(i>>16), byte(i>>8), byte(i))},
			LastCallbackAt:       seen.Add(time.Duration(i) * time.Second),
		}
	}
	srv.SetAgents(agents)
	return srv.URL(), srv.Close
}

func benchSerial(i int) string { return fmt.Sprintf("PF%08d", i) }

// BenchmarkSync100k is the target for a provider: 100,000
// Huntress agents, paged 500 at a time over loopback HTTP from a fake in
// a child process, fetched by the client and matched against 10,000
// tailnet device identities (8,000 with a serial Huntress knows). Besides
// ns/op and B/op it reports fetch-s/op and match-s/op, peak-heap-MB (the
// highest live heap sampled during the runs) and maxrss-MB for this
// process.
func BenchmarkSync100k(b *testing.B) {
	const agents, devices = 100_000, 10_000
	url := fakebench.StartChild(b, serveEnv, agents)
	c, err := New(integrations.Config{BaseURL: url, ClientID: pub, Secret: priv, HTTP: integrations.NewClient()})
	if err != nil {
		b.Fatal(err)
	}
	fakebench.FetchAndMatch(b, c, Provider().MatchMAC, agents, fakebench.Identities(devices, agents, benchSerial))
}
