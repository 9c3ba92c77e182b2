package engine

import (
	"context"
	"encoding/json"
	"net/http"

	"github.com/postgate/postgate/internal/session"
	"github.com/postgate/postgate/internal/sqlgen"
)

// explainedSubscription is the explain answer for a subscription, as
// Hasura gives it: the multiplexed statement a poll runs, PostgreSQL's
// plan for it, and the values one subscriber binds.
type explainedSubscription struct {
	SQL       string             `json:"sql"`
	Plan      []string           `json:"plan"`
	Variables explainedVariables `json:"variables"`
}

type explainedVariables struct {
	Synthetic []any             `json:"synthetic"`
	Query     map[string]any    `json:"query"`
	Session   map[string]string `json:"session"`
}

// explainSubscription explains the live query behind a subscription (a
// streaming one included) for session s.
func (e *Engine) explainSubscription(ctx context.Context, s session.Session, r *request) (int, []byte) {
	live, err := e.subscribe(s, r, true)
	if err != nil {
		return explainFail(err, e.o.DevMode)
	}
	out := explainedSubscription{Plan: []string{}, Variables: explainedVariables{
		Synthetic: []any{}, Query: live.vars, Session: s.Vars}}
	if out.Variables.Query == nil {
		out.Variables.Query = map[string]any{}
	}
	for i, st := range live.Query.c.stmts {
		if st == nil {
			continue
		}
		out.SQL = st.SQL
		ex := sqlgen.Explain(*st)
		rows, err := e.pool.Query(ctx, ex.SQL, sqlgen.CohortArgs([]string{"explain"}, [][]any{live.Args[i]})...)
		if err != nil {
			return explainFail(e.dbError(err), e.o.DevMode)
		}
		for rows.Next() {
			var line string
			if err := rows.Scan(&line); err != nil {
				rows.Close()
				return explainFail(e.dbError(err), e.o.DevMode)
			}
			out.Plan = append(out.Plan, line)
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return explainFail(e.dbError(err), e.o.DevMode)
		}
		break
	}
	b, _ := json.Marshal(out)
	return http.StatusOK, b
}
