package sqlgen

import (
	"encoding/json"
	"strings"

	"github.com/postgate/postgate/internal/ir"
)

// Cohort is a root query field compiled for many subscribers at once (a
// multiplexed live query): one statement returns one row per subscriber,
// (id text, root json), the field's value for that subscriber's variables
// and session.
//
// Params are the query's parameters, as Statement.Params; instead of binding
// them as $n, the engine computes them per subscriber with Args and binds
// the whole cohort with CohortArgs.
type Cohort struct {
	SQL    string
	Params []ir.Value
}

// QueryCohort compiles r for a cohort of subscribers.
func QueryCohort(r *ir.Root) (Cohort, error) {
	if r == nil {
		return Cohort{}, errorf("nil root")
	}
	g := &gen{cohort: true}
	var b strings.Builder
	b.WriteString("SELECT _subs.id, _r.root FROM unnest($1::text::text[], $2::text::json[]) AS _subs(id, a) LEFT JOIN LATERAL (")
	switch {
	case r.Select != nil && r.Select.Single:
		b.WriteString("SELECT coalesce((")
		g.rows(&b, r.Select, parentRow{})
		b.WriteString("), 'null'::json)")
	case r.Select != nil:
		g.rows(&b, r.Select, parentRow{})
	case r.Aggregate != nil:
		g.aggregate(&b, r.Aggregate, parentRow{})
	default:
		return Cohort{}, errorf("root %q selects nothing", r.Alias)
	}
	b.WriteString(") AS _r(root) ON true")
	if g.err != nil {
		return Cohort{}, g.err
	}
	return Cohort{SQL: b.String(), Params: g.params}, nil
}

// CohortArgs binds a cohort: ids[i] names subscriber i and args[i] is what
// Args returned for that subscriber's variables and session.
func CohortArgs(ids []string, args [][]any) []any {
	idList := make([]any, len(ids))
	for i, id := range ids {
		idList[i] = id
	}
	argList := make([]any, len(args))
	for i, a := range args {
		data, err := json.Marshal(a)
		if err != nil {
			data = []byte("[]")
		}
		argList[i] = string(data)
	}
	return []any{ArrayLiteral(idList), ArrayLiteral(argList)}
}
