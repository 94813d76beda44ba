// Package auth is who is asking: the master key, a user with their roles, or nobody; and the ACL
// checks made with it.
package auth

// Auth is the caller of one request.
type Auth struct {
	Master         bool
	UserID         string   // empty when anonymous
	Roles          []string // "role:Name" entries, resolved once per request
	SessionToken   string
	InstallationID string
}

// Master is the master key's auth.
func Master() *Auth { return &Auth{Master: true} }

// Nobody is an anonymous caller.
func Nobody() *Auth { return &Auth{} }

// Perms is the list an ACL read or write filter accepts: "*", the user id and the roles.
func (a *Auth) Perms() []string {
	p := make([]string, 0, 2+len(a.Roles))
	p = append(p, "*")
	if a.UserID != "" {
		p = append(p, a.UserID)
	}
	return append(p, a.Roles...)
}

// Allowed tells whether a stored permission list (_rperm or _wperm) lets the caller in. A missing list
// (present == false) means public, as in Parse Server's storage format.
func (a *Auth) Allowed(list []string, present bool) bool {
	if a.Master || !present {
		return true
	}
	for _, e := range list {
		if e == "*" || (a.UserID != "" && e == a.UserID) {
			return true
		}
		for _, r := range a.Roles {
			if e == r {
				return true
			}
		}
	}
	return false
}
