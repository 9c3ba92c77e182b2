package idp

import (
	"context"
	"crypto/aes"
	"crypto/cipher"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/json"
	"errors"
	"fmt"
	"sync"
	"time"

	jose "github.com/go-jose/go-jose/v4"
	"github.com/jackc/pgx/v5"
	"github.com/lestrrat-go/jwx/v3/jwk"
)

// Signing key states: a "next" key is published in the JWKS before it
// signs, the "current" key signs, a "previous" key stays published until
// the tokens it signed have expired (retire_at).
const (
	keyNext     = "next"
	keyCurrent  = "current"
	keyPrevious = "previous"
	keyRevoked  = "revoked"
)

// signingKey is one RSA key pair.
type signingKey struct {
	KID       string
	Alg       string
	State     string
	CreatedAt time.Time
	RotatedAt *time.Time
	RetireAt  *time.Time
	priv      *rsa.PrivateKey
}

// keyring caches the signing keys read from the database.
type keyring struct {
	st     *store
	encKey []byte
	now    func() time.Time
	newKey func() (*rsa.PrivateKey, error)

	mu     sync.Mutex
	keys   []signingKey
	loaded time.Time
}

// keyCacheTTL bounds how long another instance's rotation takes to be seen.
const keyCacheTTL = 5 * time.Second

func newKeyring(st *store, encKey []byte, now func() time.Time, newKey func() (*rsa.PrivateKey, error)) *keyring {
	return &keyring{st: st, encKey: encKey, now: now, newKey: newKey}
}

// ensure creates the current and next keys when missing.
func (k *keyring) ensure(ctx context.Context) error {
	return pgx.BeginFunc(ctx, k.st.pool, func(tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, `LOCK TABLE `+k.st.t("signing_keys")+` IN SHARE ROW EXCLUSIVE MODE`); err != nil {
			return err
		}
		for _, state := range []string{keyCurrent, keyNext} {
			var n int
			if err := tx.QueryRow(ctx, `SELECT count(*) FROM `+k.st.t("signing_keys")+` WHERE state = $1`, state).Scan(&n); err != nil {
				return err
			}
			if n == 0 {
				if err := k.insert(ctx, tx, state); err != nil {
					return err
				}
			}
		}
		return nil
	})
}

func (k *keyring) insert(ctx context.Context, tx pgx.Tx, state string) error {
	priv, err := k.newKey()
	if err != nil {
		return err
	}
	der, err := x509.MarshalPKCS8PrivateKey(priv)
	if err != nil {
		return err
	}
	enc, err := seal(k.encKey, der)
	if err != nil {
		return err
	}
	_, err = tx.Exec(ctx, `INSERT INTO `+k.st.t("signing_keys")+` (kid, alg, private_key, state) VALUES ($1, 'RS256', $2, $3)`,
		randomID(16), enc, state)
	return err
}

// rotate makes the next key current, keeps the current one published for
// keep (the longest token lifetime) and creates a new next key.
func (k *keyring) rotate(ctx context.Context, keep time.Duration) error {
	err := pgx.BeginFunc(ctx, k.st.pool, func(tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, `LOCK TABLE `+k.st.t("signing_keys")+` IN SHARE ROW EXCLUSIVE MODE`); err != nil {
			return err
		}
		now := k.now()
		if _, err := tx.Exec(ctx, `UPDATE `+k.st.t("signing_keys")+` SET state = 'previous', rotated_at = $1, retire_at = $2 WHERE state = 'current'`,
			now, now.Add(keep)); err != nil {
			return err
		}
		tag, err := tx.Exec(ctx, `UPDATE `+k.st.t("signing_keys")+` SET state = 'current', rotated_at = $1 WHERE state = 'next'`, now)
		if err != nil {
			return err
		}
		if tag.RowsAffected() == 0 {
			if err := k.insert(ctx, tx, keyCurrent); err != nil {
				return err
			}
		}
		return k.insert(ctx, tx, keyNext)
	})
	k.invalidate()
	return err
}

func (k *keyring) invalidate() {
	k.mu.Lock()
	k.loaded = time.Time{}
	k.mu.Unlock()
}

// all returns the keys that are not revoked or retired, loading them when
// the cache is stale.
func (k *keyring) all(ctx context.Context) ([]signingKey, error) {
	k.mu.Lock()
	defer k.mu.Unlock()
	now := k.now()
	if !k.loaded.IsZero() && now.Sub(k.loaded) < keyCacheTTL {
		return k.live(now), nil
	}
	rows, err := k.st.pool.Query(ctx, `SELECT kid, alg, private_key, state, created_at, rotated_at, retire_at FROM `+
		k.st.t("signing_keys")+` WHERE state <> 'revoked' ORDER BY created_at`)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var keys []signingKey
	for rows.Next() {
		var sk signingKey
		var enc []byte
		if err := rows.Scan(&sk.KID, &sk.Alg, &enc, &sk.State, &sk.CreatedAt, &sk.RotatedAt, &sk.RetireAt); err != nil {
			return nil, err
		}
		der, err := open(k.encKey, enc)
		if err != nil {
			return nil, fmt.Errorf("signing key %s: %w (was POSTGATE_AUTH_SECRET_KEY changed?)", sk.KID, err)
		}
		p, err := x509.ParsePKCS8PrivateKey(der)
		if err != nil {
			return nil, err
		}
		rk, ok := p.(*rsa.PrivateKey)
		if !ok {
			return nil, errors.New("signing key is not RSA")
		}
		sk.priv = rk
		keys = append(keys, sk)
	}
	if err := rows.Err(); err != nil {
		return nil, err
	}
	k.keys, k.loaded = keys, now
	return k.live(now), nil
}

