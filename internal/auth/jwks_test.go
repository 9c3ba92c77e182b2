package auth

import (
	"context"
	"crypto/elliptic"
	"encoding/json"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/lestrrat-go/jwx/v3/jwa"
	"github.com/lestrrat-go/jwx/v3/jwk"
)

// jwksServer is an issuer's JWKS endpoint on loopback whose keys and
// caching headers change during a test.
type jwksServer struct {
	mu           sync.Mutex
	keys         []jwk.Key
	cacheControl string
	expires      string
	status       int
	fetches      atomic.Int32
	*httptest.Server
}

var quiet = slog.New(slog.DiscardHandler)

func newJWKSServer(t *testing.T) *jwksServer {
	s := &jwksServer{status: http.StatusOK, cacheControl: "max-age=3600"}
	s.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s.fetches.Add(1)
		s.mu.Lock()
		defer s.mu.Unlock()
		if s.cacheControl != "" {
			w.Header().Set("Cache-Control", s.cacheControl)
		}
		if s.expires != "" {
			w.Header().Set("Expires", s.expires)
		}
		if s.status != http.StatusOK {
			w.WriteHeader(s.status)
			return
		}
		set := jwk.NewSet()
		for _, k := range s.keys {
			_ = set.AddKey(k)
		}
		_ = json.NewEncoder(w).Encode(set)
	}))
	t.Cleanup(s.Close)
	return s
}

func (s *jwksServer) setKeys(keys ...jwk.Key) {
	s.mu.Lock()
	s.keys = keys
	s.mu.Unlock()
}

func (s *jwksServer) set(f func(s *jwksServer)) {
	s.mu.Lock()
	f(s)
	s.mu.Unlock()
}

// publicJWK is priv's public key as a JWK with kid and, if given, alg.
func publicJWK(t *testing.T, pub any, kid string, alg jwa.SignatureAlgorithm) jwk.Key {
	t.Helper()
	k, err := jwk.Import(pub)
	if err != nil {
		t.Fatal(err)
	}
	if err := k.Set(jwk.KeyIDKey, kid); err != nil {
		t.Fatal(err)
	}
	if alg != (jwa.SignatureAlgorithm{}) {
		if err := k.Set(jwk.AlgorithmKey, alg); err != nil {
			t.Fatal(err)
		}
	}
	return k
}

func jwksAuth(t *testing.T, url string, clock *fakeClock, extra map[string]any) *Authenticator {
	secret := map[string]any{"jwk_url": url, "issuer": "https://issuer/", "audience": "api"}
	for k, v := range extra {
		secret[k] = v
	}
	return mustNew(t, Config{AdminSecret: "x", JWTSecret: secretJSON(t, secret)},
		WithClock(clock.Now), WithKeyRefetchInterval(10*time.Second), WithLogger(quiet))
}

func issuerClaims(now time.Time) map[string]any {
	return userClaims(now, map[string]any{"iss": "https://issuer/", "aud": []string{"api", "https://issuer/userinfo"}})
}

