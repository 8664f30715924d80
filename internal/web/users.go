package web

import (
	"net/http"

	"github.com/postern/postern"
)

// userRow is one user with how many devices they own.
type userRow struct {
	U       postern.User
	Devices int
}

func (c *Console) users(w http.ResponseWriter, r *http.Request, s *session) {
	us, err := c.st.Users(r.Context(), c.tailnetID)
	if err != nil {
		c.failed(w, r, s, "Loading users", err)
		return
	}
	devs, err := c.st.Devices(r.Context(), c.tailnetID)
	if err != nil {
		c.failed(w, r, s, "Loading devices", err)
		return
	}
	owned := map[string]int{}
	for _, d := range devs {
		if !d.Tagged() {
			owned[d.UserID]++
		}
	}
	rows := make([]userRow, len(us))
	for i, u := range us {
		rows[i] = userRow{U: u, Devices: owned[u.ID]}
	}
	c.render(w, r, s, "users", "Users", struct {
		Rows  []userRow
		Roles []postern.Role
	}{rows, []postern.Role{postern.RoleMember, postern.RoleAdmin, postern.RoleAuditor, postern.RoleOwner}})
}

func (c *Console) createUser(w http.ResponseWriter, r *http.Request, s *session) {
	u, err := c.svc.CreateUser(r.Context(), s.actor(), c.tailnetID, r.PostForm.Get("loginName"), r.PostForm.Get("displayName"), postern.Role(r.PostForm.Get("role")))
	if err != nil {
		c.failed(w, r, s, "Adding the user", err)
		return
	}
	redirect(w, r, "/admin/users", "Added "+u.LoginName+" as "+string(u.Role)+".")
}
