package kolide_test

import (
	"fmt"
	"net/http"

	"github.com/postern/postern/internal/fakes/kolide"
)

// A sync test starts the fake, gives it devices, points an integration at
// srv.URL() and breaks things between syncs.
func Example() {
	srv := kolide.NewServer("k2sk_v1_test")
	defer srv.Close()

	devices := srv.SetDevices([]kolide.Device{
		{Serial: "C02XL0GHJGH5", AuthState: kolide.Good},
		{Serial: "PF3ABCDE", AuthState: kolide.WillBlock},
		{DeviceType: "iOS", AuthState: kolide.Good}, // no serial: matches nothing
	})
	// ... sync with cloudId = srv.URL() ...

	// Flip a value.
	srv.Update(devices[1].ID, func(d *kolide.Device) { d.AuthState = kolide.Blocked })
	// Rate-limit page 2 once, or cut page 3 short until cleared.
	srv.Inject(kolide.Fault{Page: 2, Status: http.StatusTooManyRequests, Times: 1})
	srv.Inject(kolide.Fault{Page: 3, Truncate: true})
	srv.ClearFaults()
	// Delete the key: the integration should pause.
	srv.SetToken("k2sk_v1_rotated")

	fmt.Println(len(devices), srv.Requests())
	// Output: 3 0
}
