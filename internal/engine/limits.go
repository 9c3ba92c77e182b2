package engine

import (
	"fmt"
	"strings"

	"github.com/postgate/postgate/internal/apierr"
	"github.com/vektah/gqlparser/v2/ast"
)

// checkLimits rejects documents nested deeper than maxDepth or selecting
// more than maxFields fields once fragments are expanded, before the
// (costlier) validation runs. Fragment sizes are memoised, so a document
// whose fragments multiply each other is measured without expanding it.
func checkLimits(doc *ast.QueryDocument, maxDepth, maxFields int) error {
	m := &measure{doc: doc, memo: map[string]size{}, active: map[string]bool{}}
	for _, op := range doc.Operations {
		s := m.set(op.SelectionSet)
		if s.depth > maxDepth {
			return apierr.New(apierr.ValidationFailed, fmt.Sprintf("the query is nested too deeply (maximum depth %d)", maxDepth))
		}
		if s.fields > maxFields {
			return apierr.New(apierr.ValidationFailed, fmt.Sprintf("the query selects too many fields (maximum %d)", maxFields))
		}
	}
	return nil
}

type size struct {
	depth  int
	fields int
}

type measure struct {
	doc    *ast.QueryDocument
	memo   map[string]size
	active map[string]bool
}

// set measures a selection set; counts saturate to stay far from overflow.
func (m *measure) set(set ast.SelectionSet) size {
	var out size
	add := func(s size) {
		out.fields += s.fields
		if out.fields > 1<<30 {
			out.fields = 1 << 30
		}
		if s.depth > out.depth {
			out.depth = s.depth
		}
	}
	for _, sel := range set {
		switch x := sel.(type) {
		case *ast.Field:
			sub := m.set(x.SelectionSet)
			add(size{depth: sub.depth + 1, fields: sub.fields + 1})
		case *ast.InlineFragment:
			add(m.set(x.SelectionSet))
		case *ast.FragmentSpread:
			add(m.fragment(x.Name))
		}
	}
	return out
}

func (m *measure) fragment(name string) size {
	if s, ok := m.memo[name]; ok {
		return s
	}
	if m.active[name] {
		return size{} // a cycle: reported by validation
	}
	f := m.doc.Fragments.ForName(name)
	if f == nil {
		return size{}
	}
	m.active[name] = true
	s := m.set(f.SelectionSet)
	delete(m.active, name)
	m.memo[name] = s
	return s
}

// maxNesting bounds the bracket nesting of a document's text (selection
// sets, arguments and input values together), checked before parsing so
// that a deeply nested document cannot make the parser recurse without
// bound.
func maxNesting(maxDepth int) int { return 2*maxDepth + 128 }

// checkNesting rejects a document whose brackets nest deeper than limit.
// Strings, block strings and comments are skipped.
func checkNesting(q string, limit int) error {
	depth := 0
	for i := 0; i < len(q); i++ {
		switch c := q[i]; c {
		case '{', '[', '(':
			depth++
			if depth > limit {
				return apierr.New(apierr.ValidationFailed, fmt.Sprintf("the query is nested too deeply (maximum depth %d)", limit)).WithPath("$.query")
			}
		case '}', ']', ')':
			depth--
		case '#':
			for i < len(q) && q[i] != '\n' {
				i++
			}
		case '"':
			if strings.HasPrefix(q[i:], `"""`) {
				end := strings.Index(q[i+3:], `"""`)
				if end < 0 {
					return nil
				}
				i += end + 5
				continue
			}
			for i++; i < len(q) && q[i] != '"'; i++ {
				if q[i] == '\\' {
					i++
				}
			}
		}
	}
	return nil
}
