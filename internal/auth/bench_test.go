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
