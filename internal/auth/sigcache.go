package auth

import (
	"crypto/sha256"
	"sync"
)

// sigCache remembers tokens whose signature verified, so a client reusing
// its token is not checked with public-key cryptography on every request.
// An entry is only trusted while the key set it was verified against is
// unchanged; time-based claims are still checked on every request.
type sigCache struct {
	max     int
	mu      sync.Mutex
	entries map[[32]byte]sigEntry
}

type sigEntry struct {
	tok     *verifiedToken // never modified once stored (but for its memo)
	kid     string
	version uint64
	// iss and hasIss are unverifiedIssuer's answer for the token, which
	// picks the secrets that should verify it.
	iss    string
	hasIss bool
}

func newSigCache(max int) *sigCache {
	return &sigCache{max: max, entries: make(map[[32]byte]sigEntry)}
}

func tokenKey(token string) [32]byte {
	var buf [2048]byte
	if len(token) <= len(buf) {
		return sha256.Sum256(append(buf[:0], token...))
	}
	return sha256.Sum256([]byte(token))
}

func (c *sigCache) get(k [32]byte) (sigEntry, bool) {
	if c == nil || c.max <= 0 {
		return sigEntry{}, false
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	e, ok := c.entries[k]
	return e, ok
}

func (c *sigCache) put(k [32]byte, e sigEntry) {
	if c == nil || c.max <= 0 {
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if len(c.entries) >= c.max {
		for old := range c.entries { // map order is random: evict any
			delete(c.entries, old)
			if len(c.entries) < c.max {
				break
			}
		}
	}
	c.entries[k] = e
}
