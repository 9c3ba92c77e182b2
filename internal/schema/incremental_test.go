package schema

import (
	"encoding/json"
	"fmt"
	"runtime"
	"sort"
	"strings"
	"sync"
	"testing"

	"github.com/postgate/postgate/internal/catalog"
	"github.com/postgate/postgate/internal/metadata"
)

// state is one generation of inputs for Build.
type state struct {
	cat       *catalog.Catalog
	src       *metadata.Source
	inherited []*metadata.InheritedRole
	opts      Options
}

// change modifies a generation's inputs (fresh copies of the fixture).
type change struct {
	name  string
	apply func(t *testing.T, s *state)
}

func q(s, n string) catalog.QName { return catalog.QName{Schema: s, Name: n} }

func tableOf(s *state, name string) *metadata.Table {
	for _, mt := range s.src.Tables {
		if mt.Table.Name == name {
			return mt
		}
	}
	panic("no table " + name)
}

func mustJSON(t *testing.T, raw string, v any) {
	t.Helper()
	if err := json.Unmarshal([]byte(raw), v); err != nil {
		t.Fatalf("%s: %v", raw, err)
	}
}

// incrementalChanges is a series of metadata and catalog changes; each
// applies on top of the previous ones.
var incrementalChanges = []change{
	{"initial", func(t *testing.T, s *state) {}},
	{"track a table", func(t *testing.T, s *state) {
		s.cat.Tables[q("public", "comment")] = &catalog.Table{Name: q("public", "comment"), Kind: catalog.KindTable,
			Columns:     []*catalog.Column{col("id", tInt4, false), col("body", tText, false), col("article_id", tInt4, false), col("score", tNumeric, true)},
			PrimaryKey:  &catalog.Constraint{Name: "comment_pkey", Columns: []string{"id"}},
			ForeignKeys: []*catalog.ForeignKey{{Name: "comment_article_id_fkey", Table: q("public", "comment"), RefTable: q("public", "article"), Columns: []string{"article_id"}, RefColumns: []string{"id"}}},
		}
		var mt metadata.Table
		mustJSON(t, `{"table": {"schema": "public", "name": "comment"},
			"object_relationships": [{"name": "article", "using": {"foreign_key_constraint_on": "article_id"}}],
			"select_permissions": [{"role": "user", "permission": {"columns": ["id", "body", "article_id"], "filter": {}}},
			                       {"role": "editor", "permission": {"columns": "*", "filter": {}, "allow_aggregations": true}}],
			"insert_permissions": [{"role": "user", "permission": {"columns": ["body", "article_id"], "check": {}}}]}`, &mt)
		s.src.Tables = append(s.src.Tables, &mt)
	}},
	{"add a relationship", func(t *testing.T, s *state) {
		var r metadata.ArrayRelationship
		mustJSON(t, `{"name": "comments", "using": {"foreign_key_constraint_on": {"table": "comment", "column": "article_id"}}}`, &r)
		a := tableOf(s, "article")
		a.ArrayRelationships = append(a.ArrayRelationships, &r)
	}},
	{"add and drop permissions", func(t *testing.T, s *state) {
		a := tableOf(s, "article")
		var p metadata.SelectPermissionDef
		mustJSON(t, `{"role": "editor", "permission": {"columns": "*", "filter": {}, "allow_aggregations": true}}`, &p)
		a.SelectPermissions = append(a.SelectPermissions, &p)
		a.DeletePermissions = nil
		var u metadata.UpdatePermissionDef
		mustJSON(t, `{"role": "user", "permission": {"columns": ["body"], "filter": {}}}`, &u)
		c := tableOf(s, "comment")
		c.UpdatePermissions = append(c.UpdatePermissions, &u)
	}},
	{"permission change on an array relationship's target only", func(t *testing.T, s *state) {
		for _, p := range tableOf(s, "comment").SelectPermissions {
			if p.Role == "editor" {
				p.Permission.AllowAggregations = false
			}
		}
	}},
	{"change columns in the catalog", func(t *testing.T, s *state) {
		au := s.cat.Tables[q("public", "author")]
		au.Columns[3] = col("email", catalog.ColumnType{Name: "character varying", UDT: "varchar", Schema: "pg_catalog", Category: 'S'}, false)
		ar := s.cat.Tables[q("public", "article")]
		ar.Columns = append(ar.Columns, col("word_count", tInt4, true))
		ar.Uniques = append(ar.Uniques, &catalog.Constraint{Name: "article_title_key", Columns: []string{"title"}})
	}},
	{"rename through customisation", func(t *testing.T, s *state) {
		tag := tableOf(s, "tag")
		tag.Configuration = &metadata.TableConfig{CustomName: "label"}
		au := tableOf(s, "author")
		mustJSON(t, `{"column_config": {"name": {"custom_name": "display_name"}}, "custom_root_fields": {"select": {"name": "writers"}}}`, &au.Configuration)
	}},
	{"add a computed field", func(t *testing.T, s *state) {
		fn := &catalog.Function{Name: q("public", "article_excerpt"),
			Args:       []catalog.FunctionArg{{Name: "a", Type: catalog.ColumnType{Name: "article", UDT: "article", Schema: "public", Category: 'C'}}, {Name: "len", Type: tInt4, HasDefault: true}},
			ReturnType: q("pg_catalog", "text"), Return: tText, Volatility: catalog.Stable}
		s.cat.Functions[fn.Name] = []*catalog.Function{fn}
		a := tableOf(s, "article")
		var cf metadata.ComputedField
		mustJSON(t, `{"name": "excerpt", "definition": {"function": "article_excerpt"}}`, &cf)
		a.ComputedFields = append(a.ComputedFields, &cf)
		for _, p := range a.SelectPermissions {
			if p.Role == "user" {
				p.Permission.ComputedFields = []string{"excerpt"}
			}
		}
	}},
	{"enum values change", func(t *testing.T, s *state) {
		s.opts.EnumValues[q("public", "article_status")] = append(s.opts.EnumValues[q("public", "article_status")], EnumValue{Value: "archived", Description: "hidden"})
	}},
	{"enum table loses its values", func(t *testing.T, s *state) {
		delete(s.opts.EnumValues, q("public", "article_status"))
	}},
	{"inherited role", func(t *testing.T, s *state) {
		s.opts.EnumValues[q("public", "article_status")] = []EnumValue{{Value: "draft"}}
		s.inherited = []*metadata.InheritedRole{{RoleName: "both", RoleSet: []string{"user", "editor"}}}
	}},
	{"change a permission's columns", func(t *testing.T, s *state) {
		for _, p := range tableOf(s, "author").SelectPermissions {
			if p.Role == "user" {
				p.Permission.Columns = metadata.Columns{Names: []string{"id", "name", "email"}}
				p.Permission.AllowAggregations = true
			}
		}
	}},
	{"untrack a table", func(t *testing.T, s *state) {
		var kept []*metadata.Table
		for _, mt := range s.src.Tables {
			if mt.Table.Name != "tag" {
				kept = append(kept, mt)
			}
		}
		s.src.Tables = kept
	}},
	{"manual relationship to an untracked table, then its tracking", func(t *testing.T, s *state) {
		var r metadata.ObjectRelationship
		mustJSON(t, `{"name": "first_tag", "using": {"manual_configuration": {"remote_table": {"schema": "content", "name": "tag"}, "column_mapping": {"id": "id"}}}}`, &r)
		c := tableOf(s, "comment")
		c.ObjectRelationships = append(c.ObjectRelationships, &r)
	}},
	{"track it again with a permission", func(t *testing.T, s *state) {
		var mt metadata.Table
		mustJSON(t, `{"table": {"schema": "content", "name": "tag"},
			"select_permissions": [{"role": "user", "permission": {"columns": "*", "filter": {}}}]}`, &mt)
		s.src.Tables = append(s.src.Tables, &mt)
	}},
	// Clashing type names: article's recorded mutation fields declare
	// article_set_input only when no other type has the name, so their
	// replay fails its guard and Build starts over without the cache.
	{"a table named like another table's generated types", func(t *testing.T, s *state) {
		for _, n := range []string{"author_aggregate", "comment_bool_exp", "article_set_input"} {
			s.cat.Tables[q("public", n)] = &catalog.Table{Name: q("public", n), Kind: catalog.KindTable,
				Columns:    []*catalog.Column{col("id", tInt4, false)},
				PrimaryKey: &catalog.Constraint{Name: n + "_pkey", Columns: []string{"id"}},
			}
			var mt metadata.Table
			mustJSON(t, `{"table": {"schema": "public", "name": "`+n+`"},
				"select_permissions": [{"role": "user", "permission": {"columns": "*", "filter": {}}}]}`, &mt)
			s.src.Tables = append(s.src.Tables, &mt)
		}
	}},
	{"type name customisation", func(t *testing.T, s *state) {
		s.src.Customization = json.RawMessage(`{"type_names": {"prefix": "blog_"}, "root_fields": {"suffix": "_v1"}}`)
	}},
	{"namespace", func(t *testing.T, s *state) {
		s.src.Customization = json.RawMessage(`{"root_fields": {"namespace": "blog"}}`)
	}},
	{"streaming off", func(t *testing.T, s *state) {
		s.src.Customization = nil
		s.opts.NoStreaming = true
	}},
}

