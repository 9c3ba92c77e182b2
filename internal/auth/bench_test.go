package auth

import (
	"testing"

	"github.com/lestrrat-go/jwx/v3/jwa"
)

func BenchmarkAuthenticateRS256JWKS(b *testing.B) {
	t := &testing.T{}
	clock := newClock()
	k1, _ := testRSA(t)
	srv := newJWKSServer(t)
	defer srv.Close()
	srv.setKeys(publicJWK(t, &k1.PublicKey, "kid1", jwa.RS256()))
	a := jwksAuth(t, srv.URL, clock, nil)
	r := request(bearer(sign(t, jwa.RS256(), k1, "kid1", issuerClaims(clock.Now()))))
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		if _, err := a.Authenticate(r, nil); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkAdminSecret measures a request authenticated by the admin
// secret (the benchmark's Q1 and Q2), acting as role user.
func BenchmarkAdminSecret(b *testing.B) {
	a, err := New(Config{AdminSecret: "a-benchmark-admin-secret-of-typical-length"})
	if err != nil {
		b.Fatal(err)
	}
	r := request(map[string]string{"X-Hasura-Admin-Secret": "a-benchmark-admin-secret-of-typical-length", "X-Hasura-Role": "user"})
	b.ReportAllocs()
	for b.Loop() {
		if _, err := a.Authenticate(r, nil); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkSecretMatches measures the admin secret comparison alone.
func BenchmarkSecretMatches(b *testing.B) {
	a, err := New(Config{AdminSecret: "a-benchmark-admin-secret-of-typical-length"})
	if err != nil {
		b.Fatal(err)
	}
	for b.Loop() {
		if !a.secretMatches("a-benchmark-admin-secret-of-typical-length") {
			b.Fatal("no match")
		}
	}
}
