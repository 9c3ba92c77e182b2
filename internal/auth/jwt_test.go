package auth

import (
	"context"
	"crypto/elliptic"
	"encoding/base64"
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/lestrrat-go/jwx/v3/jwa"
	"github.com/lestrrat-go/jwx/v3/jws"
)

func TestJWTAlgorithms(t *testing.T) {
	clock := newClock()
	rk, _ := testRSA(t)
	p256, p384, p521, ed := ecKey(t, elliptic.P256()), ecKey(t, elliptic.P384()), ecKey(t, elliptic.P521()), edKey(t)
	long := strings.Repeat("k", 64)
	cases := []struct {
		typ, key string
		alg      jwa.SignatureAlgorithm
		signWith any
	}{
		{"HS256", hsKey, jwa.HS256(), []byte(hsKey)},
		{"HS384", long, jwa.HS384(), []byte(long)},
		{"HS512", long, jwa.HS512(), []byte(long)},
		{"RS256", pubPEM(t, &rk.PublicKey), jwa.RS256(), rk},
		{"RS384", pubPEM(t, &rk.PublicKey), jwa.RS384(), rk},
		{"RS512", certPEM(t, rk), jwa.RS512(), rk},
		{"ES256", pubPEM(t, &p256.PublicKey), jwa.ES256(), p256},
		{"ES384", pubPEM(t, &p384.PublicKey), jwa.ES384(), p384},
		{"ES512", pubPEM(t, &p521.PublicKey), jwa.ES512(), p521},
		{"Ed25519", pubPEM(t, ed.Public()), jwa.EdDSA(), ed},
	}
	for _, tc := range cases {
		t.Run(tc.typ, func(t *testing.T) {
			a := mustNew(t, Config{AdminSecret: "x", JWTSecret: secretJSON(t, map[string]any{"type": tc.typ, "key": tc.key})}, WithClock(clock.Now))
			tok := sign(t, tc.alg, tc.signWith, "", userClaims(clock.Now(), nil))
			s, err := a.Authenticate(request(bearer(tok)), nil)
			if err != nil {
				t.Fatal(err)
			}
			if s.Role != "user" || s.Vars["x-hasura-user-id"] != "42" || s.Vars["x-hasura-role"] != "user" ||
				!s.Expires.Equal(clock.Now().Add(time.Hour)) {
				t.Fatalf("session %+v", s)
			}
			if _, ok := s.Vars["x-hasura-allowed-roles"]; ok {
				t.Fatal("role claims must not become session variables")
			}
		})
	}
	// A key of another type than configured is refused at start-up.
	_, err := New(Config{AdminSecret: "x", JWTSecret: secretJSON(t, map[string]any{"type": "ES256", "key": pubPEM(t, &rk.PublicKey)})})
	if err == nil || !strings.Contains(err.Error(), "Invalid JWK: Could not decode PEM") {
		t.Fatalf("RSA key as ES256: %v", err)
	}
}