func (k *keyring) live(now time.Time) []signingKey {
	out := make([]signingKey, 0, len(k.keys))
	for _, sk := range k.keys {
		if sk.State == keyPrevious && sk.RetireAt != nil && now.After(*sk.RetireAt) {
			continue
		}
		out = append(out, sk)
	}
	return out
}

// current returns the key that signs now.
func (k *keyring) current(ctx context.Context) (signingKey, error) {
	keys, err := k.all(ctx)
	if err != nil {
		return signingKey{}, err
	}
	for _, sk := range keys {
		if sk.State == keyCurrent {
			return sk, nil
		}
	}
	return signingKey{}, errors.New("no current signing key")
}

// jwks returns the published public keys.
func (k *keyring) jwks(ctx context.Context) (jose.JSONWebKeySet, error) {
	keys, err := k.all(ctx)
	if err != nil {
		return jose.JSONWebKeySet{}, err
	}
	var set jose.JSONWebKeySet
	for _, sk := range keys {
		set.Keys = append(set.Keys, jose.JSONWebKey{Key: &sk.priv.PublicKey, KeyID: sk.KID, Algorithm: sk.Alg, Use: "sig"})
	}
	return set, nil
}

// KeySet returns the published public keys as the engine's verifier reads
// them (auth.KeySource).
func (k *keyring) KeySet(ctx context.Context) (jwk.Set, error) {
	set, err := k.jwks(ctx)
	if err != nil {
		return nil, err
	}
	b, err := json.Marshal(set)
	if err != nil {
		return nil, err
	}
	return jwk.Parse(b)
}

// sign signs claims with the current key as a JWT.
func (k *keyring) sign(ctx context.Context, claims map[string]any) (string, error) {
	return k.signTyped(ctx, claims, "JWT")
}

// signTyped is sign with another "typ" header (at+jwt for RFC 9068).
func (k *keyring) signTyped(ctx context.Context, claims map[string]any, typ jose.ContentType) (string, error) {
	sk, err := k.current(ctx)
	if err != nil {
		return "", err
	}
	signer, err := jose.NewSigner(jose.SigningKey{Algorithm: jose.RS256, Key: jose.JSONWebKey{Key: sk.priv, KeyID: sk.KID}},
		(&jose.SignerOptions{}).WithType(typ))
	if err != nil {
		return "", err
	}
	payload, err := json.Marshal(claims)
	if err != nil {
		return "", err
	}
	jws, err := signer.Sign(payload)
	if err != nil {
		return "", err
	}
	return jws.CompactSerialize()
}

// verify checks a JWT signed by one of the published keys and returns its
// claims. It checks the signature and expiry only.
func (k *keyring) verify(ctx context.Context, token string) (map[string]any, error) {
	return k.verifyExp(ctx, token, true)
}

// verifyAllowExpired checks the signature only (id_token_hint may be
// expired).
func (k *keyring) verifyAllowExpired(ctx context.Context, token string) (map[string]any, error) {
	return k.verifyExp(ctx, token, false)
}

func (k *keyring) verifyExp(ctx context.Context, token string, checkExp bool) (map[string]any, error) {
	jws, err := jose.ParseSigned(token, []jose.SignatureAlgorithm{jose.RS256})
	if err != nil {
		return nil, err
	}
	if len(jws.Signatures) != 1 {
		return nil, errors.New("one signature expected")
	}
	kid := jws.Signatures[0].Header.KeyID
	keys, err := k.all(ctx)
	if err != nil {
		return nil, err
	}
	for _, sk := range keys {
		if sk.KID != kid {
			continue
		}
		payload, err := jws.Verify(&sk.priv.PublicKey)
		if err != nil {
			return nil, err
		}
		var claims map[string]any
		if err := json.Unmarshal(payload, &claims); err != nil {
			return nil, err
		}
		exp, _ := claims["exp"].(float64)
		if checkExp && int64(exp) < k.now().Unix() {
			return nil, errors.New("token expired")
		}
		return claims, nil
	}
	return nil, errors.New("unknown signing key")
}

// sealData is the associated data seal and open authenticate.
var sealData = []byte("postgate signing key")

// newGCM is AES-GCM with key (AES-256 for a 32-byte key).
func newGCM(key []byte) (cipher.AEAD, error) {
	block, err := aes.NewCipher(key)
	if err != nil {
		return nil, err
	}
	return cipher.NewGCM(block)
}

// seal encrypts plain with AES-256-GCM; the nonce prefixes the result.
func seal(key, plain []byte) ([]byte, error) {
	gcm, err := newGCM(key)
	if err != nil {
		return nil, err
	}
	nonce := make([]byte, gcm.NonceSize())
	if _, err := rand.Read(nonce); err != nil {
		return nil, err
	}
	return gcm.Seal(nonce, nonce, plain, sealData), nil
}

// open decrypts what seal produced.
func open(key, sealed []byte) ([]byte, error) {
	gcm, err := newGCM(key)
	if err != nil {
		return nil, err
	}
	if len(sealed) < gcm.NonceSize() {
		return nil, errors.New("sealed key too short")
	}
	return gcm.Open(nil, sealed[:gcm.NonceSize()], sealed[gcm.NonceSize():], sealData)
}
