package sqlgen

import (
	"context"
	"errors"
	"strings"
	"sync"
	"testing"

	"github.com/postgate/postgate/internal/ir"
)

// TestMutationStepsUpdateMany runs update_<t>_many as one statement per
// update, each seeing the previous one's effect.
func TestMutationStepsUpdateMany(t *testing.T) {
	pool, _ := fixtureDB(t, false)
	ctx := context.Background()
	out := response(cols("id", "title", "rating"))
	root := &ir.MutationRoot{Alias: "update_article_many", Updates: []*ir.Update{
		{Table: tbl("article"), Where: eq("id", integer("2")), Set: []ir.SetColumn{{Column: "title", Type: "text", Value: text("Renamed")}}, Output: out},
		{Table: tbl("article"), Where: eq("title", text("Renamed")), Set: []ir.SetColumn{{Column: "rating", Type: "integer", Op: ir.UpdInc, Value: integer("1")}}, Output: out},
	}}
	var se *Error
	if _, err := Mutation(root); !errors.As(err, &se) {
		t.Fatalf("Mutation with two updates: err = %v, want *Error", err)
	}
	steps, err := MutationSteps(root)
	if err != nil {
		t.Fatal(err)
	}
	if len(steps) != 2 {
		t.Fatalf("%d steps, want 2", len(steps))
	}
	tx, err := pool.Begin(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer tx.Rollback(ctx)
	var results []string
	for _, st := range steps {
		args, err := Args(st.Params, nil, nil)
		if err != nil {
			t.Fatal(err)
		}
		var res string
		var ok bool
		if err := tx.QueryRow(ctx, st.SQL, args...).Scan(&res, &ok); err != nil {
			t.Fatal(err)
		}
		results = append(results, res)
	}
	want := []string{
		`{"affected_rows":1,"returning":[{"id":2,"title":"Renamed","rating":3}],"__typename":"mutation_response"}`,
		`{"affected_rows":1,"returning":[{"id":2,"title":"Renamed","rating":4}],"__typename":"mutation_response"}`,
	}
	for i := range want {
		if results[i] != want[i] {
			t.Errorf("step %d:\n got %s\nwant %s", i, results[i], want[i])
		}
	}
	single, err := MutationSteps(&ir.MutationRoot{Alias: "delete_article", Delete: &ir.Delete{Table: tbl("article"), Where: ir.Const(false), Output: out}})
	if err != nil || len(single) != 1 {
		t.Fatalf("MutationSteps(delete) = %d steps, %v", len(single), err)
	}
}

// TestMutationConstraintViolation shows a duplicate key failing in
// PostgreSQL with SQLSTATE 23505 (the engine's constraint-violation).
func TestMutationConstraintViolation(t *testing.T) {
	pool, _ := fixtureDB(t, false)
	i := ins("author", icols("id", "integer", "name", "text"), []ir.Value{integer("1"), text("Dup")})
	i.Output = response(cols("id"))
	st, err := Mutation(&ir.MutationRoot{Alias: "insert_author", Insert: i})
	if err != nil {
		t.Fatal(err)
	}
	args, _ := Args(st.Params, nil, nil)
	var res string
	var ok bool
	err = pool.QueryRow(context.Background(), st.SQL, args...).Scan(&res, &ok)
	var pgErr interface{ SQLState() string }
	if !errors.As(err, &pgErr) || pgErr.SQLState() != "23505" {
		t.Fatalf("err = %v, want unique violation", err)
	}
}

// TestUpsertConcurrent runs the same upsert from many connections at once:
// one row per key, no errors.
func TestUpsertConcurrent(t *testing.T) {
	pool, _ := fixtureDB(t, false)
	ctx := context.Background()
	i := ins("user", icols("userId", "text", "userName", "text"), []ir.Value{ir.Variable{Name: "id"}, ir.Variable{Name: "name"}})
	i.OnConflict = &ir.OnConflict{Constraint: "user_pkey", UpdateColumns: []string{"userName"}}
	i.Output = ir.MutationOutput{Single: true, Row: cols("userId")}
	st, err := Mutation(&ir.MutationRoot{Alias: "insert_user_one", Insert: i})
	if err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	errs := make(chan error, 40)
	for w := 0; w < 20; w++ {
		wg.Add(1)
		go func(w int) {
			defer wg.Done()
			for k := 0; k < 2; k++ {
				args, err := Args(st.Params, map[string]any{"id": []string{"c1", "c2"}[k], "name": strings.Repeat("n", w+1)}, nil)
				if err != nil {
					errs <- err
					return
				}
				var res string
				var ok bool
				if err := pool.QueryRow(ctx, st.SQL, args...).Scan(&res, &ok); err != nil {
					errs <- err
				}
			}
		}(w)
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	var n int
	if err := pool.QueryRow(ctx, `SELECT count(*) FROM "user" WHERE "userId" IN ('c1', 'c2')`).Scan(&n); err != nil || n != 2 {
		t.Fatalf("rows = %d, %v; want 2", n, err)
	}
}
