package plan

import (
	"fmt"

	"github.com/postgate/postgate/internal/apierr"
	"github.com/postgate/postgate/internal/catalog"
	"github.com/postgate/postgate/internal/ir"
	"github.com/postgate/postgate/internal/perm"
	"github.com/postgate/postgate/internal/schema"
	"github.com/vektah/gqlparser/v2/ast"
)

// noQueries is the placeholder root field of a role that may query nothing.
const (
	noQueries     = "no_queries_available"
	noQueriesText = "There are no queries available to the current role. Either there are no sources or remote schemas configured, or the current role doesn't have the required permissions."
)

// root plans every root field of the operation (a query, or a
// subscription read as a query).
func (p *planner) root() error {
	rootType := "query_root"
	p.roots = p.in.Schema.Query
	if p.in.Op.Operation == ast.Subscription {
		rootType = "subscription_root"
		p.roots = p.in.Schema.Subscription
		if p.in.Schema.AST != nil && p.in.Schema.AST.Subscription != nil {
			rootType = p.in.Schema.AST.Subscription.Name
		}
	} else if p.in.Schema.AST != nil && p.in.Schema.AST.Query != nil {
		rootType = p.in.Schema.AST.Query.Name
	}
	fields, err := p.collect(p.in.Op.SelectionSet, rootType)
	if err != nil {
		return err
	}
	for _, f := range fields {
		path := "$.selectionSet." + f.alias
		rf := RootField{Alias: f.alias, Path: path}
		switch f.name() {
		case "__typename":
			rf.Typename = rootType
		case "__schema", "__type":
			rf.Introspect = f.first()
		case noQueries:
			if p.roots[noQueries] == nil {
				rf.Text = noQueriesText
				break
			}
			fallthrough
		default:
			r, err := p.rootField(f, path)
			if err != nil {
				return err
			}
			r.Alias = f.alias
			rf.Root = r
		}
		p.out.Fields = append(p.out.Fields, rf)
	}
	return nil
}

func (p *planner) rootField(f *field, path string) (*ir.Root, error) {
	def := p.roots[f.name()]
	if def == nil {
		return nil, apierr.New(apierr.ValidationFailed, fmt.Sprintf("field %q not found in type: 'query_root'", f.name())).WithPath(path)
	}
	t := def.Table
	switch def.Kind {
	case schema.RootSelect:
		s, err := p.selectRows(t, f, path, ir.From{Table: t.IR()}, true)
		if err != nil {
			return nil, err
		}
		return &ir.Root{Select: s}, nil
	case schema.RootSelectByPK:
		s, err := p.selectByPK(t, f, path)
		if err != nil {
			return nil, err
		}
		return &ir.Root{Select: s}, nil
	case schema.RootSelectAggregate:
		a, err := p.aggregate(t, f, path, ir.From{Table: t.IR()})
		if err != nil {
			return nil, err
		}
		return &ir.Root{Aggregate: a}, nil
	case schema.RootFunction, schema.RootFunctionAggregate:
		fn := def.Function
		if fn == nil || fn.Returns == nil {
			return nil, apierr.New(apierr.NotSupported, fmt.Sprintf("function field %q has no return table", f.name())).WithPath(path)
		}
		call, err := p.functionCall(fn.Catalog, fn.Name, fn.SessionArgIndex, -1, f, path, nil)
		if err != nil {
			return nil, err
		}
		from := ir.From{Table: fn.Returns.IR(), Function: call}
		if def.Kind == schema.RootFunction {
			s, err := p.selectRows(fn.Returns, f, path, from, true)
			if err != nil {
				return nil, err
			}
			return &ir.Root{Select: s}, nil
		}
		a, err := p.aggregate(fn.Returns, f, path, from)
		if err != nil {
			return nil, err
		}
		return &ir.Root{Aggregate: a}, nil
	}
	return nil, apierr.New(apierr.NotSupported, fmt.Sprintf("field %q is not a query field", f.name())).WithPath(path)
}

// functionCall builds a call of function c from the field's args argument.
// rowArg is the position of the current-row argument (-1 when none) and
// sessionArg the position of the session argument (-1 when none).
func (p *planner) functionCall(c *catalog.Function, name catalog.QName, sessionArg, rowArg int, f *field, path string, row *schema.Computed) (*ir.FunctionCall, error) {
	args, err := p.functionArgs(c, sessionArg, rowArg, f, path)
	if err != nil {
		return nil, err
	}
	call := &ir.FunctionCall{Name: ir.Table{Schema: name.Schema, Name: name.Name}}
	if row != nil {
		call.Args = perm.ComputedArgs(row, args)
		return call, nil
	}
	if sessionArg >= 0 {
		sa := ir.Arg{Value: ir.SessionJSON{}}
		if c != nil && sessionArg < len(c.Args) {
			sa.Name = c.Args[sessionArg].Name
		}
		if sa.Name == "" {
			return nil, apierr.New(apierr.NotSupported, "a function's session argument must be named").WithPath(path)
		}
		args = append(args, sa)
	}
	call.Args = args
	return call, nil
}

// functionArgs reads the args argument: named arguments of the function
// other than the row and session arguments.
func (p *planner) functionArgs(c *catalog.Function, sessionArg, rowArg int, f *field, path string) ([]ir.Arg, error) {
	v, ok := p.arg(f, "args")
	if !ok || c == nil {
		return nil, nil
	}
	v, err := p.concrete(v)
	if err != nil {
		return nil, err
	}
	obj, _ := v.(perm.Object)
	var out []ir.Arg
	for i, a := range c.Args {
		if i == sessionArg || i == rowArg || a.Name == "" {
			continue
		}
		val, present := obj.Get(a.Name)
		if !present {
			continue
		}
		ap := path + ".args.args." + a.Name
		var iv ir.Value
		if x, ok := val.(perm.Var); ok {
			iv = p.leaf(x, a.Type.Name, ap, NotNull, false)
		} else {
			pv, err := perm.Plain(val, p.resolve)
			if err != nil {
				return nil, apierr.New(apierr.ValidationFailed, err.Error()).WithPath(ap)
			}
			iv = ir.Literal{Val: pv, Type: a.Type.Name}
		}
		out = append(out, ir.Arg{Name: a.Name, Value: iv})
	}
	return out, nil
}
