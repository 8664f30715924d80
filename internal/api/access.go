package api

import (
	"net/http"
	"net/netip"

	"github.com/postern/postern/internal/policy"
	"github.com/postern/postern/internal/tailnet"
)

// access answers GET /device/{id}/access?dst=HOST:PORT&proto=tcp: whether
// the device may reach the destination now under the policy in force, and
// why (Postern's addition to the API).
func (a *API) access(w http.ResponseWriter, r *http.Request, p *principal) error {
	if a.decisions == nil {
		return notFound("endpoint", r.URL.Path)
	}
	d, err := a.deviceOf(r)
	if err != nil {
		return err
	}
	q := r.URL.Query()
	aq, err := tailnet.ParseAccessQuery(r.Context(), a.st, a.tailnetID, a.baseDomain, q.Get("dst"), q.Get("proto"))
	if err != nil {
		return err
	}
	dst, port, protoName := aq.Dst, uint64(aq.Port), aq.ProtoName
	dec := a.decisions.Check(d.ID, dst, aq.Proto, aq.Port)
	writeJSON(w, http.StatusOK, struct {
		Src   string `json:"src"`
		Dst   string `json:"dst"`
		Proto string `json:"proto"`
		Port  uint64 `json:"port"`
		policy.Decision
	}{Src: d.NodeID, Dst: netip.AddrPortFrom(dst, uint16(port)).String(), Proto: protoName, Port: port, Decision: dec})
	return nil
}