func TestJWTErrors(t *testing.T) {
	clock := newClock()
	now := clock.Now()
	rk, other := testRSA(t)
	a := mustNew(t, Config{AdminSecret: "x", JWTSecret: secretJSON(t, map[string]any{
		"type": "RS256", "key": pubPEM(t, &rk.PublicKey), "audience": []string{"api-1", "api-2"}, "issuer": "https://issuer/",
		"allowed_skew": 30,
	})}, WithClock(clock.Now))
	good := func(extra map[string]any) map[string]any {
		base := map[string]any{"aud": "api-2", "iss": "https://issuer/"}
		for k, v := range extra {
			base[k] = v
		}
		return userClaims(now, base)
	}
	ns := func(m map[string]any) map[string]any { return good(map[string]any{DefaultClaimsNamespace: m}) }
	tok := func(c map[string]any) string { return sign(t, jwa.RS256(), rk, "", c) }

	cases := []struct {
		name    string
		headers map[string]string
		status  int
		code    string
		msg     string
	}{
		{"no token", nil, 400, "invalid-headers", "Missing 'Authorization' or 'Cookie' header in JWT authentication mode"},
		{"not bearer", map[string]string{"Authorization": "Basic abc"}, 400, "invalid-headers", "Malformed Authorization header"},
		{"bearer without token", map[string]string{"Authorization": "Bearer"}, 400, "invalid-headers", "Malformed Authorization header"},
		{"garbage", bearer("abc"), 400, "invalid-jwt", "Could not verify JWT: JWSError (CompactDecodeError Invalid number of parts: Expected 3 parts; got 1)"},
		{"expired", bearer(tok(good(map[string]any{"exp": now.Add(-31 * time.Second).Unix()}))), 400, "invalid-jwt", "Could not verify JWT: JWTExpired"},
		{"not yet valid", bearer(tok(good(map[string]any{"nbf": now.Add(31 * time.Second).Unix()}))), 400, "invalid-jwt", "Could not verify JWT: JWTNotYetValid"},
		{"issued in the future", bearer(tok(good(map[string]any{"iat": now.Add(time.Minute).Unix()}))), 400, "invalid-jwt", "Could not verify JWT: JWTIssuedAtFuture"},
		{"wrong signature", bearer(sign(t, jwa.RS256(), other, "", good(nil))), 400, "invalid-jwt", "Could not verify JWT: JWSError JWSInvalidSignature"},
		{"other audience", bearer(tok(good(map[string]any{"aud": []string{"api-3"}}))), 400, "invalid-jwt", "Could not verify JWT: JWTNotInAudience"},
		{"no audience", bearer(tok(good(map[string]any{"aud": nil}))), 400, "invalid-jwt", "Could not verify JWT: JWTNotInAudience"},
		{"other issuer", bearer(tok(good(map[string]any{"iss": "https://evil/"}))), 400, "invalid-jwt", "Could not verify JWT: JWTNotInIssuer"},
		{"bad exp", bearer(tok(good(map[string]any{"exp": "tomorrow"}))), 400, "invalid-jwt",
			`Could not verify JWT: JWTClaimsSetDecodeError "Error in $.exp: parsing NumericDate failed, expected Number, but encountered String"`},
		{"role not allowed", map[string]string{"Authorization": "Bearer " + tok(good(nil)), "X-Hasura-Role": "admin"}, 400, "access-denied", "Your requested role is not in allowed roles"},
		{"no namespace", bearer(tok(good(map[string]any{DefaultClaimsNamespace: nil}))), 400, "jwt-invalid-claims", "claims key: 'https://hasura.io/jwt/claims' not found"},
		{"namespace not object", bearer(tok(good(map[string]any{DefaultClaimsNamespace: "{}"}))), 400, "jwt-invalid-claims", "expecting a json object when claims_format is json"},
		{"no allowed roles", bearer(tok(ns(map[string]any{"x-hasura-default-role": "user"}))), 400, "jwt-missing-role-claims", "JWT claim does not contain x-hasura-allowed-roles"},
		{"no default role", bearer(tok(ns(map[string]any{"x-hasura-allowed-roles": []string{"user"}}))), 400, "jwt-missing-role-claims", "JWT claim does not contain x-hasura-default-role"},
		{"allowed roles a string", bearer(tok(ns(map[string]any{"x-hasura-allowed-roles": "user", "x-hasura-default-role": "user"}))), 400, "jwt-invalid-claims",
			"invalid x-hasura-allowed-roles; should be a list of roles: parsing [] failed, expected Array, but encountered String"},
		{"default role not allowed", bearer(tok(ns(map[string]any{"x-hasura-allowed-roles": []string{"editor"}, "X-Hasura-Default-Role": "user"}))), 400, "access-denied", "Your requested role is not in allowed roles"},
		{"variable not a string", bearer(tok(ns(map[string]any{"x-hasura-allowed-roles": []string{"user"}, "x-hasura-default-role": "user", "x-hasura-user-id": 5}))), 400, "jwt-invalid-claims",
			"x-hasura-* claims: parsing Text failed, expected String, but encountered Number"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			_, err := a.Authenticate(request(tc.headers), nil)
			wantError(t, err, tc.status, tc.code, tc.msg)
		})
	}

	// Inside the skew: still valid. Requested role among the allowed ones.
	r := request(bearer(tok(good(map[string]any{"exp": now.Add(-20 * time.Second).Unix()}))))
	r.Header.Set("X-Hasura-Role", "editor")
	r.Header.Set("X-Hasura-User-Id", "forged")
	s, err := a.Authenticate(r, nil)
	if err != nil || s.Role != "editor" || s.Vars["x-hasura-user-id"] != "42" {
		t.Fatalf("role choice within skew: %+v %v", s, err)
	}
	// Token without iss matches a secret with an issuer (as in Hasura).
	if _, err := a.Authenticate(request(bearer(tok(good(map[string]any{"iss": nil})))), nil); err != nil {
		t.Fatalf("token without iss: %v", err)
	}
	// Namespace keys are case-insensitive; non x-hasura keys are dropped.
	s, err = a.Authenticate(request(bearer(tok(ns(map[string]any{
		"X-Hasura-Allowed-Roles": []string{"user"}, "X-Hasura-Default-Role": "user", "X-Hasura-Org-Id": "{1,2}", "email": "a@b",
	})))), nil)
	if err != nil || s.Vars["x-hasura-org-id"] != "{1,2}" || len(s.Vars) != 2 {
		t.Fatalf("case-insensitive claims: %+v %v", s, err)
	}
}

