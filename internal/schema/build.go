package schema

import (
	"sort"

	"github.com/postgate/postgate/internal/catalog"
	"github.com/postgate/postgate/internal/metadata"
	"github.com/vektah/gqlparser/v2/ast"
	"github.com/vektah/gqlparser/v2/validator"
)

// AdminRole is the role that sees every tracked object without filters.
const AdminRole = "admin"

// Options tune Build.
type Options struct {
	// EnumValues holds the rows of each enum table (is_enum): the values of
	// its primary key column and their comments. A column referencing an
	// enum table whose values are missing is typed by its own scalar.
	EnumValues map[catalog.QName][]EnumValue
	// NoStreaming omits the <table>_stream subscription fields.
	NoStreaming bool
	// BackendOnly exposes mutations whose permission is backend_only (for
	// requests with the admin secret and
	// x-hasura-use-backend-only-permissions: true).
	BackendOnly bool
	// HideUpdateMany omits update_<table>_many (Hasura's
	// hide_update_many_fields).
	HideUpdateMany bool
	// ExplicitFunctionPermissions requires a function permission for a
	// role to call a tracked function
	// (HASURA_GRAPHQL_INFER_FUNCTION_PERMISSIONS=false); by default a role
	// may call every function returning a table it can select from.
	ExplicitFunctionPermissions bool
	// Cache, when set, lets Build reuse the definitions of tables whose
	// inputs did not change since a previous Build with the same cache
	// (for any role). Keep one per engine across metadata changes and
	// call its Advance on each change.
	Cache *Cache
}

// EnumValue is one row of an enum table.
type EnumValue struct {
	Value       string
	Description string
}

// builder holds the state of one Build call.
type builder struct {
	cat       *catalog.Catalog
	src       *metadata.Source
	role      string
	opts      Options
	inherited map[string][]string
	types     map[string]*ast.Definition
	out       *Schema
	// tables are the tables the role can see, in metadata order.
	tables []*Table
	// enumTables are every tracked enum table, visible or not.
	enumTables map[catalog.QName]*Table
	// custom is the source's name customisation.
	custom customization
	// all maps every tracked table (visible or not) by name.
	all map[catalog.QName]*Table
	// cols, rels and comps cache each visible table's selectable columns,
	// relationships and computed fields.
	cols  map[*Table][]*Field
	rels  map[*Table][]*Relationship
	comps map[*Table][]*Computed
	// objRels and objComps are the relationships and computed fields of
	// each selectable table's object type, in field order.
	objRels  map[*Table][]*Relationship
	objComps map[*Table][]*Computed
	// query, sub and mutation are the root types being built.
	query, sub, mutation *ast.Definition
	// fresh are the definitions this Build created (not replayed from
	// the cache); assemble sorts them.
	fresh []*ast.Definition
	// overwrote is set when a definition replaced another of the same name.
	overwrote bool

	// Incremental builds (incremental.go): the cache, the frame being
	// recorded, table fingerprints and cache entries, the frames recorded
	// for the cache, the built-in scalars used by replayed frames, and
	// whether a replay met a state its recording did not expect.
	cache    *Cache
	rec      *recorder
	fps      *fingerprints
	entries  map[tableSide]*cacheEntry
	qnames   map[catalog.QName]*catalog.QName
	recorded []recorded
	uses     uint8
	diverged bool
}

// Build generates the GraphQL schema role sees for the tracked tables and
// functions of src, as Hasura v2 would with its default naming convention.
// The result is immutable and safe for concurrent use. With o.Cache, the
// definitions of tables whose inputs did not change since a previous Build
// using the same cache are reused (incremental.go); the schema is the same
// as without the cache.
func Build(cat *catalog.Catalog, src *metadata.Source, inherited []*metadata.InheritedRole, role string, o Options) (*Schema, error) {
	b, err := buildSchema(cat, src, inherited, role, o, o.Cache)
	if err != nil {
		return nil, err
	}
	if b.diverged {
		// A replay met a state its recording did not expect: build
		// from scratch.
		if b, err = buildSchema(cat, src, inherited, role, o, nil); err != nil {
			return nil, err
		}
	}
	if b.cache != nil {
		b.publish()
	}
	return b.out, nil
}

