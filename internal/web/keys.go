package web

import (
	"fmt"
	"net/http"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/postern/postern"
	"github.com/postern/postern/internal/tailnet"
)

// keyRow is one key in the keys list.
type keyRow struct {
	K      postern.Key
	Owner  string
	Status string // "active", "revoked", "expired", "used"
}

// newKey is a key just created, shown once.
type newKey struct {
	Text string
	K    postern.Key
	// Up is the command a device joins with, for an auth key.
	Up string
}

// upCommand is the tailscale up line that joins a device with the auth
// key text at server, with the key's tags (which the client must
// advertise, or it is refused).
func upCommand(server, text string, tags []string) string {
	line := "tailscale up --login-server=" + server + " --authkey=" + text
	if len(tags) > 0 {
		line += " --advertise-tags=" + strings.Join(tags, ",")
	}
	return line
}

func (c *Console) keys(w http.ResponseWriter, r *http.Request, s *session) {
	c.renderKeys(w, r, s, nil, "")
}

func (c *Console) renderKeys(w http.ResponseWriter, r *http.Request, s *session, created *newKey, errMsg string) {
	ks, err := c.st.Keys(r.Context(), c.tailnetID)
	if err != nil {
		c.failed(w, r, s, "Loading keys", err)
		return
	}
	us, err := c.st.Users(r.Context(), c.tailnetID)
	if err != nil {
		c.failed(w, r, s, "Loading users", err)
		return
	}
	login := map[string]string{}
	for _, u := range us {
		login[u.ID] = u.LoginName
	}
	now := c.svc.Now()
	var auth, api, clients []keyRow
	for _, k := range ks {
		row := keyRow{K: k, Owner: login[k.UserID], Status: "active"}
		switch {
		case !k.Revoked.IsZero():
			row.Status = "revoked"
		case !k.Expires.IsZero() && !now.Before(k.Expires):
			row.Status = "expired"
		case !k.Valid(now):
			row.Status = "used"
		}
		switch {
		case tailnet.IsAccessToken(k):
			// Access tokens live an hour and are minted by the token
			// endpoint; listing them would bury the keys admins made.
		case k.Type == postern.KeyTypeAuth:
			auth = append(auth, row)
		case k.Type == postern.KeyTypeAPI:
			api = append(api, row)
		case k.Type == postern.KeyTypeClient:
			clients = append(clients, row)
		}
	}
	newest := func(rs []keyRow) {
		sort.SliceStable(rs, func(i, j int) bool { return rs[i].K.Created.After(rs[j].K.Created) })
	}
	newest(auth)
	newest(api)
	newest(clients)
	c.renderView(w, r, s, "keys", view{Title: "Keys", Error: errMsg, Data: struct {
		Auth, API, Clients []keyRow
		New                *newKey
		DefaultDays        int
		MaxAuthDays        int
		MaxAPIDays         int
	}{auth, api, clients, created, days(tailnet.DefaultKeyExpiry),
		days(tailnet.MaxExpiry(postern.KeyTypeAuth)), days(tailnet.MaxExpiry(postern.KeyTypeAPI))}})
}

// days is d in whole days.
func days(d time.Duration) int {
	return int(d / (24 * time.Hour))
}

// createKey mints an auth key or API key for the signed-in user and
// shows its text once.
func (c *Console) createKey(w http.ResponseWriter, r *http.Request, s *session) {
	f := r.PostForm
	req := tailnet.KeyRequest{Type: postern.KeyType(f.Get("type")), UserID: s.user.ID, Description: strings.TrimSpace(f.Get("description"))}
	if req.Type != postern.KeyTypeAuth && req.Type != postern.KeyTypeAPI {
		c.renderError(w, r, s, http.StatusBadRequest, "Unknown key type.")
		return
	}
	maxDays := days(tailnet.MaxExpiry(req.Type))
	n, err := strconv.Atoi(strings.TrimSpace(f.Get("expiryDays")))
	if err != nil || n < 1 || n > maxDays {
		c.renderKeys(w, r, s, nil, fmt.Sprintf("Expiry must be a whole number of days from 1 to %d.", maxDays))
		return
	}
	req.Expiry = time.Duration(n) * 24 * time.Hour
	if req.Type == postern.KeyTypeAuth {
		req.Reusable, req.Ephemeral, req.Preauthorized = f.Get("reusable") == "on", f.Get("ephemeral") == "on", f.Get("preauthorized") == "on"
		for _, t := range strings.FieldsFunc(f.Get("tags"), func(r rune) bool { return r == ',' || r == ' ' }) {
			req.Tags = append(req.Tags, t)
		}
	}
	text, k, err := c.svc.CreateKey(r.Context(), s.actor(), c.tailnetID, req)
	if postern.ErrorCode(err) == postern.EINVALID {
		c.renderKeys(w, r, s, nil, postern.ErrorMessage(err))
		return
	}
	if err != nil {
		c.failed(w, r, s, "Creating the key", err)
		return
	}
	created := &newKey{Text: text, K: k}
	if k.Type == postern.KeyTypeAuth {
		created.Up = upCommand(c.loginServer(r), text, k.Tags)
	}
	c.renderKeys(w, r, s, created, "")
}

func (c *Console) revokeKey(w http.ResponseWriter, r *http.Request, s *session) {
	if err := c.svc.DeleteKey(r.Context(), s.actor(), c.tailnetID, r.PathValue("id")); err != nil {
		c.failed(w, r, s, "Revoking the key", err)
		return
	}
	redirect(w, r, "/admin/keys", "Revoked key "+r.PathValue("id")+".")
}