func TestJWTForgeries(t *testing.T) {
	clock := newClock()
	rk, _ := testRSA(t)
	pemKey := pubPEM(t, &rk.PublicKey)
	a := mustNew(t, Config{AdminSecret: "x", JWTSecret: secretJSON(t, map[string]any{"type": "RS256", "key": pemKey})}, WithClock(clock.Now))
	claims := userClaims(clock.Now(), nil)
	payload, _ := json.Marshal(claims)
	enc := base64.RawURLEncoding.EncodeToString

	none := enc([]byte(`{"alg":"none","typ":"JWT"}`)) + "." + enc(payload) + "."
	_, err := a.Authenticate(request(bearer(none)), nil)
	wantError(t, err, 400, "invalid-jwt", "Could not verify JWT: JWSError JWSNoSignatures")

	noneSig := enc([]byte(`{"alg":"None"}`)) + "." + enc(payload) + "." + enc([]byte("sig"))
	_, err = a.Authenticate(request(bearer(noneSig)), nil)
	wantError(t, err, 400, "invalid-jwt", "Could not verify JWT: JWSError JWSNoSignatures")

	_, err = a.Authenticate(request(bearer("e30.e30.!!")), nil)
	wantError(t, err, 400, "invalid-jwt", `Could not verify JWT: JWSError (JSONDecodeError "Not valid base64url")`)
	_, err = a.Authenticate(request(bearer(enc([]byte("{alg"))+"."+enc(payload)+".")), nil)
	wantError(t, err, 400, "invalid-jwt", `Could not verify JWT: JWSError (JSONDecodeError "protected header contains invalid JSON")`)

	// HS256 signed with the RSA public key's PEM text as the HMAC secret.
	confused := sign(t, jwa.HS256(), []byte(pemKey), "", claims)
	_, err = a.Authenticate(request(bearer(confused)), nil)
	wantError(t, err, 400, "invalid-jwt", "Could not verify JWT: JWSError JWSInvalidSignature")

	// RS384 while the secret says RS256.
	other := sign(t, jwa.RS384(), rk, "", claims)
	_, err = a.Authenticate(request(bearer(other)), nil)
	wantError(t, err, 400, "invalid-jwt", "Could not verify JWT: JWSError JWSInvalidSignature")

	// A valid token whose payload was swapped keeps its signature: refused.
	good := sign(t, jwa.RS256(), rk, "", claims)
	parts := strings.Split(good, ".")
	claims[DefaultClaimsNamespace] = map[string]any{"x-hasura-default-role": "admin", "x-hasura-allowed-roles": []string{"admin"}}
	forged, _ := json.Marshal(claims)
	_, err = a.Authenticate(request(bearer(parts[0]+"."+enc(forged)+"."+parts[2])), nil)
	wantError(t, err, 400, "invalid-jwt", "Could not verify JWT: JWSError JWSInvalidSignature")

	// Oversized tokens are refused before any parsing.
	_, err = a.Authenticate(request(bearer(strings.Repeat("a", maxTokenBytes+1))), nil)
	wantError(t, err, 400, "invalid-jwt", "Could not verify JWT: JWSError (CompactDecodeError token too large)")
}

