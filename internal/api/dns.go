package api

import (
	"maps"
	"net/http"
	"strings"

	"github.com/postern/postern"
)

// The dns endpoints follow Tailscale's API (/tailnet/{tailnet}/dns/...):
// each reads or replaces one part of the tailnet's DNS configuration.
// Bodies are strict: a field the endpoint does not take is an error.

func (a *API) getNameservers(w http.ResponseWriter, r *http.Request, p *principal) error {
	t, err := a.tailnetOf(r)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, map[string]any{"dns": t.DNS.Nameservers})
	return nil
}

// setNameservers replaces the global nameservers; an empty list removes
// them. The answer also carries magicDNS, as Tailscale's does.
func (a *API) setNameservers(w http.ResponseWriter, r *http.Request, p *principal) error {
	if _, err := a.tailnetOf(r); err != nil {
		return err
	}
	var body struct {
		DNS *[]string `json:"dns"`
	}
	if err := decodeStrict(r, &body); err != nil {
		return err
	}
	if body.DNS == nil {
		return badf(`the body needs "dns", the list of nameserver IP addresses`)
	}
	d, err := a.svc.UpdateDNS(r.Context(), p.auditContext(), a.tailnetID, func(d *postern.DNS) error {
		d.Nameservers = *body.DNS
		return nil
	})
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, map[string]any{"dns": d.Nameservers, "magicDNS": d.MagicDNS})
	return nil
}

func (a *API) getDNSPreferences(w http.ResponseWriter, r *http.Request, p *principal) error {
	t, err := a.tailnetOf(r)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, map[string]bool{"magicDNS": t.DNS.MagicDNS})
	return nil
}

func (a *API) setDNSPreferences(w http.ResponseWriter, r *http.Request, p *principal) error {
	if _, err := a.tailnetOf(r); err != nil {
		return err
	}
	var body struct {
		MagicDNS *bool `json:"magicDNS"`
	}
	if err := decodeStrict(r, &body); err != nil {
		return err
	}
	if body.MagicDNS == nil {
		return badf(`the body needs "magicDNS", true or false`)
	}
	d, err := a.svc.UpdateDNS(r.Context(), p.auditContext(), a.tailnetID, func(d *postern.DNS) error {
		d.MagicDNS = *body.MagicDNS
		return nil
	})
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, map[string]bool{"magicDNS": d.MagicDNS})
	return nil
}

func (a *API) getSearchPaths(w http.ResponseWriter, r *http.Request, p *principal) error {
	t, err := a.tailnetOf(r)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, map[string]any{"searchPaths": t.DNS.SearchPaths})
	return nil
}

func (a *API) setSearchPaths(w http.ResponseWriter, r *http.Request, p *principal) error {
	if _, err := a.tailnetOf(r); err != nil {
		return err
	}
	var body struct {
		SearchPaths *[]string `json:"searchPaths"`
	}
	if err := decodeStrict(r, &body); err != nil {
		return err
	}
	if body.SearchPaths == nil {
		return badf(`the body needs "searchPaths", the list of search domains`)
	}
	d, err := a.svc.UpdateDNS(r.Context(), p.auditContext(), a.tailnetID, func(d *postern.DNS) error {
		d.SearchPaths = *body.SearchPaths
		return nil
	})
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, map[string]any{"searchPaths": d.SearchPaths})
	return nil
}

func (a *API) getSplitDNS(w http.ResponseWriter, r *http.Request, p *principal) error {
	t, err := a.tailnetOf(r)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, t.DNS.SplitDNS)
	return nil
}

// updateSplitDNS is PATCH: each domain in the body gets its nameservers,
// a domain whose value is null is removed, and the others stay.
func (a *API) updateSplitDNS(w http.ResponseWriter, r *http.Request, p *principal) error {
	return a.writeSplitDNS(w, r, p, false)
}

// setSplitDNS is PUT: the body replaces the whole split DNS configuration
// (domains whose value is null are left out; {} removes every domain).
func (a *API) setSplitDNS(w http.ResponseWriter, r *http.Request, p *principal) error {
	return a.writeSplitDNS(w, r, p, true)
}

func (a *API) writeSplitDNS(w http.ResponseWriter, r *http.Request, p *principal, replace bool) error {
	if _, err := a.tailnetOf(r); err != nil {
		return err
	}
	var body map[string][]string
	if err := decodeStrict(r, &body); err != nil {
		return err
	}
	if body == nil {
		return badf("the body must be an object of domains to lists of nameserver IP addresses")
	}
	d, err := a.svc.UpdateDNS(r.Context(), p.auditContext(), a.tailnetID, func(d *postern.DNS) error {
		if replace {
			d.SplitDNS = map[string][]string{}
		}
		for dom, ns := range body {
			dom = strings.ToLower(strings.TrimSuffix(dom, "."))
			if ns == nil { // null
				delete(d.SplitDNS, dom)
				continue
			}
			d.SplitDNS[dom] = ns
		}
		return nil
	})
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, maps.Clone(d.SplitDNS))
	return nil
}
