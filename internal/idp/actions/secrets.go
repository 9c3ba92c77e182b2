package actions

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"strings"
)

// StoreOption configures [OpenStore].
type StoreOption func(*Store)

// WithSecretKey seals action secret values at rest with AES-256-GCM under a
// key derived from key (the identity provider's POSTGATE_AUTH_SECRET_KEY).
// Values stored before the key was set are still read as they are.
func WithSecretKey(key []byte) StoreOption {
	return func(s *Store) {
		if len(key) == 0 {
			return
		}
		k := sha256.Sum256(append([]byte("postgate-auth-action-secrets:"), key...))
		block, err := aes.NewCipher(k[:])
		if err != nil {
			return // a 32-byte key always makes a cipher
		}
		aead, err := cipher.NewGCM(block)
		if err != nil {
			return
		}
		s.aead = aead
	}
}

const sealedPrefix = "enc:v1:"

// errSecretKey is returned when sealed secrets cannot be opened.
var errSecretKey = errors.New("actions: the action secrets were sealed with another POSTGATE_AUTH_SECRET_KEY (or none is set)")

// encodeSecrets returns the stored JSON of secrets, values sealed.
func (s *Store) encodeSecrets(list []Secret) []byte {
	if s.aead == nil {
		return mustJSON(list)
	}
	out := make([]Secret, len(list))
	for i, sec := range list {
		nonce := make([]byte, s.aead.NonceSize())
		_, _ = rand.Read(nonce)
		sealed := s.aead.Seal(nonce, nonce, []byte(sec.Value), []byte(sec.Name))
		out[i] = Secret{Name: sec.Name, UpdatedAt: sec.UpdatedAt, Value: sealedPrefix + base64.RawStdEncoding.EncodeToString(sealed)}
	}
	return mustJSON(out)
}

// decodeSecrets reads stored secrets, opening sealed values.
func (s *Store) decodeSecrets(raw []byte, dst *[]Secret) error {
	var list []Secret
	if err := json.Unmarshal(raw, &list); err != nil {
		return err
	}
	for i, sec := range list {
		rest, sealed := strings.CutPrefix(sec.Value, sealedPrefix)
		if !sealed {
			continue
		}
		if s.aead == nil {
			return errSecretKey
		}
		b, err := base64.RawStdEncoding.DecodeString(rest)
		n := s.aead.NonceSize()
		if err != nil || len(b) < n {
			return errSecretKey
		}
		plain, err := s.aead.Open(nil, b[:n], b[n:], []byte(sec.Name))
		if err != nil {
			return errSecretKey
		}
		list[i].Value = string(plain)
	}
	*dst = list
	return nil
}