func TestJWKSKeyRotation(t *testing.T) {
	clock := newClock()
	k1, k2 := testRSA(t)
	srv := newJWKSServer(t)
	srv.setKeys(publicJWK(t, &k1.PublicKey, "kid1", jwa.RS256()))
	a := jwksAuth(t, srv.URL, clock, nil)
	if n := srv.fetches.Load(); n != 1 {
		t.Fatalf("start-up fetches: %d", n)
	}
	tok1 := sign(t, jwa.RS256(), k1, "kid1", issuerClaims(clock.Now()))
	if _, err := a.Authenticate(request(bearer(tok1)), nil); err != nil {
		t.Fatal(err)
	}

	// The issuer rotates: a token signed by the new key is accepted after
	// one refetch, although the cached set is still fresh.
	srv.setKeys(publicJWK(t, &k1.PublicKey, "kid1", jwa.RS256()), publicJWK(t, &k2.PublicKey, "kid2", jwa.SignatureAlgorithm{}))
	tok2 := sign(t, jwa.RS256(), k2, "kid2", issuerClaims(clock.Now()))
	if s, err := a.Authenticate(request(bearer(tok2)), nil); err != nil || s.Role != "user" {
		t.Fatalf("rotated key: %+v %v", s, err)
	}
	if n := srv.fetches.Load(); n != 2 {
		t.Fatalf("fetches after rotation: %d", n)
	}
	if _, err := a.Authenticate(request(bearer(tok1)), nil); err != nil {
		t.Fatalf("old key still published: %v", err)
	}

	// Unknown kids cannot make the issuer be fetched more than once per
	// interval.
	k3 := ecKey(t, elliptic.P256())
	forged := sign(t, jwa.ES256(), k3, "kid3", issuerClaims(clock.Now()))
	for range 5 {
		_, err := a.Authenticate(request(bearer(forged)), nil)
		wantError(t, err, 400, "invalid-jwt", "Could not verify JWT: JWSError NoUsableKeys")
	}
	if n := srv.fetches.Load(); n != 2 {
		t.Fatalf("unknown kid refetches were not limited: %d", n)
	}
	clock.Advance(11 * time.Second)
	_, err := a.Authenticate(request(bearer(forged)), nil)
	wantError(t, err, 400, "invalid-jwt", "Could not verify JWT: JWSError NoUsableKeys")
	if n := srv.fetches.Load(); n != 3 {
		t.Fatalf("refetch after the interval: %d", n)
	}

	// Swapped kid: signed by key 2 but naming key 1.
	swapped := sign(t, jwa.RS256(), k2, "kid1", issuerClaims(clock.Now()))
	_, err = a.Authenticate(request(bearer(swapped)), nil)
	wantError(t, err, 400, "invalid-jwt", "Could not verify JWT: JWSError JWSInvalidSignature")

	// A JWK's own alg is the only one it verifies.
	rs512 := sign(t, jwa.RS512(), k1, "kid1", issuerClaims(clock.Now()))
	_, err = a.Authenticate(request(bearer(rs512)), nil)
	wantError(t, err, 400, "invalid-jwt", "Could not verify JWT: JWSError JWSInvalidSignature")

	// A JWK without alg verifies what its type allows, never HMAC.
	hsWithKid := sign(t, jwa.HS256(), []byte(pubPEM(t, &k2.PublicKey)), "kid2", issuerClaims(clock.Now()))
	_, err = a.Authenticate(request(bearer(hsWithKid)), nil)
	wantError(t, err, 400, "invalid-jwt", "Could not verify JWT: JWSError JWSInvalidSignature")

	// A token without kid is tried against every key.
	noKid := sign(t, jwa.RS256(), k2, "", issuerClaims(clock.Now()))
	if _, err := a.Authenticate(request(bearer(noKid)), nil); err != nil {
		t.Fatalf("token without kid: %v", err)
	}
}