// incrementalRoles are the roles every generation is built for.
var incrementalRoles = []string{AdminRole, "user", "editor", "both", "nobody"}

// stateAt returns fresh inputs with the first n changes applied.
func stateAt(t *testing.T, n int) *state {
	cat, src, opts := fixture(t)
	s := &state{cat: cat, src: src, opts: opts}
	for _, c := range incrementalChanges[:n+1] {
		c.apply(t, s)
	}
	return s
}

// describe prints what a schema is made of beyond its SDL: every type
// name (built-in ones included), the root fields' meaning and the object
// types' tables.
func describe(s *Schema) string {
	var lines []string
	for n := range s.AST.Types {
		lines = append(lines, "type "+n)
	}
	for n := range s.AST.PossibleTypes {
		lines = append(lines, "possible "+n)
	}
	for _, m := range []struct {
		kind string
		m    map[string]*RootField
	}{{"query", s.Query}, {"mutation", s.Mutation}, {"subscription", s.Subscription}} {
		for n, rf := range m.m {
			fn := ""
			if rf.Function != nil {
				fn = rf.Function.Name.String()
			}
			lines = append(lines, fmt.Sprintf("%s %s %d %s %s", m.kind, n, rf.Kind, rf.Table.Name, fn))
		}
	}
	for n, t := range s.Objects {
		lines = append(lines, "object "+n+" "+t.Name.String())
	}
	for n, t := range s.Tables {
		var fields []string
		for f, fd := range t.Fields {
			fields = append(fields, fmt.Sprintf("%s:%d:%s", f, fd.Kind, fd.Type))
		}
		sort.Strings(fields)
		lines = append(lines, "table "+n.String()+" "+strings.Join(fields, ","))
	}
	sort.Strings(lines)
	return strings.Join(lines, "\n") + "\nnamespace " + s.Namespace
}

