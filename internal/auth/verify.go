package auth

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"math"
	"slices"
	"strings"
	"sync/atomic"
	"time"

	"github.com/lestrrat-go/jwx/v3/jws"

	"github.com/postgate/postgate/internal/apierr"
)

// maxTokenBytes bounds the size of a token we are willing to look at.
const maxTokenBytes = 16 << 10

// verifier checks tokens against one JWT secret.
type verifier struct {
	spec  *jwtSpec
	store keyStore
	now   func() time.Time
	// audiences, when set, supplies the accepted audiences at request time
	// (an in-process issuer whose APIs can change); it overrides spec.audience.
	audiences func(ctx context.Context) ([]string, error)
	verified  *sigCache
}

// verifiedToken is a token whose signature verified: its claims, its
// registered claims read once, and its Hasura claims extracted once (on
// first use). It is shared by the requests reusing the token (sig cache)
// and never modified but for setting hasuraClaims.
type verifiedToken struct {
	claims map[string]any
	reg    registered
	hc     atomic.Pointer[hasuraClaims]
}

// hasura returns the token's Hasura claims under spec (its verifier's),
// extracted on first use; the result must not be modified.
func (t *verifiedToken) hasura(spec claimsSpec) (hasuraClaims, *apierr.Error) {
	if hc := t.hc.Load(); hc != nil {
		return *hc, nil
	}
	hc, err := extractClaims(spec, t.claims)
	if err != nil {
		return hc, err // errors are not kept: they are built afresh each time
	}
	t.hc.Store(&hc)
	return hc, nil
}

// verify checks the signature and registered claims of token and returns
// it verified, and its expiry.
func (v *verifier) verify(ctx context.Context, token string) (*verifiedToken, time.Time, *apierr.Error) {
	if len(token) > maxTokenBytes {
		return nil, time.Time{}, invalidJWT("JWSError (CompactDecodeError token too large)")
	}
	return v.verifyKeyed(ctx, token, tokenKey(token))
}

// verifyKeyed is verify for a token whose cache key, tokenKey(token), is
// already known.
func (v *verifier) verifyKeyed(ctx context.Context, token string, cacheKey [32]byte) (*verifiedToken, time.Time, *apierr.Error) {
	if len(token) > maxTokenBytes {
		return nil, time.Time{}, invalidJWT("JWSError (CompactDecodeError token too large)")
	}
	if e, ok := v.verified.get(cacheKey); ok {
		// Keep the key set maintained (expiry, reloads) as a full check would.
		if ver := v.store.version(); len(v.store.keys(ctx, e.kid)) > 0 && ver == e.version && ver == v.store.version() {
			exp, aerr := v.checkRegistered(ctx, e.tok.reg)
			if aerr != nil {
				return nil, time.Time{}, aerr
			}
			return e.tok, exp, nil
		}
	}
	version := v.store.version()
	parts := strings.Split(token, ".")
	if len(parts) != 3 {
		return nil, time.Time{}, invalidJWT(fmt.Sprintf("JWSError (CompactDecodeError Invalid number of parts: Expected 3 parts; got %d)", len(parts)))
	}
	for _, part := range parts {
		if _, err := base64.RawURLEncoding.DecodeString(part); err != nil {
			return nil, time.Time{}, invalidJWT(reasonBase64)
		}
	}
	hdrBytes, _ := base64.RawURLEncoding.DecodeString(parts[0])
	var hdr struct {
		Alg  string          `json:"alg"`
		Kid  string          `json:"kid"`
		Crit json.RawMessage `json:"crit"`
		B64  json.RawMessage `json:"b64"`
	}
	if err := json.Unmarshal(hdrBytes, &hdr); err != nil {
		return nil, time.Time{}, invalidJWT(reasonHeaderJSON)
	}
	alg, ok := signatureAlgorithm(hdr.Alg)
	if !ok {
		// "none" and unknown algorithms leave no signature to check.
		return nil, time.Time{}, invalidJWT(reasonNoSignatures)
	}
	candidates := v.store.keys(ctx, hdr.Kid)
	if len(candidates) == 0 {
		return nil, time.Time{}, invalidJWT(reasonNoUsableKeys)
	}
	var payload []byte
	if hdr.Crit == nil && hdr.B64 == nil { // no critical extension is understood here
		for _, k := range candidates {
			if !k.accepts(hdr.Alg) {
				continue
			}
			p, err := jws.Verify([]byte(token), jws.WithKey(alg, k.key), jws.WithAlgorithmMatch(true), jws.WithCompact())
			if err == nil {
				payload = p
				break
			}
		}
	}
	if payload == nil {
		return nil, time.Time{}, invalidJWT(reasonInvalidSignature)
	}
	claims, err := decodeClaims(payload)
	if err != nil {
		return nil, time.Time{}, invalidJWT(fmt.Sprintf("JWTClaimsSetDecodeError %q", err.Error()))
	}
	tok := &verifiedToken{claims: claims}
	tok.reg, _ = readRegistered(claims) // decodeClaims checked it reads
	iss, hasIss := unverifiedIssuer(token)
	v.verified.put(cacheKey, sigEntry{tok: tok, kid: hdr.Kid, version: version, iss: iss, hasIss: hasIss})
	exp, aerr := v.checkRegistered(ctx, tok.reg)
	if aerr != nil {
		return nil, time.Time{}, aerr
	}
	return tok, exp, nil
}

