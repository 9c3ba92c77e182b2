package schema

import (
	"strconv"

	"github.com/postgate/postgate/internal/catalog"
	"github.com/postgate/postgate/internal/metadata"
	"github.com/vektah/gqlparser/v2/ast"
)

// computed resolves (once) the computed fields of t the role may select.
func (b *builder) computed(t *Table) []*Computed {
	if cs, ok := b.comps[t]; ok {
		return cs
	}
	var cs []*Computed
	sp := t.Perm.Select
	for _, cf := range t.Meta.ComputedFields {
		fn := b.function(qname(cf.Definition.Function))
		if sp == nil || fn == nil {
			continue
		}
		// Scalar computed fields must be granted by the select permission;
		// set-returning ones follow the select permission on the table
		// they return, as in Hasura.
		if !fn.ReturnsTable && !(sp.Admin || sp.ComputedFields[cf.Name]) {
			continue
		}
		c := &Computed{Name: cf.Name, Function: fn, TableArgIndex: 0, SessionArgIndex: -1}
		for i, a := range fn.Args {
			if cf.Definition.TableArgument != nil && a.Name == *cf.Definition.TableArgument {
				c.TableArgIndex = i
			}
			if cf.Definition.SessionArgument != nil && a.Name == *cf.Definition.SessionArgument {
				c.SessionArgIndex = i
			}
		}
		if fn.ReturnsTable {
			rt := b.all[fn.ReturnType]
			if rt == nil || rt.Perm.Select == nil {
				continue
			}
			c.Returns = rt
		} else {
			c.ReturnType = fn.Return
			if c.ReturnType.UDT == "" {
				c.ReturnType = catalog.ColumnType{Name: fn.ReturnType.Name, UDT: fn.ReturnType.Name, Schema: fn.ReturnType.Schema}
			}
		}
		cs = append(cs, c)
	}
	b.comps[t] = cs
	return cs
}

// function returns the catalog function named q (the first overload).
func (b *builder) function(q catalog.QName) *catalog.Function {
	if fs := b.cat.Functions[q]; len(fs) > 0 {
		return fs[0]
	}
	return nil
}

// computedFields adds the role's computed fields (objectFields) to t's
// object type.
func (b *builder) computedFields(t *Table, def *ast.Definition) {
	for _, c := range b.objComps[t] {
		desc := c.Function.Description
		if desc == "" {
			desc = `A computed field, executes function "` + quotedName(c.Function.Name) + `"`
		}
		for _, cf := range t.Meta.ComputedFields {
			if cf.Name == c.Name && cf.Comment != nil {
				desc = *cf.Comment
			}
		}
		var args ast.ArgumentDefinitionList
		if a := b.argsInput(c.Function, b.typeName(c.Name+"_"+t.GQLName+"_args"), skipArgs(c.TableArgIndex, c.SessionArgIndex),
			`input parameters for computed field "`+c.Name+`" defined on table "`+t.QuotedName+`"`); a != nil {
			args = append(args, a)
		}
		if c.Returns != nil {
			args = append(args, b.selectArgs(c.Returns)...)
			def.Fields = append(def.Fields, field(c.Name, nonNullList(nonNull(c.Returns.TypeName(""))), desc, args...))
			continue
		}
		st := b.scalar(scalarName(c.ReturnType))
		def.Fields = append(def.Fields, field(c.Name, named(st), desc, args...))
	}
}

// skipArgs returns a set of argument positions to leave out of <fn>_args.
func skipArgs(idx ...int) map[int]bool {
	m := map[int]bool{}
	for _, i := range idx {
		if i >= 0 {
			m[i] = true
		}
	}
	return m
}

// functionGQLName is the GraphQL name of a function.
func functionGQLName(q catalog.QName, mf *metadata.Function) string {
	if mf != nil && mf.Configuration != nil && mf.Configuration.CustomName != "" {
		return mf.Configuration.CustomName
	}
	if q.Schema == "public" || q.Schema == "" {
		return q.Name
	}
	return q.Schema + "_" + q.Name
}

// argsInput declares the input type tn for a function's input arguments
// (less those in skip) and returns the "args" argument described by desc,
// or nil when the function takes no other argument. args is required when
// an argument has no default.
func (b *builder) argsInput(fn *catalog.Function, tn string, skip map[int]bool, desc string) *ast.ArgumentDefinition {
	required := false
	var fields ast.FieldList
	for i, a := range fn.Args {
		if skip[i] {
			continue
		}
		n := a.Name
		if n == "" {
			n = "arg_" + strconv.Itoa(i+1)
		}
		fields = append(fields, field(n, named(b.scalar(argScalarName(a.Type))), ""))
		if !a.HasDefault {
			required = true
		}
	}
	if len(fields) == 0 {
		return nil
	}
	if b.absent(tn) {
		b.add(&ast.Definition{Kind: ast.InputObject, Name: tn, Fields: fields})
	}
	if required {
		return arg("args", nonNull(tn), desc)
	}
	return arg("args", named(tn), desc)
}

