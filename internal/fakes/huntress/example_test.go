package huntress_test

import (
	"fmt"
	"net/http"
	"time"

	"github.com/postern/postern/internal/fakes/huntress"
)

// A sync test starts the fake, gives it agents, points an integration at
// srv.URL() (clientId "pk", clientSecret "sk") and breaks things between
// syncs.
func Example() {
	srv := huntress.NewServer("pk", "sk")
	defer srv.Close()

	agents := srv.SetAgents([]huntress.Agent{
		{SerialNumber: "PF3ABCDE", DefenderStatus: "Protected", DefenderPolicyStatus: "Compliant", FirewallStatus: "Enabled"},
		{SerialNumber: "C02XL0GHJGH5", Platform: "darwin", FirewallStatus: "Enabled"},
		{SerialNumber: "PF3XYZ", OrganizationID: 7, DefenderStatus: "Unhealthy"},
	})
	// ... sync with cloudId = srv.URL() (and tenantId "7" for one organization) ...

	// Isolate a host.
	srv.Update(agents[0].ID, func(a *huntress.Agent) { a.FirewallStatus = "Isolated" })
	// Fail page 3 once, or cut page 2 short until cleared.
	srv.Inject(huntress.Fault{Page: 3, Status: http.StatusInternalServerError, Times: 1})
	srv.Inject(huntress.Fault{Page: 2, Truncate: true})
	srv.ClearFaults()
	// Enforce Huntress's rate limit.
	srv.SetRateLimit(60, time.Minute)
	// Regenerate the key pair: the integration should pause.
	srv.SetKeys("pk", "regenerated")

	fmt.Println(len(agents), srv.Requests())
	// Output: 3 0
}
