package auth

import (
	"container/list"
	"maps"
	"sync"
	"time"

	"github.com/postgate/postgate/internal/session"
)

// hookCache keeps webhook answers until they expire. It holds at most max
// entries, dropping the least recently used one when full.
type hookCache struct {
	max int
	now func() time.Time

	mu      sync.Mutex
	order   *list.List // front: most recently used
	entries map[[32]byte]*list.Element
}

type hookEntry struct {
	key     [32]byte
	session session.Session
	expires time.Time
}

func newHookCache(max int, now func() time.Time) *hookCache {
	return &hookCache{max: max, now: now, order: list.New(), entries: map[[32]byte]*list.Element{}}
}

// get returns a copy of the fresh answer stored under key.
func (c *hookCache) get(key [32]byte) (session.Session, bool) {
	if c.max <= 0 {
		return session.Session{}, false
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	el, ok := c.entries[key]
	if !ok {
		return session.Session{}, false
	}
	e := el.Value.(*hookEntry)
	if !c.now().Before(e.expires) {
		c.order.Remove(el)
		delete(c.entries, key)
		return session.Session{}, false
	}
	c.order.MoveToFront(el)
	s := e.session
	s.Vars = maps.Clone(s.Vars)
	return s, true
}

func (c *hookCache) put(key [32]byte, s session.Session, expires time.Time) {
	if c.max <= 0 {
		return
	}
	s.Vars = maps.Clone(s.Vars)
	c.mu.Lock()
	defer c.mu.Unlock()
	if el, ok := c.entries[key]; ok {
		el.Value = &hookEntry{key: key, session: s, expires: expires}
		c.order.MoveToFront(el)
		return
	}
	for c.order.Len() >= c.max {
		last := c.order.Back()
		c.order.Remove(last)
		delete(c.entries, last.Value.(*hookEntry).key)
	}
	c.entries[key] = c.order.PushFront(&hookEntry{key: key, session: s, expires: expires})
}

func (c *hookCache) len() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.order.Len()
}
