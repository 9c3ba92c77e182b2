package auth

import (
	"crypto/sha256"
	"crypto/subtle"
	"net/http"
	"strings"

	"github.com/postgate/postgate/internal/apierr"
	"github.com/postgate/postgate/internal/session"
)

const (
	headerAdminSecret = "x-hasura-admin-secret"
	headerAccessKey   = "x-hasura-access-key"
	headerBackendOnly = "x-hasura-use-backend-only-permissions"
)

// digest hashes a secret so that secrets of any length compare in constant
// time. SHA-256 (SHA-NI on x86-64) measured 130 ns against SHA-512's 290 ns
// for a 42-byte secret (BenchmarkSecretMatches); only equal-length digests
// are compared, never stored.
func digest(s string) [32]byte { return sum256(s) }

// sum256 is sha256.Sum256 of s, copying s to the stack rather than the
// heap when it is short (a []byte conversion allocates beyond 32 bytes).
func sum256(s string) [32]byte {
	var buf [1024]byte
	if len(s) <= len(buf) {
		return sha256.Sum256(append(buf[:0], s...))
	}
	return sha256.Sum256([]byte(s))
}

// secretMatches compares SHA-256 digests in constant time against every
// configured secret, without stopping at the first match.
func (a *Authenticator) secretMatches(secret string) bool {
	d := digest(secret)
	match := 0
	for _, s := range a.secrets {
		match |= subtle.ConstantTimeCompare(d[:], s[:])
	}
	return match == 1
}

// requestAdminSecret returns the x-hasura-admin-secret header, else the
// legacy x-hasura-access-key; an empty header still counts as sent.
func requestAdminSecret(r *http.Request) (string, bool) {
	// Header.Values would canonicalise (and allocate) the names each time.
	if v := r.Header[canonicalAdminSecret]; len(v) > 0 {
		return v[len(v)-1], true
	}
	if v := r.Header[canonicalAccessKey]; len(v) > 0 {
		return v[len(v)-1], true
	}
	return "", false
}

// The canonical forms of headerAdminSecret and headerAccessKey, the keys
// net/http stores them under.
const (
	canonicalAdminSecret = "X-Hasura-Admin-Secret"
	canonicalAccessKey   = "X-Hasura-Access-Key"
)

// headerSession builds a session from the request's x-hasura-* headers:
// the role is x-hasura-role, or fallback when absent. backendOK allows
// x-hasura-use-backend-only-permissions (admin secret sent, or no auth).
func headerSession(r *http.Request, fallback string, backendOK bool) (session.Session, error) {
	vars := map[string]string{}
	for name, vals := range r.Header {
		if session.IsSessionVar(name) && len(vals) > 0 {
			if name == canonicalAdminSecret || name == canonicalAccessKey {
				continue // never a session variable (deleted below otherwise)
			}
			vars[session.VarName(name)] = vals[len(vals)-1]
		}
	}
	role := fallback
	if v := strings.TrimSpace(vars["x-hasura-role"]); v != "" {
		role = vars["x-hasura-role"]
	}
	s := session.Session{Role: role, Vars: vars}
	if v, ok := vars[headerBackendOnly]; ok && backendOK {
		b, ok := parseHasuraBool(v)
		if !ok {
			return session.Session{}, apierr.New(apierr.BadRequest, headerBackendOnly+
				":  Not a valid boolean text. True values are [\"true\",\"t\",\"yes\",\"y\"] and  False values are "+
				"[\"false\",\"f\",\"no\",\"n\"]. All values are case insensitive")
		}
		s.BackendOnly = b
	}
	delete(vars, headerAdminSecret)
	delete(vars, headerAccessKey)
	vars["x-hasura-role"] = role
	return s, nil
}

func parseHasuraBool(v string) (value, ok bool) {
	switch strings.ToLower(v) {
	case "true", "t", "yes", "y":
		return true, true
	case "false", "f", "no", "n":
		return false, true
	}
	return false, false
}