func TestJWKSCacheControlRefresh(t *testing.T) {
	clock := newClock()
	k1, k2 := testRSA(t)
	srv := newJWKSServer(t)
	srv.set(func(s *jwksServer) { s.cacheControl = "public, max-age=60" })
	srv.setKeys(publicJWK(t, &k1.PublicKey, "kid1", jwa.RS256()))
	a := jwksAuth(t, srv.URL, clock, nil)
	tok1 := sign(t, jwa.RS256(), k1, "kid1", issuerClaims(clock.Now()))

	clock.Advance(30 * time.Second)
	if _, err := a.Authenticate(request(bearer(tok1)), nil); err != nil {
		t.Fatal(err)
	}
	if n := srv.fetches.Load(); n != 1 {
		t.Fatalf("fresh set refetched: %d", n)
	}

	// The issuer withdraws key 1. Once the set expires, the next request
	// starts a reload in the background (and may still be served by the old
	// set); after it key 1 no longer verifies.
	srv.setKeys(publicJWK(t, &k2.PublicKey, "kid2", jwa.RS256()))
	clock.Advance(31 * time.Second)
	noKid := sign(t, jwa.RS256(), k2, "", issuerClaims(clock.Now()))
	_, _ = a.Authenticate(request(bearer(noKid)), nil)
	waitIdle(t, a)
	if n := srv.fetches.Load(); n != 2 {
		t.Fatalf("expired set not refetched once: %d", n)
	}
	tok2 := sign(t, jwa.RS256(), k2, "kid2", issuerClaims(clock.Now()))
	if _, err := a.Authenticate(request(bearer(tok2)), nil); err != nil {
		t.Fatal(err)
	}
	if n := srv.fetches.Load(); n != 2 {
		t.Fatalf("known kid caused a fetch: %d", n)
	}
	_, err := a.Authenticate(request(bearer(tok1)), nil)
	wantError(t, err, 400, "invalid-jwt", "Could not verify JWT: JWSError NoUsableKeys")

	// no-cache: reloaded at most once a second.
	srv.set(func(s *jwksServer) { s.cacheControl = "no-cache" })
	clock.Advance(61 * time.Second)
	before := srv.fetches.Load()
	for range 3 {
		if _, err := a.Authenticate(request(bearer(tok2)), nil); err != nil {
			t.Fatal(err)
		}
		waitIdle(t, a)
	}
	clock.Advance(time.Second)
	if _, err := a.Authenticate(request(bearer(tok2)), nil); err != nil {
		t.Fatal(err)
	}
	waitIdle(t, a)
	if n := srv.fetches.Load() - before; n != 2 {
		t.Fatalf("fetches with no-cache over one second: %d", n)
	}
}

// waitIdle waits for background key loads of a's first secret to end.
func waitIdle(t *testing.T, a *Authenticator) {
	t.Helper()
	kc := a.verifiers[0].store.(*keyCache)
	// A wall-clock deadline, not a count of sleeps: on a loaded machine
	// the load (an HTTP round trip) can take well over a second.
	for deadline := time.Now().Add(20 * time.Second); ; time.Sleep(2 * time.Millisecond) {
		kc.mu.Lock()
		busy := kc.inflight != nil
		kc.mu.Unlock()
		if !busy {
			return
		}
		if time.Now().After(deadline) {
			t.Fatal("key load did not finish")
		}
	}
}

func TestJWKSStartupFailureIsNotFatal(t *testing.T) {
	clock := newClock()
	k1, _ := testRSA(t)
	srv := newJWKSServer(t)
	srv.set(func(s *jwksServer) { s.status = http.StatusServiceUnavailable })
	srv.setKeys(publicJWK(t, &k1.PublicKey, "kid1", jwa.RS256()))
	a := jwksAuth(t, srv.URL, clock, nil)
	tok := sign(t, jwa.RS256(), k1, "kid1", issuerClaims(clock.Now()))
	_, err := a.Authenticate(request(bearer(tok)), nil)
	wantError(t, err, 400, "invalid-jwt", "Could not verify JWT: JWSError NoUsableKeys")

	srv.set(func(s *jwksServer) { s.status = http.StatusOK })
	clock.Advance(11 * time.Second)
	if _, err := a.Authenticate(request(bearer(tok)), nil); err != nil {
		t.Fatalf("after the issuer recovered: %v", err)
	}

	// An unreachable URL does not stop start-up either.
	closed := httptest.NewServer(http.NotFoundHandler())
	closed.Close()
	if _, err := New(Config{AdminSecret: "x", JWTSecret: `{"jwk_url":"` + closed.URL + `/jwks"}`}, WithLogger(quiet)); err != nil {
		t.Fatal(err)
	}
}

