// Package engine executes GraphQL requests: it parses and validates them
// against the role's schema, plans them into IR with the role's permissions,
// compiles each root field to one SQL statement, runs the statements and
// writes the JSON Postgres produced into the response without decoding it.
// Validated operations and compiled plans are cached per role and query text
// until the metadata changes.
package engine

import (
	"context"
	"log/slog"
	"sync"
	"sync/atomic"

	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/postgate/postgate/internal/catalog"
	"github.com/postgate/postgate/internal/ir"
	"github.com/postgate/postgate/internal/logging"
	"github.com/postgate/postgate/internal/metadata"
	"github.com/postgate/postgate/internal/perm"
	"github.com/postgate/postgate/internal/schema"
)

// Options configure an Engine. Zero values take the documented defaults.
type Options struct {
	// StringifyNumeric writes bigint, numeric and double precision values
	// as strings (HASURA_GRAPHQL_STRINGIFY_NUMERIC_TYPES).
	StringifyNumeric bool
	// DevMode adds internal details to errors (HASURA_GRAPHQL_DEV_MODE).
	DevMode bool
	// AdminInternalErrors adds internal details to the errors answered to
	// admin requests (HASURA_GRAPHQL_ADMIN_INTERNAL_ERRORS, true by default
	// in Hasura).
	AdminInternalErrors bool
	// Logger receives error lines and, when its handler enables the
	// query-log type, each query with its generated SQL.
	Logger *slog.Logger
	// RequestID returns the request id carried by a request's context, for
	// query-log lines (optional).
	RequestID func(context.Context) string
	// Schema is passed to schema.Build for every role.
	Schema schema.Options
	// MapError turns a database error into a client-visible error; by
	// default every database error is "database query error".
	MapError func(error) error
	// CacheSize bounds the number of cached query documents (default 4096;
	// negative disables the cache).
	CacheSize int
	// CacheBytes bounds the estimated memory of the cache (default 64 MiB).
	CacheBytes int
	// MaxBodyBytes bounds a request body (default 8 MiB).
	MaxBodyBytes int
	// MaxDepth bounds the nesting of selection sets (default 40).
	MaxDepth int
	// MaxFields bounds the number of fields after fragment expansion
	// (default 10000).
	MaxFields int
	// MaxBatch bounds the number of operations in a batched request
	// (default 100).
	MaxBatch int
	// NoCoalesce turns off the sharing of one database round trip between
	// identical queries that wait at the same time (POSTGATE_QUERY_COALESCING=false).
	NoCoalesce bool
}

// Engine answers GraphQL requests against one Postgres source.
type Engine struct {
	pool  *pgxpool.Pool
	o     Options
	state atomic.Pointer[state]
	cache *cache
	gen   atomic.Uint64
	stats counters
	// queryLog is true when the logger takes query-log lines.
	queryLog bool
	// flights shares executions between identical concurrent queries.
	flights flights
	// schemas keeps the role schemas' definitions across metadata
	// generations, so that a change rebuilds only the definitions of the
	// tables it affects (shared by the roles with the same permissions).
	schemas schema.Cache
}

// counters count what requests cost; tests and metrics read them.
type counters struct {
	parses, plans, hits atomic.Int64
}

// Stats reports how many documents were parsed and validated, how many
// plans were built, and how many requests reused a cached plan.
type Stats struct {
	Parses, Plans, Hits int64
}

// New returns an engine running queries on pool. It serves an empty schema
// until Update is called.
func New(pool *pgxpool.Pool, o Options) *Engine {
	if o.CacheSize == 0 {
		o.CacheSize = 4096
	}
	if o.CacheBytes <= 0 {
		o.CacheBytes = 64 << 20
	}
	if o.MaxBodyBytes <= 0 {
		o.MaxBodyBytes = 8 << 20
	}
	if o.MaxDepth <= 0 {
		o.MaxDepth = 40
	}
	if o.MaxFields <= 0 {
		o.MaxFields = 10000
	}
	if o.MaxBatch <= 0 {
		o.MaxBatch = 100
	}
	queryLog := o.Logger != nil && logging.Enabled(o.Logger, "query-log")
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	e := &Engine{pool: pool, o: o, cache: newCache(o.CacheSize, o.CacheBytes), queryLog: queryLog}
	e.state.Store(&state{gen: e.gen.Add(1), roles: map[roleKey]*role{}})
	return e
}