func TestJWTClaimsSettings(t *testing.T) {
	clock := newClock()
	now := clock.Now()
	tok := func(c map[string]any) string { return sign(t, jwa.HS256(), []byte(hsKey), "", c) }
	base := func(extra map[string]any) map[string]any {
		c := map[string]any{"sub": "u9", "exp": now.Add(time.Hour).Unix()}
		for k, v := range extra {
			c[k] = v
		}
		return c
	}
	roles := map[string]any{"x-hasura-allowed-roles": []string{"user"}, "x-hasura-default-role": "user", "x-hasura-user-id": "5"}
	rolesJSON, _ := json.Marshal(roles)

	cases := []struct {
		name   string
		secret map[string]any
		claims map[string]any
		userID string
		err    string
	}{
		{"custom namespace", map[string]any{"claims_namespace": "hasura"}, base(map[string]any{"hasura": roles}), "5", ""},
		{"namespace path", map[string]any{"claims_namespace_path": "$.app.hasura"}, base(map[string]any{"app": map[string]any{"hasura": roles}}), "5", ""},
		{"namespace path root", map[string]any{"claims_namespace_path": "$"}, base(roles), "5", ""},
		{"namespace path missing", map[string]any{"claims_namespace_path": "$.app.hasura"}, base(nil), "", "claims not found at claims_namespace_path: '$.app.hasura'"},
		{"stringified", map[string]any{"claims_format": "stringified_json"}, base(map[string]any{DefaultClaimsNamespace: string(rolesJSON)}), "5", ""},
		{"stringified but object", map[string]any{"claims_format": "stringified_json"}, base(map[string]any{DefaultClaimsNamespace: roles}), "", "expecting a string when claims_format is stringified_json"},
		{"stringified garbage", map[string]any{"claims_format": "stringified_json"}, base(map[string]any{DefaultClaimsNamespace: "{nope"}), "",
			"expecting stringified json at: 'claims_namespace https://hasura.io/jwt/claims', but found: {nope"},
		{"claims map", map[string]any{"claims_map": map[string]any{
			"x-hasura-allowed-roles": map[string]any{"path": "$.roles"},
			"x-hasura-default-role":  map[string]any{"path": "$.role", "default": "user"},
			"X-Hasura-User-Id":       map[string]any{"path": "$.sub"},
			"x-hasura-tenant":        "acme",
		}}, base(map[string]any{"roles": []string{"user"}}), "u9", ""},
		{"claims map missing var", map[string]any{"claims_map": map[string]any{
			"x-hasura-allowed-roles": []string{"user"}, "x-hasura-default-role": "user",
			"x-hasura-user-id": map[string]any{"path": "$.uid"},
		}}, base(nil), "", "JWT claim from claims_map, x-hasura-user-id not found"},
		{"claims map default roles", map[string]any{"claims_map": map[string]any{
			"x-hasura-allowed-roles": map[string]any{"path": "$.roles", "default": []string{"user"}},
			"x-hasura-default-role":  "user",
			"x-hasura-user-id":       map[string]any{"path": "$.uid", "default": "anon-id"},
		}}, base(nil), "anon-id", ""},
		{"claims map missing roles", map[string]any{"claims_map": map[string]any{
			"x-hasura-allowed-roles": map[string]any{"path": "$.roles"}, "x-hasura-default-role": "user",
		}}, base(nil), "", "JWT claim does not contain x-hasura-allowed-roles"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			secret := map[string]any{"type": "HS256", "key": hsKey}
			for k, v := range tc.secret {
				secret[k] = v
			}
			a := mustNew(t, Config{AdminSecret: "x", JWTSecret: secretJSON(t, secret)}, WithClock(clock.Now))
			s, err := a.Authenticate(request(bearer(tok(tc.claims))), nil)
			if tc.err != "" {
				var code string
				if strings.HasPrefix(tc.err, "JWT claim does not") {
					code = "jwt-missing-role-claims"
				} else {
					code = "jwt-invalid-claims"
				}
				wantError(t, err, 400, code, tc.err)
				return
			}
			if err != nil || s.Role != "user" || s.Vars["x-hasura-user-id"] != tc.userID {
				t.Fatalf("%+v %v", s, err)
			}
			if tc.name == "claims map" && s.Vars["x-hasura-tenant"] != "acme" {
				t.Fatalf("literal claim: %+v", s.Vars)
			}
		})
	}
}

