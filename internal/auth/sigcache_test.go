package auth

import (
	"context"
	"testing"
	"time"

	"github.com/lestrrat-go/jwx/v3/jwa"
)

// swappableStore is a key store whose keys and version a test controls.
type swappableStore struct {
	set []verifyKey
	ver uint64
}

func (s *swappableStore) keys(context.Context, string) []verifyKey { return s.set }
func (s *swappableStore) version() uint64                          { return s.ver }

func TestVerifiedTokenCache(t *testing.T) {
	clock := newClock()
	k1, k2 := testRSA(t)
	store := &swappableStore{set: []verifyKey{{kid: "a", algs: []string{"RS256"}, key: &k1.PublicKey}}, ver: 1}
	v := &verifier{spec: &jwtSpec{}, store: store, now: clock.Now, verified: newSigCache(10)}
	claims := userClaims(clock.Now(), nil)
	claims["exp"] = clock.Now().Add(time.Minute).Unix()
	tok := sign(t, jwa.RS256(), k1, "a", claims)
	if _, _, err := v.verify(context.Background(), tok); err != nil {
		t.Fatal(err)
	}

	// While the key set is unchanged the signature is not checked again.
	store.set = []verifyKey{{kid: "a", algs: []string{"RS256"}, key: &k2.PublicKey}}
	if _, _, err := v.verify(context.Background(), tok); err != nil {
		t.Fatalf("cached token: %v", err)
	}
	// Time claims are checked on every use.
	clock.Advance(2 * time.Minute)
	if _, _, err := v.verify(context.Background(), tok); err == nil || err.Message != "Could not verify JWT: JWTExpired" {
		t.Fatalf("expired cached token: %v", err)
	}
	clock.Advance(-2 * time.Minute)
	// A new key set invalidates what was verified against the old one.
	store.ver = 2
	if _, _, err := v.verify(context.Background(), tok); err == nil || err.Message != "Could not verify JWT: JWSError JWSInvalidSignature" {
		t.Fatalf("after key change: %v", err)
	}

	// The cache stays within its bound.
	c := newSigCache(3)
	for i := range 10 {
		c.put(tokenKey(string(rune('a'+i))), sigEntry{})
	}
	if len(c.entries) != 3 {
		t.Fatalf("cache holds %d entries", len(c.entries))
	}
}
