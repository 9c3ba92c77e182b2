package engine

import (
	"context"
	"encoding/json"

	"github.com/postgate/postgate/internal/logging"
	"github.com/postgate/postgate/internal/session"
	"github.com/postgate/postgate/internal/sqlgen"
)

// logQuery writes a query-log line: the GraphQL request and, for each root
// field, its SQL statement with the bound arguments.
func (e *Engine) logQuery(ctx context.Context, r *request, p *prepared, s session.Session) {
	gen := map[string]logging.SQL{}
	for i, st := range p.c.stmts {
		if st == nil {
			continue
		}
		args, err := sqlgen.Args(st.Params, p.vars, s.Vars)
		if err != nil {
			args = nil
		}
		if args == nil {
			args = []any{}
		}
		gen[p.c.plan.Fields[i].Alias] = logging.SQL{Query: st.SQL, PreparedArguments: args}
	}
	q, _ := json.Marshal(map[string]any{"query": r.Query, "variables": r.Variables, "operationName": r.OperationName})
	id := ""
	if e.o.RequestID != nil {
		id = e.o.RequestID(ctx)
	}
	logging.QueryLog(ctx, e.o.Logger, logging.Query{RequestID: id, Query: q, GeneratedSQL: gen})
}