// TestIncrementalBuildMatchesFullBuild builds, after each change of a
// series, every role's schema with a cache kept across the changes and
// from scratch, and requires the same SDL and the same resolution tables.
func TestIncrementalBuildMatchesFullBuild(t *testing.T) {
	var cache Cache
	for i, c := range incrementalChanges {
		s := stateAt(t, i)
		cache.Advance()
		before := cache.replayed.Load()
		for _, backendOnly := range []bool{false, true} {
			for _, role := range incrementalRoles {
				opts := s.opts
				opts.BackendOnly = backendOnly
				full, err := Build(s.cat, s.src, s.inherited, role, opts)
				if err != nil {
					t.Fatal(err)
				}
				opts.Cache = &cache
				inc, err := Build(s.cat, s.src, s.inherited, role, opts)
				if err != nil {
					t.Fatal(err)
				}
				if got, want := inc.SDL(), full.SDL(); got != want {
					t.Errorf("%s, role %s (backend only %v): incremental SDL differs from a full build:\n%s", c.name, role, backendOnly, firstDiff(got, want))
				}
				if got, want := describe(inc), describe(full); got != want {
					t.Errorf("%s, role %s (backend only %v): incremental schema differs from a full build:\n%s", c.name, role, backendOnly, firstDiff(got, want))
				}
			}
		}
		if i > 0 && cache.replayed.Load() == before {
			t.Errorf("%s: no definition was reused", c.name)
		}
	}
}

