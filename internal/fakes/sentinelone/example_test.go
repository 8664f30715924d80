package sentinelone_test

import (
	"fmt"
	"net/http"

	"github.com/postern/postern/internal/fakes/sentinelone"
)

// A sync test starts the fake, gives it agents, points an integration at
// srv.URL() and breaks things between syncs.
func Example() {
	srv := sentinelone.NewServer("api-token")
	defer srv.Close()

	agents := srv.SetAgents([]sentinelone.Agent{
		{SerialNumber: "C02XL0GHJGH5", IsActive: true, FirewallEnabled: true},
		{SerialNumber: "PF3ABCDE", ActiveThreats: 2, Infected: true},
		{SerialNumber: "OLD", IsDecommissioned: true},
	})
	// ... sync with cloudId = srv.URL() ...

	// Flip a value.
	srv.Update(agents[1].ID, func(a *sentinelone.Agent) { a.ActiveThreats, a.Infected = 0, false })
	// Fail page 3 once, or cut page 2 short until cleared.
	srv.Inject(sentinelone.Fault{Page: 3, Status: http.StatusInternalServerError, Times: 1})
	srv.Inject(sentinelone.Fault{Page: 2, Truncate: true})
	srv.ClearFaults()
	// Rotate the token: the integration should pause.
	srv.SetToken("rotated")

	fmt.Println(len(agents), srv.Requests())
	// Output: 3 0
}