func TestJWTCookieAndCustomHeader(t *testing.T) {
	clock := newClock()
	tok := sign(t, jwa.HS256(), []byte(hsKey), "", userClaims(clock.Now(), nil))

	cookie := mustNew(t, Config{AdminSecret: "x", JWTSecret: secretJSON(t, map[string]any{
		"type": "HS256", "key": hsKey, "header": map[string]any{"type": "Cookie", "name": "session"},
	})}, WithClock(clock.Now))
	s, err := cookie.Authenticate(request(map[string]string{"Cookie": "theme=dark; session=" + tok}), nil)
	if err != nil || s.Role != "user" {
		t.Fatalf("cookie: %+v %v", s, err)
	}
	// A bearer token is not looked at when the secret reads a cookie.
	_, err = cookie.Authenticate(request(bearer(tok)), nil)
	wantError(t, err, 400, "invalid-headers", msgMissingJWT)
	_, err = cookie.Authenticate(request(map[string]string{"Cookie": "other=" + tok}), nil)
	wantError(t, err, 400, "invalid-headers", msgMissingJWT)

	custom := mustNew(t, Config{AdminSecret: "x", JWTSecret: secretJSON(t, map[string]any{
		"type": "HS256", "key": hsKey, "header": map[string]any{"type": "CustomHeader", "name": "X-Auth-Token"},
	})}, WithClock(clock.Now))
	s, err = custom.Authenticate(request(map[string]string{"x-auth-token": tok}), nil)
	if err != nil || s.Role != "user" {
		t.Fatalf("custom header: %+v %v", s, err)
	}
	// The Authorization header is ignored (even a malformed one) when unused.
	_, err = custom.Authenticate(request(map[string]string{"Authorization": "Basic x"}), nil)
	wantError(t, err, 400, "invalid-headers", msgMissingJWT)
}

func TestJWTMultipleSecrets(t *testing.T) {
	clock := newClock()
	now := clock.Now()
	rk, rk2 := testRSA(t)
	secrets := `[` + secretJSON(t, map[string]any{"type": "RS256", "key": pubPEM(t, &rk.PublicKey), "issuer": "https://one/"}) + `,` +
		secretJSON(t, map[string]any{"type": "RS256", "key": pubPEM(t, &rk2.PublicKey), "issuer": "https://two/", "claims_namespace": "two"}) + `]`
	a := mustNew(t, Config{AdminSecret: "x", JWTSecrets: secrets}, WithClock(clock.Now))

	one := sign(t, jwa.RS256(), rk, "", userClaims(now, map[string]any{"iss": "https://one/"}))
	if s, err := a.Authenticate(request(bearer(one)), nil); err != nil || s.Role != "user" {
		t.Fatalf("issuer one: %+v %v", s, err)
	}
	two := sign(t, jwa.RS256(), rk2, "", map[string]any{"iss": "https://two/", "exp": now.Add(time.Minute).Unix(),
		"two": map[string]any{"x-hasura-allowed-roles": []string{"editor"}, "x-hasura-default-role": "editor"}})
	if s, err := a.Authenticate(request(bearer(two)), nil); err != nil || s.Role != "editor" {
		t.Fatalf("issuer two: %+v %v", s, err)
	}
	// A token from issuer one signed by issuer two's key is not accepted.
	crossed := sign(t, jwa.RS256(), rk2, "", userClaims(now, map[string]any{"iss": "https://one/"}))
	_, err := a.Authenticate(request(bearer(crossed)), nil)
	wantError(t, err, 400, "invalid-jwt", "Could not verify JWT: JWSError JWSInvalidSignature")

	stranger := sign(t, jwa.RS256(), rk, "", userClaims(now, map[string]any{"iss": "https://three/"}))
	_, err = a.Authenticate(request(bearer(stranger)), nil)
	wantError(t, err, 400, "invalid-jwt", "Could not verify JWT: JWTNotInIssuer")

	noIss := sign(t, jwa.RS256(), rk, "", userClaims(now, nil))
	_, err = a.Authenticate(request(bearer(noIss)), nil)
	wantError(t, err, 400, "invalid-headers", "Could not verify JWT: Multiple JWTs found")
}