type registered struct {
	exp, nbf, iat          time.Time
	hasExp, hasNbf, hasIat bool
	iss                    string
	hasIss                 bool
	aud                    []string
	hasAud                 bool
}

func decodeClaims(payload []byte) (map[string]any, error) {
	dec := json.NewDecoder(bytes.NewReader(payload))
	dec.UseNumber()
	var claims map[string]any
	if err := dec.Decode(&claims); err != nil || claims == nil {
		return nil, fmt.Errorf("Error in $: parsing ClaimsSet failed, expected Object")
	}
	if _, err := readRegistered(claims); err != nil {
		return nil, err
	}
	return claims, nil
}

func readRegistered(c map[string]any) (registered, error) {
	var r registered
	date := func(name string, dst *time.Time, has *bool) error {
		raw, ok := c[name]
		if !ok || raw == nil {
			return nil
		}
		n, ok := raw.(json.Number)
		if !ok {
			return fmt.Errorf("Error in $.%s: parsing NumericDate failed, expected Number, but encountered %s", name, valueKind(raw))
		}
		f, err := n.Float64()
		if err != nil || math.IsInf(f, 0) || math.IsNaN(f) {
			return fmt.Errorf("Error in $.%s: parsing NumericDate failed", name)
		}
		sec, frac := math.Modf(f)
		*dst, *has = time.Unix(int64(sec), int64(frac*1e9)), true
		return nil
	}
	if err := date("exp", &r.exp, &r.hasExp); err != nil {
		return r, err
	}
	if err := date("nbf", &r.nbf, &r.hasNbf); err != nil {
		return r, err
	}
	if err := date("iat", &r.iat, &r.hasIat); err != nil {
		return r, err
	}
	if raw, ok := c["iss"]; ok && raw != nil {
		s, ok := raw.(string)
		if !ok {
			return r, fmt.Errorf("Error in $.iss: parsing StringOrURI failed, expected String, but encountered %s", valueKind(raw))
		}
		r.iss, r.hasIss = s, true
	}
	if raw, ok := c["aud"]; ok && raw != nil {
		switch a := raw.(type) {
		case string:
			r.aud = []string{a}
		case []any:
			for _, e := range a {
				s, ok := e.(string)
				if !ok {
					return r, fmt.Errorf("Error in $.aud: parsing StringOrURI failed, expected String, but encountered %s", valueKind(e))
				}
				r.aud = append(r.aud, s)
			}
		default:
			return r, fmt.Errorf("Error in $.aud: parsing Audience failed, expected String or Array, but encountered %s", valueKind(raw))
		}
		r.hasAud = true
	}
	return r, nil
}

// checkRegistered validates exp, iat, nbf, iss and aud in that order, with the
// configured skew.
func (v *verifier) checkRegistered(ctx context.Context, r registered) (time.Time, *apierr.Error) {
	now, skew := v.now(), v.spec.skew
	if r.hasExp && now.After(r.exp.Add(skew)) {
		return time.Time{}, invalidJWT(reasonExpired)
	}
	if r.hasIat && r.iat.After(now.Add(skew)) {
		return time.Time{}, invalidJWT(reasonIssuedAtFuture)
	}
	if r.hasNbf && now.Add(skew).Before(r.nbf) {
		return time.Time{}, invalidJWT(reasonNotYetValid)
	}
	if v.spec.hasIssuer && r.hasIss && r.iss != v.spec.issuer {
		return time.Time{}, invalidJWT(reasonNotInIssuer)
	}
	want := v.spec.audience
	if v.audiences != nil {
		a, err := v.audiences(ctx)
		if err != nil {
			return time.Time{}, invalidJWT(reasonNotInAudience)
		}
		want = a
	}
	if want != nil && !slices.ContainsFunc(r.aud, func(a string) bool { return slices.Contains(want, a) }) {
		return time.Time{}, invalidJWT(reasonNotInAudience)
	}
	var exp time.Time
	if r.hasExp {
		exp = r.exp
	}
	return exp, nil
}
