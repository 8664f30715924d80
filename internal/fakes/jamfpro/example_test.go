package jamfpro_test

import (
	"fmt"
	"net/http"

	"github.com/postern/postern/internal/fakes/jamfpro"
)

// A sync test starts the fake, gives it computers, points an integration
// at srv.URL() with the API client's id and secret, and breaks things
// between syncs.
func Example() {
	srv := jamfpro.NewServer("client-id", "client-secret")
	defer srv.Close()

	cs := srv.SetComputers([]jamfpro.Computer{
		{SerialNumber: "C02XL0GHJGH5", RemoteManaged: true, FirewallEnabled: true, FileVaultStatus: "ALL_ENCRYPTED", SIPStatus: "ENABLED"},
		{SerialNumber: "C02NEW", NoInventory: true},
	})
	// ... sync with cloudId = srv.URL() ...

	// Flip a value.
	srv.Update(cs[0].ID, func(c *jamfpro.Computer) { c.FileVaultStatus = "NOT_ENCRYPTED" })
	// Fail page 3 once; answer 429 on every token request until cleared.
	srv.Inject(jamfpro.Fault{Endpoint: jamfpro.EndpointInventory, Page: 3, Status: http.StatusInternalServerError, Times: 1})
	srv.Inject(jamfpro.Fault{Endpoint: jamfpro.EndpointToken, Status: http.StatusTooManyRequests})
	srv.ClearFaults()
	// Take Read Computers away from the API role: a configuration error.
	srv.SetReadComputers(false)
	// Rotate the client secret: the integration should pause.
	srv.SetCredentials("client-id", "rotated")
	srv.RevokeTokens()

	fmt.Println(cs[0].ID, cs[1].ID, srv.Requests(jamfpro.EndpointInventory))
	// Output: 1 2 0
}