func TestJWTUnauthorizedRole(t *testing.T) {
	a := mustNew(t, Config{AdminSecret: "x", UnauthorizedRole: "anonymous",
		JWTSecret: secretJSON(t, map[string]any{"type": "HS256", "key": hsKey})})
	s, err := a.Authenticate(request(map[string]string{"X-Hasura-Role": "admin"}), nil)
	if err != nil || s.Role != "anonymous" || s.Vars["x-hasura-role"] != "anonymous" || !s.Expires.IsZero() {
		t.Fatalf("anonymous: %+v %v", s, err)
	}
	// A token that is present but invalid is an error, not anonymous access.
	_, err = a.Authenticate(request(bearer("a.b.c")), nil)
	if err == nil {
		t.Fatal("invalid token accepted as anonymous")
	}
	// The admin secret still wins over everything else.
	s, err = a.Authenticate(request(map[string]string{"X-Hasura-Admin-Secret": "x", "Authorization": "Bearer a.b.c"}), nil)
	if err != nil || !s.IsAdmin() {
		t.Fatalf("admin with junk token: %+v %v", s, err)
	}
}

func TestJWTRejectsCritHeader(t *testing.T) {
	clock := newClock()
	a := mustNew(t, Config{AdminSecret: "x", JWTSecret: secretJSON(t, map[string]any{"type": "HS256", "key": hsKey})}, WithClock(clock.Now))
	h := jws.NewHeaders()
	_ = h.Set("crit", []string{"exp-ext"})
	_ = h.Set("exp-ext", true)
	payload, _ := json.Marshal(userClaims(clock.Now(), nil))
	tok, err := jws.Sign(payload, jws.WithKey(jwa.HS256(), []byte(hsKey), jws.WithProtectedHeaders(h)))
	if err != nil {
		t.Fatal(err)
	}
	_, err = a.Authenticate(request(bearer(string(tok))), nil)
	wantError(t, err, 400, "invalid-jwt", "Could not verify JWT: JWSError JWSInvalidSignature")
}

func TestSessionVarsAreNotShared(t *testing.T) {
	clock := newClock()
	a := mustNew(t, Config{AdminSecret: "x", JWTSecret: secretJSON(t, map[string]any{"type": "HS256", "key": hsKey})}, WithClock(clock.Now))
	tok := sign(t, jwa.HS256(), []byte(hsKey), "", userClaims(clock.Now(), nil))
	s1, _ := a.Authenticate(request(bearer(tok)), nil)
	s1.Vars["x-hasura-user-id"] = "changed"
	s2, _ := a.Authenticate(request(bearer(tok)), nil)
	if s2.Vars["x-hasura-user-id"] != "42" {
		t.Fatal("sessions share their variables")
	}
}

