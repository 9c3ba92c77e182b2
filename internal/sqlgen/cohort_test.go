package sqlgen

import (
	"context"
	"encoding/json"
	"testing"

	"github.com/postgate/postgate/internal/ir"
)

// TestQueryCohort runs one live query for three subscribers with different
// variables and sessions in one statement.
func TestQueryCohort(t *testing.T) {
	pool, _ := fixtureDB(t, false)
	root := list(&ir.Select{From: from("article"), OrderBy: []ir.OrderBy{asc("id")}, Fields: cols("id"),
		Where: ir.And{eq("author_id", ir.SessionVar{Name: "x-hasura-user-id", Type: "integer"}),
			cmp("title", "text", ir.OpIlike, ir.Variable{Name: "q", Type: "text"}),
			cmp("tags", "text[]", ir.OpContains, ir.Variable{Name: "tags", Type: "text[]"})}})
	c, err := QueryCohort(root)
	if err != nil {
		t.Fatal(err)
	}
	subs := []struct {
		vars map[string]any
		sess map[string]string
	}{
		{map[string]any{"q": "%", "tags": []any{}}, map[string]string{"x-hasura-user-id": "1"}},
		{map[string]any{"q": "%sql%", "tags": []any{"sql"}}, map[string]string{"x-hasura-user-id": "2"}},
		{map[string]any{"q": `it's "odd"`, "tags": []any{`a"b`}}, map[string]string{"x-hasura-user-id": "3"}},
	}
	var all [][]any
	for _, s := range subs {
		a, err := Args(c.Params, s.vars, s.sess)
		if err != nil {
			t.Fatal(err)
		}
		all = append(all, a)
	}
	rows, err := pool.Query(context.Background(), c.SQL, CohortArgs([]string{"s1", "s2", `s"3`}, all)...)
	if err != nil {
		t.Fatalf("%v\n%s", err, c.SQL)
	}
	got := map[string]string{}
	for rows.Next() {
		var id string
		var res json.RawMessage
		if err := rows.Scan(&id, &res); err != nil {
			t.Fatal(err)
		}
		got[id] = string(res)
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	want := map[string]string{"s1": `[{"id":1}, {"id":2}]`, "s2": `[{"id":4}]`, `s"3`: `[]`}
	for k, v := range want {
		if got[k] != v {
			t.Errorf("subscriber %s: got %s, want %s", k, got[k], v)
		}
	}
}
