package engine

import (
	"encoding/json"
	"fmt"
	"sync"
	"testing"

	"github.com/postgate/postgate/internal/catalog"
	"github.com/postgate/postgate/internal/metadata"
	"github.com/postgate/postgate/internal/schema"
)

// reuseFixture returns n tables t0..t{n-1} (id, owner, parent_id → the
// previous table) with both relationships, a select permission for
// "user" and "reader" and an insert permission for "user".
func reuseFixture(n int) (*catalog.Catalog, *metadata.Source) {
	text := catalog.ColumnType{Name: "text", UDT: "text", Schema: "pg_catalog", Category: 'S'}
	int4 := catalog.ColumnType{Name: "integer", UDT: "int4", Schema: "pg_catalog", Category: 'N'}
	cat := &catalog.Catalog{Tables: map[catalog.QName]*catalog.Table{}, Functions: map[catalog.QName][]*catalog.Function{}}
	src := &metadata.Source{Name: "default", Kind: "postgres"}
	for i := 0; i < n; i++ {
		name := catalog.QName{Schema: "public", Name: fmt.Sprintf("t%d", i)}
		ct := &catalog.Table{Name: name, Kind: catalog.KindTable,
			Columns: []*catalog.Column{
				{Name: "id", Type: int4}, {Name: "owner", Type: text}, {Name: "parent_id", Type: int4, Nullable: true},
			},
			PrimaryKey: &catalog.Constraint{Name: name.Name + "_pkey", Columns: []string{"id"}},
		}
		var mt metadata.Table
		if err := json.Unmarshal([]byte(fmt.Sprintf(`{"table": {"schema": "public", "name": %q},
			"select_permissions": [
				{"role": "user", "permission": {"columns": "*", "filter": {"owner": {"_eq": "X-Hasura-User-Id"}}, "allow_aggregations": true}},
				{"role": "reader", "permission": {"columns": "*", "filter": {"owner": {"_eq": "X-Hasura-User-Id"}}, "allow_aggregations": true}}],
			"insert_permissions": [{"role": "user", "permission": {"columns": ["owner", "parent_id"], "check": {}}}]}`, name.Name)), &mt); err != nil {
			panic(err)
		}
		if i > 0 {
			prev := fmt.Sprintf("t%d", i-1)
			ct.ForeignKeys = []*catalog.ForeignKey{{Name: name.Name + "_parent_fkey", Table: name,
				RefTable: catalog.QName{Schema: "public", Name: prev}, Columns: []string{"parent_id"}, RefColumns: []string{"id"}}}
			mt.ObjectRelationships = []*metadata.ObjectRelationship{{Name: "parent", Using: metadata.ObjRelUsing{ForeignKeyConstraintOn: json.RawMessage(`"parent_id"`)}}}
			src.Tables[i-1].ArrayRelationships = []*metadata.ArrayRelationship{{Name: "children",
				Using: metadata.ArrRelUsing{ForeignKeyConstraintOn: &metadata.RemoteFK{Table: metadata.TableName{Schema: "public", Name: name.Name}, Column: "parent_id"}}}}
		}
		cat.Tables[name] = ct
		src.Tables = append(src.Tables, &mt)
	}
	return cat, src
}

func roleSchema(t *testing.T, e *Engine, role string) *schema.Schema {
	t.Helper()
	r, err := e.state.Load().role(role)
	if err != nil {
		t.Fatal(err)
	}
	return r.schema
}

// TestSchemaReuseAcrossUpdates checks that after tracking one more table
// the roles' schemas reuse the unchanged tables' definitions, equal a
// build from scratch, and that the cache forgets dropped tables.
func TestSchemaReuseAcrossUpdates(t *testing.T) {
	e := New(nil, Options{})
	cat, src := reuseFixture(20)
	e.Update(cat, src, nil)
	before := map[string]*schema.Schema{}
	for _, role := range []string{schema.AdminRole, "user", "reader"} {
		before[role] = roleSchema(t, e, role)
	}
	cat2, src2 := reuseFixture(21)
	e.Update(cat2, src2, nil)
	for _, role := range []string{schema.AdminRole, "user", "reader"} {
		got := roleSchema(t, e, role)
		want, err := schema.Build(cat2, src2, nil, role, schema.Options{})
		if err != nil {
			t.Fatal(err)
		}
		if got.SDL() != want.SDL() {
			t.Errorf("%s: schema after the update differs from a full build", role)
		}
		// t5 did not change: its definitions are the previous ones.
		if got.AST.Types["t5"] != before[role].AST.Types["t5"] || got.AST.Types["t5_bool_exp"] != before[role].AST.Types["t5_bool_exp"] {
			t.Errorf("%s: the definitions of an unchanged table were rebuilt", role)
		}
		if got.AST.Types["t20"] == nil || got.Query["t20_by_pk"] == nil {
			t.Errorf("%s: the new table is missing", role)
		}
		// The resolution tables are the new generation's.
		if got.Tables[catalog.QName{Schema: "public", Name: "t5"}] == before[role].Tables[catalog.QName{Schema: "public", Name: "t5"}] {
			t.Errorf("%s: table information carried over from the previous generation", role)
		}
	}
	// "user" and "reader" have the same select permissions; reader has no
	// insert permission, which object types do not depend on.
	if roleSchema(t, e, "user").AST.Types["t5"] != roleSchema(t, e, "reader").AST.Types["t5"] {
		t.Error("roles with the same permissions do not share definitions")
	}

	// Untrack half the tables: after the next update the cache holds only
	// what the latest generation used.
	cat3, src3 := reuseFixture(10)
	e.Update(cat3, src3, nil)
	roleSchema(t, e, "user")
	e.Update(cat3, src3, nil)
	// Each table has a select side and a mutation side.
	if n := e.schemas.Len(); n != 20 {
		t.Errorf("cache holds %d table fingerprints after dropping tables, want 2×10", n)
	}
}

// TestSchemaReuseConcurrent requests role schemas from many goroutines
// while the metadata changes (run with -race).
func TestSchemaReuseConcurrent(t *testing.T) {
	e := New(nil, Options{})
	cat, src := reuseFixture(30)
	e.Update(cat, src, nil)
	var wg sync.WaitGroup
	stop := make(chan struct{})
	for g := 0; g < 6; g++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			roles := []string{schema.AdminRole, "user", "reader"}
			for i := 0; ; i++ {
				select {
				case <-stop:
					return
				default:
				}
				r, err := e.state.Load().roleFor(roles[(g+i)%3], i%2 == 0)
				if err != nil {
					t.Error(err)
					return
				}
				for _, d := range r.schema.AST.Types {
					for _, f := range d.Fields {
						_ = len(f.Arguments)
					}
				}
			}
		}()
	}
	for n := 30; n < 36; n++ {
		c, s := reuseFixture(n)
		e.Update(c, s, nil)
	}
	close(stop)
	wg.Wait()
	got := roleSchema(t, e, "user")
	c, s := reuseFixture(35)
	want, err := schema.Build(c, s, nil, "user", schema.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if got.SDL() != want.SDL() {
		t.Error("schema after concurrent updates differs from a full build")
	}
}