func TestAuthenticateHeaders(t *testing.T) {
	clock := newClock()
	a := mustNew(t, Config{AdminSecret: "x", JWTSecret: secretJSON(t, map[string]any{"type": "HS256", "key": hsKey})}, WithClock(clock.Now))
	tok := sign(t, jwa.HS256(), []byte(hsKey), "", userClaims(clock.Now(), nil))
	// connection_init payloads carry header names in any case.
	s, err := a.AuthenticateHeaders(context.Background(), http.Header{"authorization": {"Bearer " + tok}, "x-hasura-role": {"editor"}})
	if err != nil || s.Role != "editor" || !s.Expires.Equal(clock.Now().Add(time.Hour)) {
		t.Fatalf("%+v %v", s, err)
	}
	_, err = a.AuthenticateHeaders(context.Background(), http.Header{})
	wantError(t, err, 400, "invalid-headers", msgMissingJWT)
}

// TestJWTIssuerFromCache: a token already verified is matched to secrets
// by the issuer its cache entry keeps, with the same answers as the first
// time (which decoded the token).
func TestJWTIssuerFromCache(t *testing.T) {
	clock := newClock()
	now := clock.Now()
	rk, rk2 := testRSA(t)
	secrets := `[` + secretJSON(t, map[string]any{"type": "RS256", "key": pubPEM(t, &rk.PublicKey)}) + `,` +
		secretJSON(t, map[string]any{"type": "RS256", "key": pubPEM(t, &rk2.PublicKey), "issuer": "https://two/"}) + `]`
	a := mustNew(t, Config{AdminSecret: "x", JWTSecrets: secrets}, WithClock(clock.Now))
	one := sign(t, jwa.RS256(), rk, "", userClaims(now, map[string]any{"iss": "https://one/"}))
	noIss := sign(t, jwa.RS256(), rk, "", userClaims(now, nil))
	for i := 0; i < 3; i++ {
		// Only the first secret (no issuer) takes a token from another issuer.
		if s, err := a.Authenticate(request(bearer(one)), nil); err != nil || s.Role != "user" {
			t.Fatalf("request %d, issuer one: %+v %v", i, s, err)
		}
		// A token without iss matches both secrets.
		_, err := a.Authenticate(request(bearer(noIss)), nil)
		wantError(t, err, 400, "invalid-headers", "Could not verify JWT: Multiple JWTs found")
	}
}

func TestBearerTokenSplitsLikeFields(t *testing.T) {
	for _, h := range []string{
		"Bearer abc", "  Bearer\tabc  ", "Bearer", "Bearer ", "bearer abc", "Bearer a b", "Bearer a\u00a0b",
		"Bearer\u00a0abc", "Bearer abc\u2003", "Bearer é", "", " ", "Bearer\x00abc", "Bearer  abc\v", "Basic abc",
		"Bearer abc\xff", "\xffBearer abc",
		"Bearer eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiIxIn0.c2lnbmF0dXJlX2J5dGVz", "Bearer eyJhbGciOiJSUzI1NiJ9.eyJzdWIi OiIxIn0",
		"Bearer eyJhbGciOiJSUzI1NiJ9\x01eyJzdWIiOiIxIn0", "Bearer eyJhbGciOiJSUzI1NiJ9.eyJzd\u00a0WIiOiIxIn0  ",
		"Bearer  \teyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiIxIn0\t", "Bearer eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiIxIn0\x7f\x7f\x7f\x7f\x7f\x7f\x7f\x7f",
	} {
		tok, ok := bearerToken(h)
		f := strings.Fields(h)
		wantOK := len(f) == 2 && f[0] == "Bearer"
		if ok != wantOK || ok && tok != f[1] {
			t.Errorf("bearerToken(%q) = %q, %v; strings.Fields gives %q", h, tok, ok, f)
		}
	}
}

func FuzzBearerToken(f *testing.F) {
	f.Add("Bearer eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiIxIn0.c2lnbmF0dXJlX2J5dGVz")
	f.Add("Bearer  a\u00a0b ")
	f.Fuzz(func(t *testing.T, h string) {
		tok, ok := bearerToken(h)
		fields := strings.Fields(h)
		wantOK := len(fields) == 2 && fields[0] == "Bearer"
		if ok != wantOK || ok && tok != fields[1] {
			t.Errorf("bearerToken(%q) = %q, %v; strings.Fields gives %q", h, tok, ok, fields)
		}
	})
}
