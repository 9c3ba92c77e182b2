package engine

import (
	"container/list"
	"encoding/json"
	"sync"
	"sync/atomic"

	"github.com/postgate/postgate/internal/ir"
	"github.com/postgate/postgate/internal/plan"
	"github.com/postgate/postgate/internal/sqlgen"
	"github.com/vektah/gqlparser/v2/ast"
)

// cacheKey identifies a query document as one role sends it.
type cacheKey struct {
	gen  uint64
	role string
	// backendOnly is set for requests using backend_only permissions
	// (when the metadata has any), whose schema differs.
	backendOnly bool
	query       string
	op          string
}

// entry is a parsed and validated operation with the plans compiled for
// it (one per combination of shape-deciding variable values).
type entry struct {
	key cacheKey
	op  *ast.OperationDefinition
	err error // validation result, cached as well
	// used holds the variables the operation refers to.
	used map[string]bool

	mu    sync.Mutex
	plans []*compiled
}

// maxPlansPerEntry bounds the plans kept for one query text.
const maxPlansPerEntry = 16

// compiled is a plan with each root field's SQL statement.
type compiled struct {
	plan  *plan.Plan
	stmts []*sqlgen.Statement // parallel to plan.Fields; nil for non-SQL fields
	// session lists the session variables the statements read.
	session []string
	// mut and steps are set for a mutation: its plan (plan then holds
	// only its shape and checks) and every statement in order.
	mut   *plan.MutationPlan
	steps []mutationStep
	// env holds the response's fixed parts (set for a query); size is the
	// length of the last response, the capacity given to the next one.
	env  *envelope
	size atomic.Int64

	mu sync.Mutex
	// intros holds introspection answers by field index, once computed.
	intros map[int][]byte
}

func (c *compiled) intro(i int) []byte {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.intros[i]
}

func (c *compiled) setIntro(i int, b []byte) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.intros == nil {
		c.intros = map[int][]byte{}
	}
	c.intros[i] = b
}

// sessionVars lists, in order of first use, the session variables the
// statements bind.
func sessionVars(stmts []*sqlgen.Statement) []string {
	var out []string
	seen := map[string]bool{}
	for _, st := range stmts {
		if st == nil {
			continue
		}
		for _, p := range st.Params {
			if sv, ok := p.(ir.SessionVar); ok && !seen[sv.Name] {
				seen[sv.Name] = true
				out = append(out, sv.Name)
			}
		}
	}
	return out
}

// find returns a plan usable with vars, or nil.
func (e *entry) find(vars map[string]json.RawMessage) *compiled {
	e.mu.Lock()
	defer e.mu.Unlock()
	for _, c := range e.plans {
		if c.plan.Matches(vars) {
			return c
		}
	}
	return nil
}

// add keeps c, dropping the oldest plan when full.
func (e *entry) add(c *compiled) {
	e.mu.Lock()
	defer e.mu.Unlock()
	if len(e.plans) >= maxPlansPerEntry {
		e.plans = e.plans[1:]
	}
	e.plans = append(e.plans, c)
}

// cache is an LRU of entries bounded by count and by an estimate of their
// memory, safe for concurrent use.
type cache struct {
	mu       sync.Mutex
	max      int
	maxBytes int
	bytes    int
	ll       *list.List
	items    map[cacheKey]*list.Element
}

func newCache(max, maxBytes int) *cache {
	return &cache{max: max, maxBytes: maxBytes, ll: list.New(), items: map[cacheKey]*list.Element{}}
}

// entryCost estimates the memory an entry holds: its query text, the
// syntax tree built from it and its compiled plans.
func entryCost(e *entry) int { return 8*len(e.key.query) + 1024 }

func (c *cache) get(k cacheKey) *entry {
	if c.max <= 0 {
		return nil
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	el, ok := c.items[k]
	if !ok {
		return nil
	}
	c.ll.MoveToFront(el)
	return el.Value.(*entry)
}

// put stores e unless an entry for its key exists, and returns the stored one.
func (c *cache) put(e *entry) *entry {
	if c.max <= 0 {
		return e
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if el, ok := c.items[e.key]; ok {
		c.ll.MoveToFront(el)
		return el.Value.(*entry)
	}
	c.items[e.key] = c.ll.PushFront(e)
	c.bytes += entryCost(e)
	for c.ll.Len() > c.max || (c.bytes > c.maxBytes && c.ll.Len() > 1) {
		old := c.ll.Back()
		c.ll.Remove(old)
		delete(c.items, old.Value.(*entry).key)
		c.bytes -= entryCost(old.Value.(*entry))
	}
	return e
}

// clear drops every entry.
func (c *cache) clear() {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.ll.Init()
	c.items = map[cacheKey]*list.Element{}
	c.bytes = 0
}

func (c *cache) len() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.ll.Len()
}