func TestJWKSConcurrentUnknownKid(t *testing.T) {
	clock := newClock()
	k1, k2 := testRSA(t)
	srv := newJWKSServer(t)
	srv.setKeys(publicJWK(t, &k1.PublicKey, "kid1", jwa.RS256()))
	a := jwksAuth(t, srv.URL, clock, nil)
	srv.setKeys(publicJWK(t, &k2.PublicKey, "kid2", jwa.RS256()))
	clock.Advance(11 * time.Second)
	tok := sign(t, jwa.RS256(), k2, "kid2", issuerClaims(clock.Now()))
	var wg sync.WaitGroup
	var failures atomic.Int32
	for range 20 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if _, err := a.Authenticate(request(bearer(tok)), nil); err != nil {
				failures.Add(1)
			}
		}()
	}
	wg.Wait()
	if n := srv.fetches.Load(); n != 2 {
		t.Fatalf("concurrent unknown kids caused %d fetches", n)
	}
	if failures.Load() != 0 {
		t.Fatalf("%d requests failed", failures.Load())
	}
}

func TestCacheExpiry(t *testing.T) {
	now := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	cases := []struct {
		cc, expires string
		want        time.Time
	}{
		{"max-age=120", "", now.Add(2 * time.Minute)},
		{"public, s-maxage=30", "", now.Add(30 * time.Second)},
		{"no-store", "", now},
		{"no-cache, max-age=500", "", now},
		{"must-revalidate", "", now},
		{"must-revalidate, max-age=9", "", now.Add(9 * time.Second)},
		{"", "Fri, 02 Jan 2026 04:00:00 GMT", time.Date(2026, 1, 2, 4, 0, 0, 0, time.UTC)},
		{"public", "Fri, 02 Jan 2026 04:00:00 GMT", time.Date(2026, 1, 2, 4, 0, 0, 0, time.UTC)},
		{"", "garbage", time.Time{}},
		{"", "", time.Time{}},
	}
	for _, tc := range cases {
		h := http.Header{}
		if tc.cc != "" {
			h.Set("Cache-Control", tc.cc)
		}
		if tc.expires != "" {
			h.Set("Expires", tc.expires)
		}
		if got := cacheExpiry(h, now); !got.Equal(tc.want) {
			t.Errorf("%q %q: got %v want %v", tc.cc, tc.expires, got, tc.want)
		}
	}
}

// memoryKeys is an in-process key source.
type memoryKeys struct {
	mu    sync.Mutex
	set   jwk.Set
	calls int
}

func (m *memoryKeys) KeySet(context.Context) (jwk.Set, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.calls++
	return m.set.Clone()
}

func (m *memoryKeys) publish(keys ...jwk.Key) {
	set := jwk.NewSet()
	for _, k := range keys {
		_ = set.AddKey(k)
	}
	m.mu.Lock()
	m.set = set
	m.mu.Unlock()
}

func TestLocalIssuer(t *testing.T) {
	clock := newClock()
	k1, k2 := testRSA(t)
	src := &memoryKeys{}
	// The identity provider publishes private keys; only their public part is used.
	priv1, err := jwk.Import(k1)
	if err != nil {
		t.Fatal(err)
	}
	_ = priv1.Set(jwk.KeyIDKey, "idp-1")
	src.publish(priv1)
	audiences := []string{"https://api.example/"}
	a := mustNew(t, Config{AdminSecret: "x"}, WithClock(clock.Now), WithLocalIssuer(LocalIssuer{
		Issuer: "http://localhost:8080/auth/", Keys: src,
		Audiences: func(context.Context) ([]string, error) { return audiences, nil },
	}))
	if info := a.Info(); !info.IsJWTSet || len(info.JWT) != 1 {
		t.Fatalf("info: %+v", info)
	}
	claims := userClaims(clock.Now(), map[string]any{"iss": "http://localhost:8080/auth/", "aud": "https://api.example/"})
	tok := sign(t, jwa.RS256(), k1, "idp-1", claims)
	if s, err := a.Authenticate(request(bearer(tok)), nil); err != nil || s.Role != "user" {
		t.Fatalf("local token: %+v %v", s, err)
	}
	claims["aud"] = "https://other/"
	_, err = a.Authenticate(request(bearer(sign(t, jwa.RS256(), k1, "idp-1", claims))), nil)
	wantError(t, err, 400, "invalid-jwt", "Could not verify JWT: JWTNotInAudience")
	_, err = a.Authenticate(request(map[string]string{}), nil)
	wantError(t, err, 400, "invalid-headers", msgMissingJWT)

	// Rotation inside the identity provider.
	src.publish(publicJWK(t, &k2.PublicKey, "idp-2", jwa.RS256()))
	clock.Advance(time.Second)
	claims["aud"] = "https://api.example/"
	if _, err := a.Authenticate(request(bearer(sign(t, jwa.RS256(), k2, "idp-2", claims))), nil); err != nil {
		t.Fatalf("rotated local key: %v", err)
	}
}