func buildSchema(cat *catalog.Catalog, src *metadata.Source, inherited []*metadata.InheritedRole, role string, o Options, cache *Cache) (*builder, error) {
	b := &builder{
		cat:        cat,
		src:        src,
		role:       role,
		opts:       o,
		inherited:  map[string][]string{},
		types:      map[string]*ast.Definition{},
		enumTables: map[catalog.QName]*Table{},
		all:        map[catalog.QName]*Table{},
		cols:       map[*Table][]*Field{},
		rels:       map[*Table][]*Relationship{},
		comps:      map[*Table][]*Computed{},
		objRels:    map[*Table][]*Relationship{},
		objComps:   map[*Table][]*Computed{},
		out: &Schema{
			Role:         role,
			Query:        map[string]*RootField{},
			Mutation:     map[string]*RootField{},
			Subscription: map[string]*RootField{},
			Objects:      map[string]*Table{},
			Tables:       map[catalog.QName]*Table{},
		},
	}
	for _, ir := range inherited {
		b.inherited[ir.RoleName] = ir.RoleSet
	}
	if src != nil {
		c, err := parseCustomization(src.Customization)
		if err != nil {
			return nil, err
		}
		b.custom = c
	}
	if src != nil {
		// About 30 types per table with every kind of permission: a map
		// sized once instead of grown step by step.
		b.types = make(map[string]*ast.Definition, 32*len(src.Tables)+64)
	}
	if cache != nil && src != nil {
		b.cache = cache
		b.fps = newFingerprints(b)
		b.entries = map[tableSide]*cacheEntry{}
		b.qnames = map[catalog.QName]*catalog.QName{}
	}
	if src != nil {
		b.resolveTables()
		for _, t := range b.tables {
			if t.Perm.Select != nil {
				b.columnFields(t)
			}
			b.relationships(t)
		}
		for _, t := range b.tables {
			if t.Perm.Select != nil {
				b.objectFields(t)
			}
		}
		for _, t := range b.tables {
			if t.Perm.Select != nil {
				b.objectType(t)
			}
		}
	}
	b.query = &ast.Definition{Kind: ast.Object, Name: "query_root"}
	b.sub = &ast.Definition{Kind: ast.Object, Name: "subscription_root"}
	for _, t := range b.tables {
		if t.Perm.Select != nil {
			b.selectRootFields(t)
		}
	}
	b.mutation = &ast.Definition{Kind: ast.Object, Name: "mutation_root", Description: "mutation root"}
	for _, t := range b.tables {
		b.mutationRootFields(t)
	}
	if src != nil {
		b.functionRootFields()
	}
	query, sub, mutation := b.query, b.sub, b.mutation
	if len(query.Fields) == 0 {
		query.Fields = append(query.Fields, field("no_queries_available", nonNull("String"), ""))
		sub = nil
	} else if ns := b.custom.namespace; ns != "" {
		b.out.Namespace = ns
		b.namespace(query, "_query")
		b.namespace(sub, "_subscription")
	}
	if len(mutation.Fields) == 0 {
		mutation = nil
	} else if b.custom.namespace != "" {
		b.namespace(mutation, "_mutation_frontend")
	}
	b.out.AST = b.assemble(query, mutation, sub)
	return b, nil
}

// publish hands the frames this Build recorded to the cache.
func (b *builder) publish() {
	for _, r := range b.recorded {
		for i := range r.frame.ops {
			if o := &r.frame.ops[i]; o.kind == opAdd {
				r.frame.uses |= typeUses(o.def)
			}
		}
	}
	b.cache.publish(b.fps.tables, b.recorded)
}

// namespace moves the fields of a root type into <namespace><suffix> and
// leaves the root with the single field <namespace> (Hasura's
// customization.root_fields.namespace).
func (b *builder) namespace(root *ast.Definition, suffix string) {
	ns := b.custom.namespace
	d := b.add(&ast.Definition{Kind: ast.Object, Name: b.typeName(ns + suffix), Fields: root.Fields})
	root.Fields = ast.FieldList{field(ns, nonNull(d.Name), "")}
}

// add registers a generated type definition.
func (b *builder) add(d *ast.Definition) *ast.Definition {
	b.addRaw(d)
	b.fresh = append(b.fresh, d)
	if b.rec != nil {
		b.rec.add(op{kind: opAdd, def: d})
	}
	return d
}

// addRaw declares d.
func (b *builder) addRaw(d *ast.Definition) {
	if b.types[d.Name] != nil {
		b.overwrote = true
	}
	b.types[d.Name] = d
}

// scalar makes sure the scalar name is declared and returns it.
func (b *builder) scalar(name string) string {
	// Built-in scalars are never declared: nothing to record.
	if r := b.rec; r != nil && !builtinScalars[name] && r.once(seenKey{kind: opScalar, name: name}) {
		r.add(op{kind: opScalar, name: name})
	}
	if !builtinScalars[name] && b.types[name] == nil {
		saved := b.rec
		b.rec = nil
		b.add(&ast.Definition{Kind: ast.Scalar, Name: name})
		b.rec = saved
	}
	return name
}

