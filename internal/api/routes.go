package api

import "net/http"

func (a *API) routes(mux *http.ServeMux) {
	const p = "/api/v2"
	mux.HandleFunc("POST "+p+"/oauth/token", a.oauthToken)

	// Devices.
	mux.HandleFunc("GET "+p+"/tailnet/{tailnet}/devices", a.authed(read(ScopeDevicesCore), a.listDevices))
	mux.HandleFunc("GET "+p+"/device/{id}", a.authed(read(ScopeDevicesCore), a.getDevice))
	mux.HandleFunc("DELETE "+p+"/device/{id}", a.authed(ScopeDevicesCore, a.deleteDevice))
	mux.HandleFunc("POST "+p+"/device/{id}/authorized", a.authed(ScopeDevicesCore, a.authorizeDevice))
	mux.HandleFunc("POST "+p+"/device/{id}/tags", a.authed(ScopeDevicesCore, a.setDeviceTags))
	mux.HandleFunc("POST "+p+"/device/{id}/name", a.authed(ScopeDevicesCore, a.setDeviceName))
	mux.HandleFunc("POST "+p+"/device/{id}/expire", a.authed(ScopeDevicesCore, a.expireDevice))
	mux.HandleFunc("POST "+p+"/device/{id}/key", a.authed(ScopeDevicesCore, a.setDeviceKey))

	mux.HandleFunc("GET "+p+"/tailnet/{tailnet}/registrations", a.authed(read(ScopeDevicesCore), a.listRegistrations))
	mux.HandleFunc("POST "+p+"/registrations/{id}/approve", a.authed(ScopeDevicesCore, a.approveRegistration))
	mux.HandleFunc("POST "+p+"/registrations/{id}/reject", a.authed(ScopeDevicesCore, a.rejectRegistration))
	mux.HandleFunc("GET "+p+"/device/{id}/access", a.authed(read(ScopeDevicesCore), a.access))

	// Posture attributes.
	mux.HandleFunc("GET "+p+"/device/{id}/attributes", a.authed(read(ScopeDevicesPosture), a.getAttributes))
	mux.HandleFunc("POST "+p+"/device/{id}/attributes/{key}", a.authed(ScopeDevicesPosture, a.setAttribute))
	mux.HandleFunc("DELETE "+p+"/device/{id}/attributes/{key}", a.authed(ScopeDevicesPosture, a.deleteAttribute))
	mux.HandleFunc("PATCH "+p+"/tailnet/{tailnet}/device-attributes", a.authed(ScopeDevicesPosture, a.batchAttributes))

	// Posture integrations.
	mux.HandleFunc("GET "+p+"/tailnet/{tailnet}/posture/integrations", a.authed(read(ScopeFeatureSettings), a.listIntegrations))
	mux.HandleFunc("POST "+p+"/tailnet/{tailnet}/posture/integrations", a.authed(ScopeFeatureSettings, a.createIntegration))
	mux.HandleFunc("GET "+p+"/posture/integrations/{id}", a.authed(read(ScopeFeatureSettings), a.getIntegration))
	mux.HandleFunc("PATCH "+p+"/posture/integrations/{id}", a.authed(ScopeFeatureSettings, a.patchIntegration))
	mux.HandleFunc("DELETE "+p+"/posture/integrations/{id}", a.authed(ScopeFeatureSettings, a.deleteIntegration))
	mux.HandleFunc("POST "+p+"/posture/integrations/{id}/sync", a.authed(ScopeFeatureSettings, a.syncIntegration))

	// Keys.
	mux.HandleFunc("GET "+p+"/tailnet/{tailnet}/keys", a.authed(read(ScopeAuthKeys), a.listKeys))
	mux.HandleFunc("POST "+p+"/tailnet/{tailnet}/keys", a.authed(ScopeAuthKeys, a.createKey))
	mux.HandleFunc("GET "+p+"/tailnet/{tailnet}/keys/{keyId}", a.authed(read(ScopeAuthKeys), a.getKey))
	mux.HandleFunc("DELETE "+p+"/tailnet/{tailnet}/keys/{keyId}", a.authed(ScopeAuthKeys, a.deleteKey))

	// Tailnet settings and users.
	mux.HandleFunc("GET "+p+"/tailnet/{tailnet}/settings", a.authed(read(ScopeFeatureSettings), a.getSettings))
	mux.HandleFunc("PATCH "+p+"/tailnet/{tailnet}/settings", a.authed(ScopeFeatureSettings, a.patchSettings))
	mux.HandleFunc("GET "+p+"/tailnet/{tailnet}/users", a.authed(read(ScopeUsers), a.listUsers))
	mux.HandleFunc("GET "+p+"/users/{id}", a.authed(read(ScopeUsers), a.getUser))

	// DNS.
	mux.HandleFunc("GET "+p+"/tailnet/{tailnet}/dns/nameservers", a.authed(read(ScopeDNS), a.getNameservers))
	mux.HandleFunc("POST "+p+"/tailnet/{tailnet}/dns/nameservers", a.authed(ScopeDNS, a.setNameservers))
	mux.HandleFunc("GET "+p+"/tailnet/{tailnet}/dns/preferences", a.authed(read(ScopeDNS), a.getDNSPreferences))
	mux.HandleFunc("POST "+p+"/tailnet/{tailnet}/dns/preferences", a.authed(ScopeDNS, a.setDNSPreferences))
	mux.HandleFunc("GET "+p+"/tailnet/{tailnet}/dns/searchpaths", a.authed(read(ScopeDNS), a.getSearchPaths))
	mux.HandleFunc("POST "+p+"/tailnet/{tailnet}/dns/searchpaths", a.authed(ScopeDNS, a.setSearchPaths))
	mux.HandleFunc("GET "+p+"/tailnet/{tailnet}/dns/split-dns", a.authed(read(ScopeDNS), a.getSplitDNS))
	mux.HandleFunc("PATCH "+p+"/tailnet/{tailnet}/dns/split-dns", a.authed(ScopeDNS, a.updateSplitDNS))
	mux.HandleFunc("PUT "+p+"/tailnet/{tailnet}/dns/split-dns", a.authed(ScopeDNS, a.setSplitDNS))

	// Policy file.
	mux.HandleFunc("GET "+p+"/tailnet/{tailnet}/acl", a.authed(read(ScopePolicyFile), a.getPolicy))
	mux.HandleFunc("POST "+p+"/tailnet/{tailnet}/acl", a.authed(ScopePolicyFile, a.setPolicy))
	mux.HandleFunc("POST "+p+"/tailnet/{tailnet}/acl/validate", a.authed(read(ScopePolicyFile), a.validatePolicy))
	mux.HandleFunc("POST "+p+"/tailnet/{tailnet}/acl/preview", a.authed(read(ScopePolicyFile), a.previewPolicy))

	// Configuration audit log.
	mux.HandleFunc("GET "+p+"/tailnet/{tailnet}/logging/configuration", a.authed(read(ScopeLogsConfiguration), a.configurationLogs))

	mux.HandleFunc(p+"/", func(w http.ResponseWriter, r *http.Request) {
		writeJSON(w, http.StatusNotFound, errorBody{Message: "no such API endpoint: " + r.Method + " " + r.URL.Path})
	})
}
