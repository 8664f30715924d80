package falcon_test

import (
	"fmt"
	"net/http"
	"time"

	"github.com/postern/postern/internal/fakes/falcon"
)

// A sync test starts the fake, gives it hosts, points an integration at
// srv.URL() and breaks things between syncs.
func Example() {
	srv := falcon.NewServer("client-id", "client-secret")
	defer srv.Close()

	hosts := srv.SetDevices([]falcon.Device{
		{Serial: "C02D91CNPV4M", MAC: "08-00-27-51-56-d8", ZTAScore: 87},
		{Serial: "PF3ABCDE", ZTAScore: 40},
	})
	// ... sync with cloudId = srv.URL() ...

	// Flip a value.
	srv.Update(hosts[1].AID, func(d *falcon.Device) { d.ZTAScore = 90 })
	// Fail the third ZTA batch until cleared, or rate-limit once.
	srv.Inject(falcon.Fault{Endpoint: falcon.EndpointZTA, Page: 3, Status: http.StatusInternalServerError})
	srv.ClearFaults()
	srv.Inject(falcon.Fault{Endpoint: falcon.EndpointScroll, Status: http.StatusTooManyRequests, RetryAfter: time.Second, Times: 1})
	// Refuse the credentials: the integration should pause.
	srv.SetCredentials("client-id", "rotated")

	fmt.Println(srv.Requests(falcon.EndpointToken))
	// Output: 0
}