// Stats returns the engine's counters.
func (e *Engine) Stats() Stats {
	return Stats{Parses: e.stats.parses.Load(), Plans: e.stats.plans.Load(), Hits: e.stats.hits.Load()}
}

// Update installs new metadata. Role schemas are rebuilt lazily on first
// use, and every cached plan is dropped.
func (e *Engine) Update(cat *catalog.Catalog, src *metadata.Source, inherited []*metadata.InheritedRole) {
	e.UpdateWith(cat, src, inherited, e.o.Schema)
}

// UpdateWith is Update with schema options for this generation, such as the
// current rows of the enum tables.
func (e *Engine) UpdateWith(cat *catalog.Catalog, src *metadata.Source, inherited []*metadata.InheritedRole, opts schema.Options) {
	// Definitions no role used in the previous generation are dropped.
	e.schemas.Advance()
	e.state.Store(&state{gen: e.gen.Add(1), cat: cat, src: src, inherited: inherited, opts: opts, roles: map[roleKey]*role{}, schemas: &e.schemas})
	e.cache.clear()
}

// SchemaOptions returns the schema options the engine was created with.
func (e *Engine) SchemaOptions() schema.Options { return e.o.Schema }

// state is one generation of metadata and the role schemas built from it.
type state struct {
	gen       uint64
	cat       *catalog.Catalog
	src       *metadata.Source
	inherited []*metadata.InheritedRole
	opts      schema.Options
	// schemas is the engine's schema cache (nil for the initial empty
	// state): role schemas reuse the definitions of unchanged tables.
	schemas *schema.Cache

	mu    sync.Mutex
	roles map[roleKey]*role

	// backendOnce and backendPerms tell whether the metadata has any
	// backend_only permission, so that backend-only requests share the
	// ordinary schemas and plans when it has none.
	backendOnce  sync.Once
	backendPerms bool
}

// roleKey identifies a role's schema: the role name, and whether the
// request may use backend_only permissions.
type roleKey struct {
	name        string
	backendOnly bool
}

// role is one role's schema and parsed permission filters.
type role struct {
	once   sync.Once
	schema *schema.Schema
	err    error

	mu      sync.Mutex
	filters map[*schema.Table]ir.BoolExp
	// visible caches the conditions under which an inherited role sees a
	// column or computed field.
	visible map[visibleKey]ir.BoolExp
}

// visibleKey names a column (or computed field) of a table.
type visibleKey struct {
	table    *schema.Table
	name     string
	computed bool
}

// role returns the schema state of role name for ordinary requests,
// building it on first use.
func (s *state) role(name string) (*role, error) { return s.roleFor(name, false) }

// roleFor returns the schema state of role name, with the backend_only
// mutations exposed when backendOnly is set, building it on first use.
func (s *state) roleFor(name string, backendOnly bool) (*role, error) {
	k := s.roleKey(name, backendOnly)
	s.mu.Lock()
	r := s.roles[k]
	if r == nil {
		r = &role{filters: map[*schema.Table]ir.BoolExp{}, visible: map[visibleKey]ir.BoolExp{}}
		s.roles[k] = r
	}
	s.mu.Unlock()
	r.once.Do(func() {
		cat := s.cat
		if cat == nil {
			cat = &catalog.Catalog{}
		}
		opts := s.opts
		opts.BackendOnly = k.backendOnly
		if opts.Cache == nil {
			opts.Cache = s.schemas
		}
		r.schema, r.err = schema.Build(cat, s.src, s.inherited, name, opts)
	})
	return r, r.err
}

// roleKey normalises a request's role and backend-only flag: the flag
// matters only for non-admin roles and only when some permission is
// backend_only.
func (s *state) roleKey(name string, backendOnly bool) roleKey {
	if !backendOnly || name == schema.AdminRole {
		return roleKey{name: name}
	}
	s.backendOnce.Do(func() { s.backendPerms = hasBackendOnly(s.src) })
	return roleKey{name: name, backendOnly: s.backendPerms}
}

