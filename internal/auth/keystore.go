package auth

import (
	"context"
	"sync"
	"time"
)

// keyStore hands out the keys that may verify a token with the given kid
// ("" when the token names none).
type keyStore interface {
	keys(ctx context.Context, kid string) []verifyKey
	// version changes whenever the set of keys changes.
	version() uint64
}

// staticStore is the single key of a secret with "key": it verifies every
// token whatever kid the token names.
type staticStore struct{ key verifyKey }

func (s staticStore) keys(context.Context, string) []verifyKey { return []verifyKey{s.key} }

func (s staticStore) version() uint64 { return 0 }

// fetchFunc loads a key set. expires is when it should be loaded again
// (zero when its source gave no expiry).
type fetchFunc func(ctx context.Context) (keys []verifyKey, expires time.Time, err error)

// keyCache holds a fetched key set and refreshes it: when it expires, when
// its last load failed (after retryAfter), and once per refetchGap when a
// token names a key id the set lacks, so that rotation at the issuer is
// picked up at once without letting forged kids hammer the issuer.
type keyCache struct {
	fetch      fetchFunc
	now        func() time.Time
	defaultTTL time.Duration // used when the source gives no expiry
	retryAfter time.Duration // wait after a failed load
	refetchGap time.Duration // least time between two loads for unknown kids
	onError    func(error)

	mu          sync.Mutex
	set         []verifyKey
	loaded      bool
	nextRefresh time.Time
	lastKidLoad time.Time // start of the last load caused by an unknown kid
	ver         uint64    // incremented by every successful load
	inflight    chan struct{}
}

func (c *keyCache) keys(ctx context.Context, kid string) []verifyKey {
	// An expired set is reloaded in the background while its keys keep
	// serving, so a slow issuer never stalls requests; an empty set (first
	// load failed) is reloaded in the request.
	c.mu.Lock()
	due := !c.loaded || !c.now().Before(c.nextRefresh)
	ch, leader := c.inflight, false
	if due && ch == nil {
		ch, leader = make(chan struct{}), true
		c.inflight = ch
	}
	background := leader && len(c.set) > 0
	c.mu.Unlock()
	waited := false
	switch {
	case background:
		go c.finish(context.WithoutCancel(ctx), ch, true)
	case due:
		c.finish(ctx, ch, leader)
		waited = true
	}
	found := c.match(kid)
	if len(found) > 0 || kid == "" || waited {
		return found
	}
	// Unknown kid: join a load in progress, or start one unless one was
	// started for an unknown kid less than refetchGap ago.
	c.mu.Lock()
	ch, leader = c.inflight, false
	if ch == nil && c.now().Sub(c.lastKidLoad) >= c.refetchGap {
		c.lastKidLoad = c.now()
		ch, leader = make(chan struct{}), true
		c.inflight = ch
	}
	c.mu.Unlock()
	c.finish(ctx, ch, leader)
	return c.match(kid)
}

func (c *keyCache) version() uint64 {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.ver
}

func (c *keyCache) match(kid string) []verifyKey {
	c.mu.Lock()
	defer c.mu.Unlock()
	if kid == "" {
		return c.set
	}
	var out []verifyKey
	for _, k := range c.set {
		if k.kid == kid {
			out = append(out, k)
		}
	}
	return out
}

// refresh loads the set once; concurrent callers share one load.
func (c *keyCache) refresh(ctx context.Context) {
	c.mu.Lock()
	ch, leader := c.inflight, false
	if ch == nil {
		ch, leader = make(chan struct{}), true
		c.inflight = ch
	}
	c.mu.Unlock()
	c.finish(ctx, ch, leader)
}

// finish runs the load when leader, else waits for the load behind ch (if
// any) or for ctx to end.
func (c *keyCache) finish(ctx context.Context, ch chan struct{}, leader bool) {
	switch {
	case ch == nil:
		return
	case !leader:
		select {
		case <-ch:
		case <-ctx.Done():
		}
		return
	}
	// The load outlives a cancelled request: other callers wait on it.
	keys, expires, err := c.fetch(context.WithoutCancel(ctx))

	c.mu.Lock()
	now := c.now()
	if err != nil {
		if c.onError != nil {
			c.onError(err)
		}
		c.nextRefresh = now.Add(c.retryAfter)
		c.loaded = true
	} else {
		c.set, c.loaded = keys, true
		c.ver++
		switch {
		case expires.IsZero():
			c.nextRefresh = now.Add(c.defaultTTL)
		case expires.Before(now.Add(time.Second)):
			c.nextRefresh = now.Add(time.Second)
		default:
			c.nextRefresh = expires
		}
	}
	c.inflight = nil
	c.mu.Unlock()
	close(ch)
}
