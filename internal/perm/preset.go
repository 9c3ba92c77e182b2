package perm

import (
	"fmt"
	"sort"
	"strings"

	"github.com/postgate/postgate/internal/apierr"
	"github.com/postgate/postgate/internal/ir"
	"github.com/postgate/postgate/internal/schema"
	"github.com/postgate/postgate/internal/session"
)

// Preset is a column value fixed by an insert or update permission's set.
type Preset struct {
	Column string
	Type   string
	Value  ir.Value
}

// Presets resolves a permission's set (database column name → literal or
// session variable name) on table t, sorted by column name.
func Presets(t *schema.Table, set map[string]any) ([]Preset, error) {
	names := make([]string, 0, len(set))
	for k := range set {
		names = append(names, k)
	}
	sort.Strings(names)
	out := make([]Preset, 0, len(names))
	for _, n := range names {
		var col = t.Catalog.Column(n)
		if col == nil {
			return nil, apierr.New(apierr.NotExists, fmt.Sprintf("column %q does not exist on table %q", n, t.Name.String()))
		}
		v := set[n]
		var val ir.Value
		if s, ok := v.(string); ok && session.IsSessionVar(s) {
			val = ir.SessionVar{Name: strings.ToLower(s), Type: col.Type.Name}
		} else {
			val = ir.Literal{Val: v, Type: col.Type.Name}
		}
		out = append(out, Preset{Column: col.Name, Type: col.Type.Name, Value: val})
	}
	return out, nil
}

// SessionVars lists the session variables a filter reads, in order of
// first use, so that a missing one can be reported before execution.
func SessionVars(b ir.BoolExp) []string {
	var out []string
	seen := map[string]bool{}
	add := func(v any) {
		if s, ok := v.(ir.SessionVar); ok && !seen[s.Name] {
			seen[s.Name] = true
			out = append(out, s.Name)
		}
	}
	var walk func(ir.BoolExp)
	walk = func(b ir.BoolExp) {
		switch x := b.(type) {
		case ir.And:
			for _, p := range x {
				walk(p)
			}
		case ir.Or:
			for _, p := range x {
				walk(p)
			}
		case ir.Not:
			walk(x.Exp)
		case ir.Compare:
			add(x.Right)
			if d, ok := x.Right.(ir.DWithin); ok {
				add(d.From)
				add(d.Distance)
				add(d.UseSpheroid)
			}
		case ir.RelExists:
			walk(x.Where)
		case ir.Exists:
			walk(x.Where)
		case ir.ComputedExists:
			walk(x.Where)
		case ir.AggregatePredicate:
			walk(x.Filter)
			add(x.Value)
		}
	}
	walk(b)
	return out
}
