package auth

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rsa"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"fmt"
	"slices"

	"github.com/lestrrat-go/jwx/v3/jwa"
	"github.com/lestrrat-go/jwx/v3/jwk"
)

// verifyKey is one key a token may be verified with, and the only
// algorithms it may be used with. Keys never carry "none".
type verifyKey struct {
	kid  string
	algs []string // JWS "alg" names
	key  any      // []byte (HMAC), *rsa.PublicKey, *ecdsa.PublicKey, ed25519.PublicKey
}

// accepts reports whether a token signed with alg may be checked with k.
func (k verifyKey) accepts(alg string) bool { return slices.Contains(k.algs, alg) }

// signatureAlgorithm maps a JWS alg name to jwx's value; "none" and
// unknown names are refused.
func signatureAlgorithm(name string) (jwa.SignatureAlgorithm, bool) {
	switch name {
	case "HS256":
		return jwa.HS256(), true
	case "HS384":
		return jwa.HS384(), true
	case "HS512":
		return jwa.HS512(), true
	case "RS256":
		return jwa.RS256(), true
	case "RS384":
		return jwa.RS384(), true
	case "RS512":
		return jwa.RS512(), true
	case "PS256":
		return jwa.PS256(), true
	case "PS384":
		return jwa.PS384(), true
	case "PS512":
		return jwa.PS512(), true
	case "ES256":
		return jwa.ES256(), true
	case "ES384":
		return jwa.ES384(), true
	case "ES512":
		return jwa.ES512(), true
	case "EdDSA":
		return jwa.EdDSA(), true
	case "Ed25519":
		return jwa.EdDSAEd25519(), true
	}
	return jwa.SignatureAlgorithm{}, false
}

// parseStaticKey builds the key of a secret with "type" and "key" (Hasura's
// JWT/Internal.hs): an HMAC secret taken as is, or a PEM public key or X.509
// certificate whose type must match.
func parseStaticKey(typ, key string) (*verifyKey, error) {
	switch typ {
	case "HS256", "HS384", "HS512":
		min := map[string]int{"HS256": 32, "HS384": 48, "HS512": 64}[typ]
		if len(key) < min {
			return nil, fmt.Errorf("Key size too small; should be atleast %d characters", min)
		}
		return &verifyKey{algs: []string{typ}, key: []byte(key)}, nil
	case "RS256", "RS384", "RS512", "ES256", "ES384", "ES512", "Ed25519":
	default:
		return nil, fmt.Errorf("Key type: %s is not supported", typ)
	}
	pub, err := parsePEMPublicKey([]byte(key))
	if err != nil {
		return nil, fmt.Errorf("Could not decode PEM: %v", err)
	}
	algs := algsForKey(pub)
	want := typ
	if typ == "Ed25519" {
		want = "EdDSA"
	}
	if !slices.Contains(algs, want) {
		return nil, fmt.Errorf("Could not decode PEM: the key does not fit type %s", typ)
	}
	if want == "EdDSA" {
		return &verifyKey{algs: []string{"EdDSA", "Ed25519"}, key: pub}, nil
	}
	return &verifyKey{algs: []string{typ}, key: pub}, nil
}

// parsePEMPublicKey reads the first PEM block: a PKIX or PKCS#1 public key
// or an X.509 certificate.
func parsePEMPublicKey(data []byte) (crypto.PublicKey, error) {
	block, _ := pem.Decode(data)
	if block == nil {
		return nil, errors.New("No pem found")
	}
	switch block.Type {
	case "CERTIFICATE":
		cert, err := x509.ParseCertificate(block.Bytes)
		if err != nil {
			return nil, errors.New("invalid X.509 certificate")
		}
		return cert.PublicKey, nil
	case "RSA PUBLIC KEY":
		k, err := x509.ParsePKCS1PublicKey(block.Bytes)
		if err != nil {
			return nil, errors.New("invalid PKCS#1 public key")
		}
		return k, nil
	default:
		k, err := x509.ParsePKIXPublicKey(block.Bytes)
		if err != nil {
			return nil, errors.New("Could not decode public key")
		}
		return k, nil
	}
}

// algsForKey lists the signature algorithms a public key can verify.
// Symmetric keys get none: they are only accepted from static configuration.
func algsForKey(pub crypto.PublicKey) []string {
	switch k := pub.(type) {
	case *rsa.PublicKey:
		return []string{"RS256", "RS384", "RS512", "PS256", "PS384", "PS512"}
	case *ecdsa.PublicKey:
		switch k.Curve {
		case elliptic.P256():
			return []string{"ES256"}
		case elliptic.P384():
			return []string{"ES384"}
		case elliptic.P521():
			return []string{"ES512"}
		}
	case ed25519.PublicKey:
		return []string{"EdDSA", "Ed25519"}
	}
	return nil
}

// keysFromSet turns a JWKS into verification keys. Keys meant for
// encryption, symmetric keys (a JWKS is public) and keys of unknown types are
// skipped; a key's own "alg" narrows what it may verify.
func keysFromSet(set jwk.Set) []verifyKey {
	var out []verifyKey
	for i := 0; i < set.Len(); i++ {
		k, _ := set.Key(i)
		if use, ok := k.KeyUsage(); ok && use != "" && use != "sig" {
			continue
		}
		if ops, ok := k.KeyOps(); ok && len(ops) > 0 && !slices.Contains(ops, jwk.KeyOpVerify) {
			continue
		}
		pk, err := k.PublicKey()
		if err != nil {
			continue
		}
		var raw any
		if err := jwk.Export(pk, &raw); err != nil {
			continue
		}
		algs := algsForKey(raw)
		if alg, ok := k.Algorithm(); ok && alg.String() != "" {
			if !slices.Contains(algs, alg.String()) {
				continue
			}
			algs = []string{alg.String()}
		}
		if len(algs) == 0 {
			continue
		}
		kid, _ := k.KeyID()
		out = append(out, verifyKey{kid: kid, algs: algs, key: raw})
	}
	return out
}
