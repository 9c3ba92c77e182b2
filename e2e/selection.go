package e2e

import (
	"fmt"
	"strings"

	"github.com/vektah/gqlparser/v2/ast"
	"github.com/vektah/gqlparser/v2/parser"
)

// SelectionOrder checks that every object under a GraphQL response's "data"
// lists its fields in the order the query selects them, as the GraphQL
// specification requires and Hasura's newer harness checks. Fragments are
// flattened in place; fields a directive or type condition left out are
// ignored, and so are leaf values (json/jsonb columns keep their own order).
// It returns the misordered objects; a query that does not parse, or a
// response without data, yields nothing to check.
func SelectionOrder(request, response any) []string {
	req, _ := request.(*Object)
	resp, _ := response.(*Object)
	if req == nil || resp == nil {
		return nil
	}
	query, _ := req.Vals["query"].(string)
	data, ok := resp.Vals["data"].(*Object)
	if query == "" || !ok {
		return nil
	}
	doc, err := parser.ParseQuery(&ast.Source{Input: query})
	if err != nil {
		return nil
	}
	opName, _ := req.Vals["operationName"].(string)
	var op *ast.OperationDefinition
	for _, o := range doc.Operations {
		if opName == "" || o.Name == opName {
			op = o
			break
		}
	}
	if op == nil {
		return nil
	}
	w := &orderWalker{doc: doc}
	w.walk([]ast.SelectionSet{op.SelectionSet}, data, "$.data")
	return w.out
}

type orderWalker struct {
	doc *ast.QueryDocument
	out []string
}

// selected is one response key of a flattened selection set with the
// selection sets of all the fields merged under it.
type selected struct {
	key  string
	subs []ast.SelectionSet
}

func (w *orderWalker) walk(sets []ast.SelectionSet, v any, path string) {
	switch v := v.(type) {
	case []any:
		for i, e := range v {
			w.walk(sets, e, fmt.Sprintf("%s[%d]", path, i))
		}
	case *Object:
		var fields []*selected
		index := map[string]*selected{}
		for _, s := range sets {
			w.flatten(s, &fields, index, map[string]bool{})
		}
		var want []string
		for _, f := range fields {
			if v.Has(f.key) {
				want = append(want, f.key)
			}
		}
		var got []string
		for _, k := range v.Keys {
			if index[k] != nil {
				got = append(got, k)
			}
		}
		if strings.Join(got, ",") != strings.Join(want, ",") && len(w.out) < maxDiffs {
			w.out = append(w.out, fmt.Sprintf("%s: fields in order %s, selected as %s", path, strings.Join(got, ","), strings.Join(want, ",")))
		}
		for _, f := range fields {
			if len(f.subs) > 0 {
				if sub, ok := v.Get(f.key); ok {
					w.walk(f.subs, sub, path+"."+f.key)
				}
			}
		}
	}
}

// flatten lists the response keys of a selection set in order, expanding
// inline fragments and fragment spreads where they stand.
func (w *orderWalker) flatten(set ast.SelectionSet, fields *[]*selected, index map[string]*selected, seen map[string]bool) {
	for _, sel := range set {
		switch s := sel.(type) {
		case *ast.Field:
			f := index[s.Alias]
			if f == nil {
				f = &selected{key: s.Alias}
				index[s.Alias] = f
				*fields = append(*fields, f)
			}
			if len(s.SelectionSet) > 0 {
				f.subs = append(f.subs, s.SelectionSet)
			}
		case *ast.InlineFragment:
			w.flatten(s.SelectionSet, fields, index, seen)
		case *ast.FragmentSpread:
			if seen[s.Name] {
				continue
			}
			if def := w.doc.Fragments.ForName(s.Name); def != nil {
				seen[s.Name] = true
				w.flatten(def.SelectionSet, fields, index, seen)
				delete(seen, s.Name)
			}
		}
	}
}