// hasBackendOnly reports whether any insert, update or delete permission
// of src is backend_only.
func hasBackendOnly(src *metadata.Source) bool {
	if src == nil {
		return false
	}
	for _, t := range src.Tables {
		for _, p := range t.InsertPermissions {
			if p.Permission.BackendOnly {
				return true
			}
		}
		for _, p := range t.UpdatePermissions {
			if p.Permission.BackendOnly {
				return true
			}
		}
		for _, p := range t.DeletePermissions {
			if p.Permission.BackendOnly {
				return true
			}
		}
	}
	return false
}

// filter returns role r's select filter on table t, parsing its permission
// rules against the admin view of the tables.
func (s *state) filter(r *role, t *schema.Table) (ir.BoolExp, error) {
	sp := t.Perm.Select
	if sp == nil || sp.Admin {
		return nil, nil
	}
	r.mu.Lock()
	b, ok := r.filters[t]
	r.mu.Unlock()
	if ok {
		return b, nil
	}
	rules := sp.Filters
	if len(rules) == 0 && sp.Filter != nil {
		rules = []metadata.BoolExp{sp.Filter}
	}
	var or ir.Or
	for _, raw := range rules {
		f, err := s.rule(t, raw)
		if err != nil {
			return nil, err
		}
		if f == nil {
			or = nil
			break
		}
		or = append(or, f)
	}
	switch len(or) {
	case 0:
		b = nil
	case 1:
		b = or[0]
	default:
		b = or
	}
	r.mu.Lock()
	r.filters[t] = b
	r.mu.Unlock()
	return b, nil
}

// visible returns the condition under which role r sees column (or
// computed field) name of t: Hasura's rule for inherited roles, where a
// column one parent grants and another does not is null on the rows only
// the other parent may see. It is the OR of the filters of the parents
// granting it, nil when every parent does (or one granting it sees every
// row).
func (s *state) visible(r *role, t *schema.Table, name string, computed bool) (ir.BoolExp, error) {
	sp := t.Perm.Select
	if sp == nil || sp.Admin || len(sp.Parents) == 0 {
		return nil, nil
	}
	k := visibleKey{table: t, name: name, computed: computed}
	r.mu.Lock()
	b, ok := r.visible[k]
	r.mu.Unlock()
	if ok {
		return b, nil
	}
	rules, all := grantingFilters(sp, name, computed)
	if !all {
		var or ir.Or
		for _, raw := range rules {
			f, err := s.rule(t, raw)
			if err != nil {
				return nil, err
			}
			if f == nil {
				or = nil
				all = true
				break
			}
			or = append(or, f)
		}
		switch {
		case all:
		case len(or) == 1:
			b = or[0]
		case len(or) == 0:
			b = ir.Const(false)
		default:
			b = or
		}
	}
	r.mu.Lock()
	r.visible[k] = b
	r.mu.Unlock()
	return b, nil
}

// grantingFilters returns the row filters of the (ordinary) roles behind sp
// that grant column or computed field name, and whether all of them do.
func grantingFilters(sp *schema.SelectPerm, name string, computed bool) (rules []metadata.BoolExp, all bool) {
	if sp.Admin {
		return []metadata.BoolExp{metadata.BoolExp("{}")}, true
	}
	if len(sp.Parents) == 0 {
		granted := sp.Columns[name]
		if computed {
			granted = sp.ComputedFields[name]
		}
		if !granted {
			return nil, false
		}
		if len(sp.Filters) == 0 && sp.Filter != nil {
			return []metadata.BoolExp{sp.Filter}, true
		}
		return sp.Filters, true
	}
	all = true
	for _, p := range sp.Parents {
		r, a := grantingFilters(p, name, computed)
		rules = append(rules, r...)
		all = all && a
	}
	return rules, all
}

// lookup returns the admin view of a table (every column and
// relationship), or nil.
func (s *state) lookup(q catalog.QName) *schema.Table {
	admin, err := s.role(schema.AdminRole)
	if err != nil {
		return nil
	}
	return admin.schema.Tables[q]
}

// rule parses a permission rule (a select filter, an insert check, an
// update filter or check, a delete filter) on table t.
func (s *state) rule(t *schema.Table, raw metadata.BoolExp) (ir.BoolExp, error) {
	full := s.lookup(t.Name)
	if full == nil {
		full = t
	}
	return perm.Filter(full, raw, s.lookup)
}
