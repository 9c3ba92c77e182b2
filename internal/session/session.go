// Package session holds the identity of one request as the engine sees it:
// a role and the x-hasura-* session variables. It is the only currency that
// passes from authentication to planning.
package session

import (
	"strings"
	"time"
)

// AdminRole is the role with unrestricted access.
const AdminRole = "admin"

// Session is the role and session variables of one request. Variable names
// are stored lower-cased ("x-hasura-user-id"); values are strings as Hasura
// receives them (Postgres array literals such as "{1,2}" included).
type Session struct {
	Role string
	Vars map[string]string
	// BackendOnly is true when the request may use backend_only permissions
	// (admin secret present and x-hasura-use-backend-only-permissions: true).
	BackendOnly bool
	// Expires is when the credentials behind the session stop being valid
	// (a JWT's exp, a webhook's cache expiry); zero when they do not expire.
	Expires time.Time
}

// Admin returns the plain admin session.
func Admin() Session {
	return Session{Role: AdminRole, Vars: map[string]string{"x-hasura-role": AdminRole}}
}

// IsAdmin reports whether the session acts with the admin role.
func (s Session) IsAdmin() bool { return s.Role == AdminRole }

// Get returns the session variable name (case-insensitive).
func (s Session) Get(name string) (string, bool) {
	v, ok := s.Vars[strings.ToLower(name)]
	return v, ok
}

// IsSessionVar reports whether name is a session variable name (x-hasura-*).
func IsSessionVar(name string) bool {
	return len(name) >= 9 && strings.EqualFold(name[:9], "x-hasura-")
}

// VarName returns the session variable name for header or claim name:
// name lower-cased. The canonical header forms of the common variables
// map to constants, so that naming them allocates nothing.
func VarName(name string) string {
	switch name {
	case "X-Hasura-Role":
		return "x-hasura-role"
	case "X-Hasura-User-Id":
		return "x-hasura-user-id"
	case "X-Hasura-Admin-Secret":
		return "x-hasura-admin-secret"
	case "X-Hasura-Access-Key":
		return "x-hasura-access-key"
	case "X-Hasura-Use-Backend-Only-Permissions":
		return "x-hasura-use-backend-only-permissions"
	case "X-Hasura-Org-Id":
		return "x-hasura-org-id"
	}
	return strings.ToLower(name)
}