// functionRootFields adds the root fields of tracked functions returning
// rows of a table the role can select from: to query_root and
// subscription_root, or to mutation_root for functions exposed as
// mutations (VOLATILE by default; no _aggregate there).
func (b *builder) functionRootFields() {
	query, sub, mutation := b.query, b.sub, b.mutation
	for _, mf := range b.src.Functions {
		q := qname(mf.Function)
		fn := b.function(q)
		if fn == nil || !fn.ReturnsTable {
			continue
		}
		rt := b.out.Tables[fn.ReturnType]
		if rt == nil || rt.Perm.Select == nil || !b.functionAllowed(fn, mf) {
			continue
		}
		asMutation := exposedAsMutation(fn, mf)
		session := -1
		if mf.Configuration != nil && mf.Configuration.SessionArgument != nil {
			for i, a := range fn.Args {
				if a.Name == *mf.Configuration.SessionArgument {
					session = i
				}
			}
		}
		f := &Function{Name: q, Catalog: fn, Meta: mf, Returns: rt, SessionArgIndex: session}
		gql := functionGQLName(q, mf)
		name := b.functionRootName(mf, "function", gql)
		quoted := quotedName(q)
		args := b.selectArgs(rt)
		if a := b.argsInput(fn, b.typeName(gql+"_args"), skipArgs(session), `input parameters for function "`+name+`"`); a != nil {
			args = append(args, a)
		}
		desc := fn.Description
		if desc == "" {
			desc = `execute function "` + quoted + `" which returns "` + rt.QuotedName + `"`
		}
		if mf.Comment != nil {
			desc = *mf.Comment
		}
		fd := field(name, nonNullList(nonNull(rt.TypeName(""))), desc, args...)
		rf := &RootField{Name: name, Kind: RootFunction, Table: rt, Function: f}
		if asMutation {
			mutation.Fields = append(mutation.Fields, fd)
			b.out.Mutation[name] = rf
			continue
		}
		b.addRoot(query, sub, fd, rf)
		if !rt.aggregatable() {
			continue
		}
		aname := b.functionRootName(mf, "function_aggregate", gql+"_aggregate")
		aargs := b.selectArgs(rt)
		if a := b.argsInput(fn, b.typeName(gql+"_args"), skipArgs(session), `input parameters for function "`+aname+`"`); a != nil {
			aargs = append(aargs, a)
		}
		adesc := fn.Description
		if adesc == "" {
			adesc = `execute function "` + quoted + `" and query aggregates on result of table type "` + rt.QuotedName + `"`
		}
		if mf.Comment != nil {
			adesc = *mf.Comment
		}
		afd := field(aname, nonNull(b.aggregateType(rt)), adesc, aargs...)
		b.addRoot(query, sub, afd, &RootField{Name: aname, Kind: RootFunctionAggregate, Table: rt, Function: f})
	}
}

// exposedAsMutation reports whether a function belongs to mutation_root.
func exposedAsMutation(fn *catalog.Function, mf *metadata.Function) bool {
	if mf.Configuration != nil && mf.Configuration.ExposedAs != "" {
		return mf.Configuration.ExposedAs == "mutation"
	}
	return fn.Volatility == catalog.Volatile
}

// functionRootName returns a function's custom root field name or def,
// with the source's root field prefix and suffix.
func (b *builder) functionRootName(mf *metadata.Function, key, def string) string {
	if mf.Configuration != nil {
		if r, ok := mf.Configuration.CustomRootFields[key]; ok && r.Name != nil && *r.Name != "" {
			def = *r.Name
		}
	}
	return b.custom.rootField(def)
}

// addRoot adds a field to query_root and subscription_root.
func (b *builder) addRoot(query, sub *ast.Definition, fd *ast.FieldDefinition, rf *RootField) {
	query.Fields = append(query.Fields, fd)
	b.out.Query[rf.Name] = rf
	if sub != nil {
		cp := *fd
		sub.Fields = append(sub.Fields, &cp)
		b.out.Subscription[rf.Name] = rf
	}
}

// functionAllowed reports whether the role may call a tracked function
// whose returned table it can select from. Permissions of STABLE and
// IMMUTABLE functions are inferred from that table unless
// ExplicitFunctionPermissions is set; VOLATILE functions, which may change
// data, always need a function permission for the role (or an inherited
// role's parent).
func (b *builder) functionAllowed(fn *catalog.Function, mf *metadata.Function) bool {
	if b.role == AdminRole || (!b.opts.ExplicitFunctionPermissions && fn.Volatility != catalog.Volatile) {
		return true
	}
	return b.hasFunctionPermission(mf, b.role, 0)
}

// hasFunctionPermission looks for role's function permission.
func (b *builder) hasFunctionPermission(mf *metadata.Function, role string, depth int) bool {
	for _, p := range mf.Permissions {
		if p.Role == role {
			return true
		}
	}
	if depth <= maxRoleDepth {
		for _, r := range b.inherited[role] {
			if b.hasFunctionPermission(mf, r, depth+1) {
				return true
			}
		}
	}
	return false
}

// argScalarName is the GraphQL scalar of a function argument: like a
// column's, except that Hasura suffixes composite (row) types with
// "_scalar" so that they do not clash with a table's object type.
func argScalarName(t catalog.ColumnType) string {
	if t.Kind == 'c' || (t.Kind == 0 && t.Category == 'C') {
		return scalarName(t) + "_scalar"
	}
	return scalarName(t)
}
