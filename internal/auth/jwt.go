package auth

import (
	"context"
	"encoding/base64"
	"encoding/binary"
	"encoding/json"
	"net/http"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/postgate/postgate/internal/apierr"
	"github.com/postgate/postgate/internal/session"
)

// foundToken is a token read from the place one secret expects it.
type foundToken struct {
	v     *verifier
	token string
	key   [32]byte // tokenKey(token), when hashed is set
	// hashed is set when key holds the token's sig cache key.
	hashed bool
}

// authenticateJWT is Hasura's processJwt: every configured secret looks
// for a token where it expects one; a secret whose issuer differs from the
// token's does not match. No match means an unauthenticated request, only
// issuer mismatches mean JWTNotInIssuer, several matches are ambiguous.
func (a *Authenticator) authenticateJWT(r *http.Request) (session.Session, error) {
	var matches []foundToken
	mismatched := false
	var last tokenIssuer // the last token looked at, read once for every secret
	for _, v := range a.verifiers {
		tokens, err := tokensAt(r, v.spec.header)
		if err != nil {
			return session.Session{}, err
		}
		for _, tok := range tokens {
			if !last.read || last.token != tok {
				last = a.issuerOf(tok)
			}
			if v.spec.hasIssuer && last.hasIss && last.iss != v.spec.issuer {
				mismatched = true
				continue
			}
			matches = append(matches, foundToken{v: v, token: tok, key: last.key, hashed: last.hashed})
		}
	}
	switch {
	case len(matches) == 0 && mismatched:
		return session.Session{}, invalidJWT(reasonNotInIssuer)
	case len(matches) == 0:
		if a.unauthorizedRole == "" {
			return session.Session{}, invalidHeaders(msgMissingJWT)
		}
		return a.unauthorizedSession(r), nil
	case len(matches) > 1:
		return session.Session{}, invalidHeaders(msgMultipleJWTs)
	}
	return a.sessionFromToken(r.Context(), r, matches[0])
}

func (a *Authenticator) sessionFromToken(ctx context.Context, r *http.Request, m foundToken) (session.Session, error) {
	var tok *verifiedToken
	var exp time.Time
	var err *apierr.Error
	if m.hashed {
		tok, exp, err = m.v.verifyKeyed(ctx, m.token, m.key)
	} else {
		tok, exp, err = m.v.verify(ctx, m.token)
	}
	if err != nil {
		return session.Session{}, err
	}
	hc, err := tok.hasura(m.v.spec.claims)
	if err != nil {
		return session.Session{}, err
	}
	role := hc.defaultRole
	if want := r.Header.Get("X-Hasura-Role"); strings.TrimSpace(want) != "" {
		role = want
	}
	if !slices.Contains(hc.allowedRoles, role) {
		return session.Session{}, accessDenied(msgRoleNotAllowed)
	}
	// hc is shared by every request with this token: copy its variables.
	vars := make(map[string]string, len(hc.vars)+1)
	for k, v := range hc.vars {
		if k != headerAdminSecret && k != headerAccessKey {
			vars[k] = v
		}
	}
	vars["x-hasura-role"] = role
	return session.Session{Role: role, Vars: vars, Expires: exp}, nil
}

// tokensAt returns the tokens found where loc says, each header value
// once. A malformed Authorization header is an error when secrets expect
// tokens there.
func tokensAt(r *http.Request, loc tokenLocation) ([]string, *apierr.Error) {
	var out []string
	switch loc.kind {
	case headerAuthorization:
		for _, h := range r.Header["Authorization"] {
			tok, ok := bearerToken(h)
			if !ok {
				return nil, invalidHeaders(msgMalformedAuthHeader)
			}
			out = append(out, tok)
		}
	case headerCookie:
		for _, c := range r.Cookies() {
			if c.Name == loc.name {
				out = append(out, c.Value)
			}
		}
	case headerCustom:
		out = append(out, r.Header.Values(loc.name)...)
	}
	return out, nil
}

