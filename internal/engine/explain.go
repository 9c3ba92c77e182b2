package engine

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"strings"

	"github.com/postgate/postgate/internal/apierr"
	"github.com/postgate/postgate/internal/session"
	"github.com/postgate/postgate/internal/sqlgen"
	"github.com/vektah/gqlparser/v2/ast"
)

// explained is one root field of an explain answer.
type explained struct {
	Field string   `json:"field"`
	SQL   string   `json:"sql"`
	Plan  []string `json:"plan"`
}

// Explain answers POST /v1/graphql/explain: for each root field of the
// query, the SQL statement and PostgreSQL's plan for it, run as the role
// and session variables given in "user" (admin when absent). s is the
// caller's session (the HTTP layer admits admins only).
func (e *Engine) Explain(ctx context.Context, s session.Session, body []byte) (int, []byte) {
	// Hasura's body is {"query": {"query", "variables", "operationName"},
	// "user"}; the flat form {"query": "...", "variables", ...} is accepted too.
	var req struct {
		Query         json.RawMessage            `json:"query"`
		Variables     map[string]json.RawMessage `json:"variables"`
		OperationName string                     `json:"operationName"`
		User          map[string]string          `json:"user"`
	}
	if len(body) > e.o.MaxBodyBytes {
		return explainFail(apierr.From(apierr.ErrBodyTooLarge), e.adminDetails())
	}
	dec := json.NewDecoder(bytes.NewReader(body))
	if err := dec.Decode(&req); err != nil {
		return explainFail(invalidJSON(err), e.adminDetails())
	}
	var query string
	if q := bytes.TrimSpace(req.Query); len(q) > 0 && q[0] == '{' {
		var inner struct {
			Query         string                     `json:"query"`
			Variables     map[string]json.RawMessage `json:"variables"`
			OperationName string                     `json:"operationName"`
		}
		if err := json.Unmarshal(q, &inner); err != nil {
			return explainFail(invalidJSON(err), e.adminDetails())
		}
		query, req.Variables, req.OperationName = inner.Query, inner.Variables, inner.OperationName
	} else if len(q) > 0 && !bytes.Equal(q, []byte("null")) {
		if err := json.Unmarshal(q, &query); err != nil {
			return explainFail(invalidJSON(err), e.adminDetails())
		}
	}
	as := session.Admin()
	if req.User != nil {
		as = session.Session{Role: session.AdminRole, Vars: map[string]string{}}
		for k, v := range req.User {
			as.Vars[strings.ToLower(k)] = v
		}
		if r, ok := as.Vars["x-hasura-role"]; ok && r != "" {
			as.Role = r
		}
	}
	r := &request{Query: query, Variables: req.Variables, OperationName: req.OperationName}
	p, err := e.prepare(as, r)
	if err != nil {
		return explainFail(err, e.adminDetails())
	}
	if p.op.Operation == ast.Subscription {
		return e.explainSubscription(ctx, as, r)
	}
	if p.op.Operation != ast.Query {
		return explainFail(apierr.New(apierr.NotSupported, "only queries can be explained"), e.adminDetails())
	}
	if err := runChecks(p.c.plan, p.vars); err != nil {
		return explainFail(err, e.adminDetails())
	}
	if err := checkSession(p.c, as); err != nil {
		return explainFail(err, e.adminDetails())
	}
	out := []explained{}
	for i, f := range p.c.plan.Fields {
		st := p.c.stmts[i]
		if st == nil {
			continue
		}
		ex := sqlgen.Explain(*st)
		args, err := sqlgen.Args(ex.Params, p.vars, as.Vars)
		if err != nil {
			return explainFail(err, e.adminDetails())
		}
		rows, err := e.pool.Query(ctx, ex.SQL, args...)
		if err != nil {
			return explainFail(e.dbError(err), e.adminDetails())
		}
		lines := []string{}
		for rows.Next() {
			var line string
			if err := rows.Scan(&line); err != nil {
				rows.Close()
				return explainFail(e.dbError(err), e.adminDetails())
			}
			lines = append(lines, line)
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return explainFail(e.dbError(err), e.adminDetails())
		}
		out = append(out, explained{Field: f.Alias, SQL: st.SQL, Plan: lines})
	}
	b, _ := json.Marshal(out)
	return http.StatusOK, b
}

func explainFail(err error, dev bool) (int, []byte) {
	ae := apierr.From(err)
	return ae.Status, apierr.APIBody(ae, apierr.Options{DevMode: dev})
}

// adminDetails reports whether errors answered to admins carry internal
// details (dev mode, or HASURA_GRAPHQL_ADMIN_INTERNAL_ERRORS); explain is
// for admins only.
func (e *Engine) adminDetails() bool { return e.o.DevMode || e.o.AdminInternalErrors }
