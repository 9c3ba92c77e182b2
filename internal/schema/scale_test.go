package schema

import (
	"encoding/json"
	"fmt"
	"testing"
	"time"

	"github.com/postgate/postgate/internal/catalog"
	"github.com/postgate/postgate/internal/metadata"
)

// scaleFixture returns n tables t0..t{n-1} of eight columns, each with a
// foreign key to the previous table and both relationships tracked, and a
// select permission for role "user" on every table.
func scaleFixture(n int) (*catalog.Catalog, *metadata.Source) {
	cat := &catalog.Catalog{Tables: map[catalog.QName]*catalog.Table{}, Functions: map[catalog.QName][]*catalog.Function{}}
	src := &metadata.Source{Name: "default", Kind: "postgres"}
	perm := metadata.SelectPermission{Columns: metadata.Columns{All: true}, Filter: json.RawMessage(`{"owner":{"_eq":"X-Hasura-User-Id"}}`), AllowAggregations: true}
	for i := 0; i < n; i++ {
		name := catalog.QName{Schema: "public", Name: fmt.Sprintf("t%d", i)}
		ct := &catalog.Table{Name: name, Kind: catalog.KindTable,
			Columns: []*catalog.Column{
				col("id", tInt4, false), col("owner", tText, false), col("title", tText, true), col("amount", tNumeric, true),
				col("data", tJSONB, true), col("created", tTimestamptz, false), col("flag", tBool, true), col("parent_id", tInt4, true),
			},
			PrimaryKey: &catalog.Constraint{Name: name.Name + "_pkey", Columns: []string{"id"}},
		}
		mt := &metadata.Table{Table: metadata.TableName{Schema: "public", Name: name.Name},
			SelectPermissions: []*metadata.SelectPermissionDef{{Role: "user", Permission: perm}}}
		if i > 0 {
			prev := fmt.Sprintf("t%d", i-1)
			ct.ForeignKeys = []*catalog.ForeignKey{{Name: name.Name + "_parent_fkey", Table: name,
				RefTable: catalog.QName{Schema: "public", Name: prev}, Columns: []string{"parent_id"}, RefColumns: []string{"id"}}}
			mt.ObjectRelationships = []*metadata.ObjectRelationship{{Name: "parent", Using: metadata.ObjRelUsing{ForeignKeyConstraintOn: json.RawMessage(`"parent_id"`)}}}
			src.Tables[i-1].ArrayRelationships = []*metadata.ArrayRelationship{{Name: "children",
				Using: metadata.ArrRelUsing{ForeignKeyConstraintOn: &metadata.RemoteFK{Table: metadata.TableName{Schema: "public", Name: name.Name}, Column: "parent_id"}}}}
		}
		cat.Tables[name] = ct
		src.Tables = append(src.Tables, mt)
	}
	return cat, src
}

func TestBuildThousandTables(t *testing.T) {
	cat, src := scaleFixture(1000)
	for _, role := range []string{AdminRole, "user"} {
		start := time.Now()
		s, err := Build(cat, src, nil, role, Options{})
		if err != nil {
			t.Fatal(err)
		}
		d := time.Since(start)
		t.Logf("Build for %s with 1,000 tables: %v (%d types, %d query root fields)", role, d, len(s.AST.Types), len(s.Query))
		if len(s.Tables) != 1000 || s.Query["t999_by_pk"] == nil || s.AST.Types["t500"].Fields.ForName("children_aggregate") == nil {
			t.Errorf("%s: incomplete schema", role)
		}
		// A generous bound: the machine running the tests may be busy; the
		// log line above is the measurement.
		if d > 10*time.Second {
			t.Errorf("%s: Build took %v", role, d)
		}

	}
}

func BenchmarkBuildThousandTables(b *testing.B) {
	cat, src := scaleFixture(1000)
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if _, err := Build(cat, src, nil, "user", Options{}); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkIntrospectThousandTables(b *testing.B) {
	cat, src := scaleFixture(1000)
	s, err := Build(cat, src, nil, "user", Options{})
	if err != nil {
		b.Fatal(err)
	}
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		res := introspect(b, s, introspectionQuery, nil)
		b.SetBytes(int64(len(res["__schema"])))
	}
}