// tokenIssuer is a token's unverified issuer and its sig cache key.
type tokenIssuer struct {
	token        string
	iss          string
	hasIss       bool
	key          [32]byte
	hashed, read bool
}

// issuerOf reads a token's issuer without verifying it. A token some
// secret verified before is not decoded again: that secret's cache holds
// its issuer, and the cache key is kept for verify.
func (a *Authenticator) issuerOf(tok string) tokenIssuer {
	t := tokenIssuer{token: tok, read: true}
	if len(tok) <= maxTokenBytes {
		t.key, t.hashed = tokenKey(tok), true
		for _, v := range a.verifiers {
			if e, ok := v.verified.get(t.key); ok {
				t.iss, t.hasIss = e.iss, e.hasIss
				return t
			}
		}
	}
	t.iss, t.hasIss = unverifiedIssuer(tok)
	return t
}

// unverifiedIssuer reads "iss" from a token without verifying it; used only
// to pick which secret should verify the token.
func unverifiedIssuer(token string) (string, bool) {
	parts := strings.Split(token, ".")
	if len(parts) != 3 || len(parts[1]) > maxTokenBytes {
		return "", false
	}
	payload, err := base64.RawURLEncoding.DecodeString(parts[1])
	if err != nil {
		return "", false
	}
	var c struct {
		Iss *string `json:"iss"`
	}
	if json.Unmarshal(payload, &c) != nil || c.Iss == nil {
		return "", false
	}
	return *c.Iss, true
}

// bearerToken returns the token of an Authorization header value made of
// exactly two fields, "Bearer" and the token, as strings.Fields splits it.
// ASCII values (the usual) are split without allocating.
func bearerToken(h string) (string, bool) {
	if rest, ok := strings.CutPrefix(h, "Bearer "); ok {
		// The usual form: "Bearer <token>", the token of printable ASCII.
		j := 0
		for j < len(rest) && asciiSpace[rest[j]] {
			j++
		}
		k := j + printableRun(rest[j:])
		for k < len(rest) && rest[k] < utf8.RuneSelf && !asciiSpace[rest[k]] {
			k++
		}
		m := k
		for m < len(rest) && asciiSpace[rest[m]] {
			m++
		}
		if m == len(rest) && k > j {
			return rest[j:k], true
		}
	}
	i, n := 0, len(h)
	var fields [2]string
	for k := 0; ; k++ {
		for i < n && asciiSpace[h[i]] {
			i++
		}
		if i == n {
			return fields[1], k == 2 && fields[0] == "Bearer"
		}
		if k == 2 {
			if h[i] >= utf8.RuneSelf {
				break // Unicode spaces: strings.Fields decides
			}
			return "", false // a third field
		}
		start := i
		for i < n && !asciiSpace[h[i]] && h[i] < utf8.RuneSelf {
			i++
		}
		if i < n && h[i] >= utf8.RuneSelf {
			break
		}
		fields[k] = h[start:i]
	}
	f := strings.Fields(h)
	if len(f) != 2 || f[0] != "Bearer" {
		return "", false
	}
	return f[1], true
}

// asciiSpace marks the ASCII bytes strings.Fields splits at.
var asciiSpace = [256]bool{'\t': true, '\n': true, '\v': true, '\f': true, '\r': true, ' ': true}

// printableRun returns the length of the prefix of s made of whole 8-byte
// words of bytes 0x21-0x7f (none of them a space or beyond ASCII).
func printableRun(s string) int {
	const ones, highs = 0x0101010101010101, 0x8080808080808080
	n := 0
	for len(s)-n >= 8 {
		w := binary.LittleEndian.Uint64([]byte(s[n : n+8]))
		// A byte ≥ 0x80, or one < 0x21 (all below 0x80 here).
		if w&highs != 0 || (w-ones*0x21)&^w&highs != 0 {
			break
		}
		n += 8
	}
	return n
}
