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
}

// Build generates the GraphQL schema role sees for the tracked tables and
// functions of src, as Hasura v2 would with its default naming convention.
// The result is immutable and safe for concurrent use.
func Build(cat *catalog.Catalog, src *metadata.Source, inherited []*metadata.InheritedRole, role string, o Options) (*Schema, error) {
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
		b.resolveTables()
		for _, t := range b.tables {
			if t.Perm.Select != nil {
				b.columnFields(t)
			}
			b.relationships(t)
		}
		for _, t := range b.tables {
			if t.Perm.Select != nil {
				b.objectType(t)
			}
		}
	}
	query := &ast.Definition{Kind: ast.Object, Name: "query_root"}
	sub := &ast.Definition{Kind: ast.Object, Name: "subscription_root"}
	for _, t := range b.tables {
		if t.Perm.Select != nil {
			b.selectRootFields(t, query, sub)
		}
	}
	mutation := &ast.Definition{Kind: ast.Object, Name: "mutation_root", Description: "mutation root"}
	for _, t := range b.tables {
		b.mutationRootFields(t, mutation)
	}
	if src != nil {
		b.functionRootFields(query, sub, mutation)
	}
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
	return b.out, nil
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
	b.types[d.Name] = d
	return d
}

// scalar makes sure the scalar name is declared and returns it.
func (b *builder) scalar(name string) string {
	if !builtinScalars[name] && b.types[name] == nil {
		b.add(&ast.Definition{Kind: ast.Scalar, Name: name})
	}
	return name
}

// assemble builds the gqlparser schema: the prelude (built-in scalars,
// directives and introspection types), Hasura's @cached directive, every
// generated type and the root types, with fields sorted by name as Hasura
// lists them.
func (b *builder) assemble(query, mutation, sub *ast.Definition) *ast.Schema {
	prelude := validator.PreludeDocument()
	s := &ast.Schema{
		Types:         make(map[string]*ast.Definition, len(b.types)+len(prelude.Definitions)+3),
		Directives:    map[string]*ast.DirectiveDefinition{},
		PossibleTypes: map[string][]*ast.Definition{},
		Implements:    map[string][]*ast.Definition{},
	}
	for _, d := range prelude.Definitions {
		d.BuiltIn = true
		s.Types[d.Name] = d
	}
	for _, d := range prelude.Directives {
		s.Directives[d.Name] = d
	}
	s.Directives["cached"] = cachedDirective()
	for _, d := range b.types {
		sortDefinition(d)
		s.Types[d.Name] = d
	}
	for _, root := range []*ast.Definition{query, mutation, sub} {
		if root == nil {
			continue
		}
		sortDefinition(root)
		s.Types[root.Name] = root
	}
	s.Query = query
	s.Mutation = mutation
	s.Subscription = sub
	query.Fields = append(query.Fields, validator.QueryIntrospectionFields()...)
	pruneBuiltinScalars(s)
	for _, d := range s.Types {
		if d.Kind == ast.Object || d.Kind == ast.InputObject {
			s.PossibleTypes[d.Name] = []*ast.Definition{d}
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
		if len(f.Arguments) > 1 {
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
	var useInt, useFloat, useID bool
	note := func(t *ast.Type) {
		for t.Elem != nil {
			t = t.Elem
		}
		switch t.NamedType {
		case "Int":
			useInt = true
		case "Float":
			useFloat = true
		case "ID":
			useID = true
		}
	}
	for _, d := range s.Types {
		for _, f := range d.Fields {
			note(f.Type)
			for _, a := range f.Arguments {
				note(a.Type)
			}
		}
	}
	for _, d := range s.Directives {
		for _, a := range d.Arguments {
			note(a.Type)
		}
	}
	for name, used := range map[string]bool{"Int": useInt, "Float": useFloat, "ID": useID} {
		if !used {
			delete(s.Types, name)
		}
	}
}