// firstDiff shows the first differing line of two texts.
func firstDiff(got, want string) string {
	g, w := strings.Split(got, "\n"), strings.Split(want, "\n")
	for i := 0; i < len(g) || i < len(w); i++ {
		var gl, wl string
		if i < len(g) {
			gl = g[i]
		}
		if i < len(w) {
			wl = w[i]
		}
		if gl != wl {
			return fmt.Sprintf("line %d:\n got: %s\nwant: %s", i+1, gl, wl)
		}
	}
	return "(no line differs)"
}

// TestIncrementalReusesUnchangedTables checks that tracking one more
// table rebuilds only the definitions of the new table and of the tables
// it is related to.
func TestIncrementalReusesUnchangedTables(t *testing.T) {
	var cache Cache
	cat, src := scaleFixture(101)
	last := src.Tables[100]
	src.Tables = src.Tables[:100]
	src.Tables[99].ArrayRelationships = nil
	if _, err := Build(cat, src, nil, "user", Options{Cache: &cache}); err != nil {
		t.Fatal(err)
	}
	cache.Advance()
	cat2, src2 := scaleFixture(101)
	_ = last
	ran, replayed := cache.ran.Load(), cache.replayed.Load()
	inc, err := Build(cat2, src2, nil, "user", Options{Cache: &cache})
	if err != nil {
		t.Fatal(err)
	}
	full, err := Build(cat2, src2, nil, "user", Options{})
	if err != nil {
		t.Fatal(err)
	}
	if inc.SDL() != full.SDL() || describe(inc) != describe(full) {
		t.Fatal("incremental build differs from a full build")
	}
	ran, replayed = cache.ran.Load()-ran, cache.replayed.Load()-replayed
	t.Logf("frames run: %d, replayed: %d", ran, replayed)
	// t99 gains a relationship and t100 is new: their frames (and those
	// of t98, whose neighbour t99 changed) run again; the others replay.
	if ran > 60 || replayed < 97 {
		t.Errorf("ran %d frames, replayed %d: unchanged tables were rebuilt", ran, replayed)
	}
	// Dropped fingerprints leave the cache on the next generation.
	cache.Advance()
	if _, err := Build(cat2, src2, nil, "user", Options{Cache: &cache}); err != nil {
		t.Fatal(err)
	}
	cache.Advance()
	if n := cache.Len(); n != 2*101 {
		t.Errorf("cache holds %d table fingerprints, want 2×101 (select and mutation sides)", n)
	}
}