func TestJWKSSlowIssuerDoesNotStallRequests(t *testing.T) {
	clock := newClock()
	k1, _ := testRSA(t)
	release := make(chan struct{})
	var hang atomic.Bool
	key := publicJWK(t, &k1.PublicKey, "kid1", jwa.RS256())
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if hang.Load() {
			<-release
		}
		w.Header().Set("Cache-Control", "max-age=5")
		set := jwk.NewSet()
		_ = set.AddKey(key)
		_ = json.NewEncoder(w).Encode(set)
	}))
	defer srv.Close()
	defer close(release)
	a := jwksAuth(t, srv.URL, clock, nil)
	tok := sign(t, jwa.RS256(), k1, "kid1", issuerClaims(clock.Now()))

	hang.Store(true)
	clock.Advance(6 * time.Second)
	done := make(chan error, 1)
	go func() {
		_, err := a.Authenticate(request(bearer(tok)), nil)
		done <- err
	}()
	select {
	case err := <-done:
		if err != nil {
			t.Fatal(err)
		}
	case <-time.After(10 * time.Second): // the endpoint hangs until the test ends
		t.Fatal("a request waited for a hanging JWKS endpoint")
	}
}

func TestJWKSKeyTypes(t *testing.T) {
	clock := newClock()
	ec, ed := ecKey(t, elliptic.P384()), edKey(t)
	srv := newJWKSServer(t)
	srv.setKeys(publicJWK(t, &ec.PublicKey, "ec", jwa.SignatureAlgorithm{}), publicJWK(t, ed.Public(), "ed", jwa.SignatureAlgorithm{}))
	a := jwksAuth(t, srv.URL, clock, nil)
	for name, tok := range map[string]string{
		"ES384": sign(t, jwa.ES384(), ec, "ec", issuerClaims(clock.Now())),
		"EdDSA": sign(t, jwa.EdDSA(), ed, "ed", issuerClaims(clock.Now())),
	} {
		if _, err := a.Authenticate(request(bearer(tok)), nil); err != nil {
			t.Errorf("%s: %v", name, err)
		}
	}
	// The curve decides the algorithm: a P-384 key does not verify ES256.
	wrongCurve := sign(t, jwa.ES256(), ecKey(t, elliptic.P256()), "ec", issuerClaims(clock.Now()))
	_, err := a.Authenticate(request(bearer(wrongCurve)), nil)
	wantError(t, err, 400, "invalid-jwt", "Could not verify JWT: JWSError JWSInvalidSignature")
}

func TestJWKSSharedBySecrets(t *testing.T) {
	clock := newClock()
	k1, _ := testRSA(t)
	srv := newJWKSServer(t)
	srv.setKeys(publicJWK(t, &k1.PublicKey, "kid1", jwa.RS256()))
	secrets := `[{"jwk_url":"` + srv.URL + `","issuer":"https://a/"},{"jwk_url":"` + srv.URL + `","issuer":"https://b/"}]`
	a := mustNew(t, Config{AdminSecret: "x", JWTSecrets: secrets}, WithClock(clock.Now), WithLogger(quiet))
	for _, iss := range []string{"https://a/", "https://b/"} {
		tok := sign(t, jwa.RS256(), k1, "kid1", userClaims(clock.Now(), map[string]any{"iss": iss}))
		if _, err := a.Authenticate(request(bearer(tok)), nil); err != nil {
			t.Fatalf("%s: %v", iss, err)
		}
	}
	if n := srv.fetches.Load(); n != 1 {
		t.Fatalf("one JWKS fetched %d times", n)
	}
}