// assemble builds the gqlparser schema: the prelude (built-in scalars,
// directives and introspection types), Hasura's @cached directive, every
// generated type and the root types, with fields sorted by name as Hasura
// lists them.
func (b *builder) assemble(query, mutation, sub *ast.Definition) *ast.Schema {
	prelude := validator.PreludeDocument()
	// The generated types take precedence over the prelude's.
	s := &ast.Schema{
		Types:         b.types,
		Directives:    map[string]*ast.DirectiveDefinition{},
		PossibleTypes: make(map[string][]*ast.Definition, len(b.types)+len(prelude.Definitions)+3),
		Implements:    map[string][]*ast.Definition{},
	}
	for _, d := range b.fresh {
		sortDefinition(d)
	}
	for _, d := range prelude.Definitions {
		d.BuiltIn = true
		if s.Types[d.Name] == nil {
			s.Types[d.Name] = d
		} else {
			b.overwrote = true
		}
	}
	for _, d := range prelude.Directives {
		s.Directives[d.Name] = d
	}
	s.Directives["cached"] = cachedDirective()
	for _, root := range []*ast.Definition{query, mutation, sub} {
		if root == nil {
			continue
		}
		sortDefinition(root)
		if s.Types[root.Name] != nil {
			b.overwrote = true
		}
		s.Types[root.Name] = root
	}
	s.Query = query
	s.Mutation = mutation
	s.Subscription = sub
	query.Fields = append(query.Fields, validator.QueryIntrospectionFields()...)
	if b.cache == nil || b.overwrote {
		pruneBuiltinScalars(s)
	} else {
		// Replayed definitions were scanned when they were recorded.
		uses := b.uses
		for _, d := range b.fresh {
			uses |= typeUses(d)
		}
		for _, d := range prelude.Definitions {
			uses |= typeUses(d)
		}
		for _, root := range []*ast.Definition{query, mutation, sub} {
			if root != nil {
				uses |= typeUses(root)
			}
		}
		for _, d := range s.Directives {
			for _, a := range d.Arguments {
				uses |= namedUses(a.Type)
			}
		}
		pruneUnused(s, uses)
	}
	possible := make([]*ast.Definition, 0, len(s.Types))
	for _, d := range s.Types {
		if d.Kind == ast.Object || d.Kind == ast.InputObject {
			possible = append(possible, d)
			s.PossibleTypes[d.Name] = possible[len(possible)-1 : len(possible) : len(possible)]
		}
	}
	return s
}

// cachedDirective is Hasura's @cached query directive.
func cachedDirective() *ast.DirectiveDefinition {
	return &ast.DirectiveDefinition{
		Name:        "cached",
		Description: "whether this query should be cached (Hasura Cloud only)",
		Arguments: ast.ArgumentDefinitionList{
			{Name: "ttl", Description: "measured in seconds", Type: nonNull("Int"), DefaultValue: &ast.Value{Kind: ast.IntValue, Raw: "60"}},
			{Name: "refresh", Description: "refresh the cache entry", Type: nonNull("Boolean"), DefaultValue: &ast.Value{Kind: ast.BooleanValue, Raw: "false"}},
		},
		Locations: []ast.DirectiveLocation{ast.LocationQuery},
	}
}

// sortDefinition orders fields, arguments and enum values by name. Of
// fields with the same name (inconsistent metadata, e.g. a relationship
// named like a column) only the first added is kept.
func sortDefinition(d *ast.Definition) {
	sort.SliceStable(d.Fields, func(i, j int) bool { return d.Fields[i].Name < d.Fields[j].Name })
	for i := 1; i < len(d.Fields); i++ {
		if d.Fields[i].Name == d.Fields[i-1].Name {
			d.Fields = append(d.Fields[:i], d.Fields[i+1:]...)
			i--
		}
	}
	for _, f := range d.Fields {
		// Root fields replayed from a Cache are shared, already sorted:
		// leave them untouched.
		if len(f.Arguments) > 1 && !sort.SliceIsSorted(f.Arguments, func(i, j int) bool { return f.Arguments[i].Name < f.Arguments[j].Name }) {
			sort.Slice(f.Arguments, func(i, j int) bool { return f.Arguments[i].Name < f.Arguments[j].Name })
		}
	}
	sort.Slice(d.EnumValues, func(i, j int) bool { return d.EnumValues[i].Name < d.EnumValues[j].Name })
}

// pruneBuiltinScalars removes the built-in scalars no field, argument or
// input field uses (ID, and Float or Int when nothing has them): Hasura's
// schema does not have them, so variables of those types are rejected as
// they are there. Every generated type is reachable from a root, so a scan
// of all definitions finds the uses.
func pruneBuiltinScalars(s *ast.Schema) {
	var uses uint8
	for _, d := range s.Types {
		uses |= typeUses(d)
	}
	for _, d := range s.Directives {
		for _, a := range d.Arguments {
			uses |= namedUses(a.Type)
		}
	}
	pruneUnused(s, uses)
}

// pruneUnused removes those of Int, Float and ID that uses lacks.
func pruneUnused(s *ast.Schema, uses uint8) {
	for name, bit := range map[string]uint8{"Int": usesInt, "Float": usesFloat, "ID": usesID} {
		if uses&bit == 0 {
			delete(s.Types, name)
		}
	}
}