// TestIncrementalConcurrentBuilds builds several roles at once with one
// cache (run with -race).
func TestIncrementalConcurrentBuilds(t *testing.T) {
	var cache Cache
	for i := range incrementalChanges {
		s := stateAt(t, i)
		cache.Advance()
		var wg sync.WaitGroup
		for _, role := range incrementalRoles {
			for k := 0; k < 2; k++ {
				wg.Add(1)
				go func() {
					defer wg.Done()
					opts := s.opts
					opts.Cache = &cache
					inc, err := Build(s.cat, s.src, s.inherited, role, opts)
					if err != nil {
						t.Error(err)
						return
					}
					_ = inc.SDL()
					_ = introspectSchema(inc)
				}()
			}
		}
		wg.Wait()
	}
}

// introspectSchema reads every definition (as validation and
// introspection do) so that the race detector sees concurrent reads.
func introspectSchema(s *Schema) int {
	n := 0
	for _, d := range s.AST.Types {
		for _, f := range d.Fields {
			n += len(f.Arguments) + len(f.Name)
		}
		n += len(d.EnumValues)
	}
	return n
}

// buildWithOneMoreTable prepares the rebuild benchmark: a cache filled
// by a build with n tables, and the inputs with n+1.
func buildWithOneMoreTable(b *testing.B, n int, role string) (*Cache, *catalog.Catalog, *metadata.Source) {
	cache := &Cache{}
	cat, src := scaleFixture(n + 1)
	all := src.Tables
	src.Tables = all[:n]
	if _, err := Build(cat, src, nil, role, Options{Cache: cache}); err != nil {
		b.Fatal(err)
	}
	cache.Advance()
	_, src2 := scaleFixture(n + 1)
	return cache, cat, src2
}

// BenchmarkRebuildAfterTrackingOneTable measures a role's schema rebuild
// after tracking one more table at 1,000 tables, with the previous
// generation's cache (compare BenchmarkBuildThousandTables).
func BenchmarkRebuildAfterTrackingOneTable(b *testing.B) {
	cache, cat, src := buildWithOneMoreTable(b, 1000, "user")
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if _, err := Build(cat, src, nil, "user", Options{Cache: cache}); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkFullBuildWithCache is a build at 1,000 tables from an empty
// cache: the cost of recording.
func BenchmarkFullBuildWithCache(b *testing.B) {
	cat, src := scaleFixture(1000)
	b.ReportAllocs()
	for i := 0; i < b.N; i++ {
		if _, err := Build(cat, src, nil, "user", Options{Cache: &Cache{}}); err != nil {
			b.Fatal(err)
		}
	}
}

// TestThreeRolesHeap reports the heap held by the schemas of three roles
// at 1,000 tables (two with the same permissions), with and without a
// shared cache. Run with -v -run ThreeRolesHeap.
func TestThreeRolesHeap(t *testing.T) {
	if testing.Short() {
		t.Skip("slow")
	}
	cat, src := scaleFixture(1000)
	// "reader" has the same permissions as "user"; admin sees everything.
	for _, mt := range src.Tables {
		p := *mt.SelectPermissions[0]
		p.Role = "reader"
		mt.SelectPermissions = append(mt.SelectPermissions, &p)
	}
	heap := func() uint64 {
		runtime.GC()
		runtime.GC()
		var m runtime.MemStats
		runtime.ReadMemStats(&m)
		return m.HeapInuse
	}
	for _, withCache := range []bool{false, true} {
		base := heap()
		var cache *Cache
		if withCache {
			cache = &Cache{}
		}
		var schemas []*Schema
		var steps []string
		for _, role := range []string{"user", "reader", AdminRole} {
			s, err := Build(cat, src, nil, role, Options{Cache: cache})
			if err != nil {
				t.Fatal(err)
			}
			schemas = append(schemas, s)
			steps = append(steps, fmt.Sprintf("+%s %.1f MB", role, float64(heap()-base)/(1<<20)))
		}
		used := heap() - base
		t.Logf("3 roles at 1,000 tables, cache %v: %.1f MB heap in use (%s)", withCache, float64(used)/(1<<20), strings.Join(steps, ", "))
		runtime.KeepAlive(schemas)
		runtime.KeepAlive(cache)
	}
}
