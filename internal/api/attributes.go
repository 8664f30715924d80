package api

import (
	"encoding/json"
	"net/http"
	"time"

	"github.com/postern/postern"
	"github.com/postern/postern/internal/tailnet"
)

func (a *API) getAttributes(w http.ResponseWriter, r *http.Request, p *principal) error {
	d, err := a.deviceOf(r)
	if err != nil {
		return err
	}
	attrs, err := a.st.Attributes(r.Context(), d.ID)
	if err != nil {
		return err
	}
	out := struct {
		Attributes map[string]postern.Value `json:"attributes"`
		Expiries   map[string]string        `json:"expiries,omitempty"`
	}{Attributes: map[string]postern.Value{}}
	for _, at := range attrs {
		out.Attributes[at.Key] = at.Value
		if !at.Expiry.IsZero() {
			if out.Expiries == nil {
				out.Expiries = map[string]string{}
			}
			out.Expiries[at.Key] = rfc3339(at.Expiry)
		}
	}
	writeJSON(w, http.StatusOK, out)
	return nil
}

// attrRequest is the body of a single attribute write.
type attrRequest struct {
	Value   *postern.Value `json:"value"`
	Expiry  string         `json:"expiry"`
	Comment string         `json:"comment"`
}

func (req attrRequest) update(key string) (tailnet.AttrUpdate, error) {
	u := tailnet.AttrUpdate{Key: key}
	if req.Value == nil || !req.Value.IsSet() {
		return u, badf("missing value for %s", key)
	}
	u.Value = *req.Value
	if req.Expiry != "" {
		t, err := time.Parse(time.RFC3339Nano, req.Expiry)
		if err != nil {
			return u, badf("expiry %q is not an RFC 3339 time", req.Expiry)
		}
		u.Expiry = t
	}
	return u, nil
}

func (a *API) setAttribute(w http.ResponseWriter, r *http.Request, p *principal) error {
	d, err := a.deviceOf(r)
	if err != nil {
		return err
	}
	var req attrRequest
	if err := decodeStrict(r, &req); err != nil {
		return err
	}
	u, err := req.update(r.PathValue("key"))
	if err == nil {
		err = a.svc.SetCustomAttributes(r.Context(), p.auditContext(), a.tailnetID, map[int64][]tailnet.AttrUpdate{d.ID: {u}}, req.Comment)
	}
	if err != nil {
		return err
	}
	return a.getAttributes(w, r, p)
}

func (a *API) deleteAttribute(w http.ResponseWriter, r *http.Request, p *principal) error {
	d, err := a.deviceOf(r)
	if err == nil {
		u := tailnet.AttrUpdate{Key: r.PathValue("key"), Delete: true}
		err = a.svc.SetCustomAttributes(r.Context(), p.auditContext(), a.tailnetID, map[int64][]tailnet.AttrUpdate{d.ID: {u}}, "")
	}
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, struct{}{})
	return nil
}

// batchAttributes is PATCH /tailnet/{t}/device-attributes, a JSON merge
// patch of custom attributes across devices; null deletes a key.
func (a *API) batchAttributes(w http.ResponseWriter, r *http.Request, p *principal) error {
	if _, err := a.tailnetOf(r); err != nil {
		return err
	}
	var body struct {
		Nodes   map[string]map[string]json.RawMessage `json:"nodes"`
		Comment string                                `json:"comment"`
	}
	if err := decodeStrict(r, &body); err != nil {
		return err
	}
	updates := map[int64][]tailnet.AttrUpdate{}
	for nodeID, attrs := range body.Nodes {
		r2 := r.Clone(r.Context())
		r2.SetPathValue("id", nodeID)
		d, err := a.deviceOf(r2)
		if err != nil {
			return err
		}
		for key, raw := range attrs {
			if string(raw) == "null" {
				updates[d.ID] = append(updates[d.ID], tailnet.AttrUpdate{Key: key, Delete: true})
				continue
			}
			var req attrRequest
			if err := unmarshalStrict(raw, &req); err != nil {
				return badf("attribute %s of node %s: %v", key, nodeID, err)
			}
			u, err := req.update(key)
			if err != nil {
				return err
			}
			updates[d.ID] = append(updates[d.ID], u)
		}
	}
	if err := a.svc.SetCustomAttributes(r.Context(), p.auditContext(), a.tailnetID, updates, body.Comment); err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, nil)
	return nil
}
