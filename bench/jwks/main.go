// Command jwks serves a JSON Web Key Set on loopback and prints an RS256
// access token signed by its key, so the benchmark can measure requests
// authenticated the way an external identity provider would.
package main

import (
	"crypto/rand"
	"crypto/rsa"
	"encoding/json"
	"flag"
	"fmt"
	"log"
	"net/http"
	"os"
	"time"

	"github.com/lestrrat-go/jwx/v3/jwa"
	"github.com/lestrrat-go/jwx/v3/jwk"
	"github.com/lestrrat-go/jwx/v3/jwt"
)

func main() {
	addr := flag.String("addr", "127.0.0.1:8092", "listen address")
	user := flag.String("user", "1", "x-hasura-user-id of the token")
	tokenFile := flag.String("token-file", "", "write the token here")
	flag.Parse()

	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		log.Fatal(err)
	}
	priv, err := jwk.Import(key)
	if err != nil {
		log.Fatal(err)
	}
	_ = priv.Set(jwk.KeyIDKey, "bench-1")
	_ = priv.Set(jwk.AlgorithmKey, jwa.RS256())
	pub, err := priv.PublicKey()
	if err != nil {
		log.Fatal(err)
	}
	set := jwk.NewSet()
	_ = set.AddKey(pub)
	body, _ := json.Marshal(set)

	tok := jwt.New()
	_ = tok.Set(jwt.SubjectKey, *user)
	_ = tok.Set(jwt.IssuedAtKey, time.Now())
	_ = tok.Set(jwt.ExpirationKey, time.Now().Add(24*time.Hour))
	_ = tok.Set("https://hasura.io/jwt/claims", map[string]any{
		"x-hasura-default-role":  "user",
		"x-hasura-allowed-roles": []string{"user"},
		"x-hasura-user-id":       *user,
	})
	signed, err := jwt.Sign(tok, jwt.WithKey(jwa.RS256(), priv))
	if err != nil {
		log.Fatal(err)
	}
	if *tokenFile != "" {
		if err := os.WriteFile(*tokenFile, signed, 0o600); err != nil {
			log.Fatal(err)
		}
	} else {
		fmt.Println(string(signed))
	}
	http.HandleFunc("/.well-known/jwks.json", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		w.Header().Set("Cache-Control", "max-age=3600")
		_, _ = w.Write(body)
	})
	log.Fatal(http.ListenAndServe(*addr, nil))
}
