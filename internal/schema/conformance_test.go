package schema

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"testing"

	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/postgate/postgate/internal/catalog"
	"github.com/postgate/postgate/internal/metadata"
	"github.com/postgate/postgate/internal/pgtest"
	"github.com/vektah/gqlparser/v2/ast"
	"github.com/vektah/gqlparser/v2/parser"
	"github.com/vektah/gqlparser/v2/validator"
	"github.com/vektah/gqlparser/v2/validator/rules"
	"gopkg.in/yaml.v3"
)

// conformanceDir holds Hasura's own test cases (see HARNESS_NOTES.md there).
const conformanceDir = "/work/shared/conformance/hasura/server/tests-py/queries"

// TestHasuraQueriesValidate applies the setup of each graphql_query and
// graphql_mutation directory of Hasura's test suite to a fresh database,
// builds the schema of every role its operations use, and checks that each
// operation Hasura answers without errors is valid against our schema: the
// generated names, types and arguments agree with Hasura's.
func TestHasuraQueriesValidate(t *testing.T) {
	if _, err := os.Stat(conformanceDir); err != nil {
		t.Skip("Hasura conformance cases not available")
	}
	if testing.Short() {
		t.Skip("creates a database per directory; skipped with -short")
	}
	var dirs []string
	for _, top := range []string{"graphql_query", "graphql_mutation", "graphql_validation"} {
		_ = filepath.WalkDir(filepath.Join(conformanceDir, top), func(p string, d os.DirEntry, err error) error {
			if err == nil && (d.Name() == "setup.yaml" || d.Name() == "schema_setup.yaml") {
				dirs = append(dirs, filepath.Dir(p))
			}
			return nil
		})
	}
	sort.Strings(dirs)
	skip := manifestGaps(t)
	for _, dir := range dirs {
		rel, _ := filepath.Rel(conformanceDir, dir)
		t.Run(rel, func(t *testing.T) {
			t.Parallel()
			runConformanceDir(t, dir, skip)
		})
	}
}

// hasuraCase is one query case of a Hasura test file.
type hasuraCase struct {
	URL      string            `yaml:"url"`
	Status   int               `yaml:"status"`
	Headers  map[string]string `yaml:"headers"`
	Response any               `yaml:"response"`
	Query    struct {
		Query string `yaml:"query"`
	} `yaml:"query"`
}

// bulkOp is one operation of a setup file.
type bulkOp struct {
	Type string `yaml:"type"`
	// Args is a mapping, or a bare table name for track_table.
	Args map[string]any `yaml:"-"`
}

// UnmarshalYAML accepts args as a mapping or a scalar (a table name).
func (o *bulkOp) UnmarshalYAML(n *yaml.Node) error {
	var v struct {
		Type string    `yaml:"type"`
		Args yaml.Node `yaml:"args"`
	}
	if err := n.Decode(&v); err != nil {
		return err
	}
	o.Type = v.Type
	if v.Args.Kind == yaml.ScalarNode {
		o.Args = map[string]any{"table": v.Args.Value}
		return nil
	}
	return v.Args.Decode(&o.Args)
}

// manifestGaps returns the files MANIFEST.tsv marks as not expected to
// pass (SETUP-GAP: the query needs a newer setup; legacy: pre-v2
// semantics).
func manifestGaps(t *testing.T) map[string]bool {
	raw, err := os.ReadFile(filepath.Join(conformanceDir, "..", "..", "..", "MANIFEST.tsv"))
	if err != nil {
		t.Fatal(err)
	}
	gaps := map[string]bool{}
	for _, line := range strings.Split(string(raw), "\n") {
		cols := strings.Split(line, "\t")
		rest := strings.Join(cols[min(2, len(cols)):], "\t")
		if strings.Contains(rest, "SETUP-GAP") || strings.Contains(rest, "legacy") {
			gaps[filepath.Base(cols[0])+"|"+filepath.Base(filepath.Dir(cols[0]))] = true
		}
	}
	return gaps
}

func runConformanceDir(t *testing.T, dir string, skip map[string]bool) {
	var ops []bulkOp
	for _, name := range []string{"setup.yaml", "schema_setup.yaml", "values_setup.yaml"} {
		raw, err := os.ReadFile(filepath.Join(dir, name))
		if err != nil {
			continue
		}
		var setup struct {
			Args []bulkOp `yaml:"args"`
		}
		if err := yaml.Unmarshal(raw, &setup); err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		ops = append(ops, setup.Args...)
	}
	pool := pgtest.Pool(t)
	ctx := context.Background()
	src := &metadata.Source{Name: "default", Kind: "postgres"}
	for _, op := range ops {
		if err := applySetupOp(ctx, pool, src, op); err != nil {
			if strings.Contains(err.Error(), "postgis") || strings.Contains(err.Error(), "geometry") || strings.Contains(err.Error(), "geography") {
				t.Skipf("needs PostGIS: %v", err)
			}
			t.Fatalf("%s: %v", op.Type, err)
		}
	}
	cat, err := catalog.Load(ctx, pool)
	if err != nil {
		t.Fatal(err)
	}
	enums, err := LoadEnumValues(ctx, pool, cat, src)
	if err != nil {
		t.Fatal(err)
	}
	schemas := map[string]*Schema{}
	files, _ := filepath.Glob(filepath.Join(dir, "*.yaml"))
	checked := 0
	for _, f := range files {
		base := filepath.Base(f)
		if strings.HasSuffix(base, "setup.yaml") || strings.HasSuffix(base, "teardown.yaml") || skip[base+"|"+filepath.Base(dir)] {
			continue
		}
		for _, c := range readCases(t, f) {
			// Cases recorded without a response only check the status.
			if c.URL != "/v1/graphql" || c.Status != 200 || c.Response == nil || c.Query.Query == "" {
				continue
			}
			missing := missingFields(c.Response)
			if hasErrors(c.Response) && len(missing) == 0 {
				continue
			}
			role, backendOnly := AdminRole, false
			for k, v := range c.Headers {
				if strings.EqualFold(k, "x-hasura-role") {
					role = v
				}
				if strings.EqualFold(k, "x-hasura-use-backend-only-permissions") {
					backendOnly = v == "true"
				}
			}
			key := fmt.Sprint(role, backendOnly)
			s := schemas[key]
			if s == nil {
				s, err = Build(cat, src, nil, role, Options{EnumValues: enums, BackendOnly: backendOnly})
				if err != nil {
					t.Fatal(err)
				}
				schemas[key] = s
			}
			// Hasura reports a field the role's schema lacks as
			// `field "x" not found in type: 't'`: t must exist here without x.
			for _, m := range missing {
				d := s.AST.Types[m[1]]
				if d == nil || d.Fields.ForName(m[0]) != nil {
					t.Errorf("%s (role %s): type %s should exist without field %s", base, role, m[1], m[0])
				}
				checked++
			}
			if len(missing) > 0 {
				continue
			}
			doc, perr := parser.ParseQuery(&ast.Source{Input: c.Query.Query})
			if perr != nil {
				continue
			}
			// Hasura accepts operations with unused variables.
			rs := rules.NewDefaultRules()
			rs.RemoveRule(rules.NoUnusedVariablesRule.Name)
			if errs := validator.ValidateWithRules(s.AST, doc, rs); len(errs) > 0 {
				t.Errorf("%s (role %s): %v", base, role, errs)
			}
			checked++
		}
	}
	t.Logf("%d queries valid", checked)
}

// readCases reads a test file holding one case or a list of cases.
func readCases(t *testing.T, path string) []hasuraCase {
	raw, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var list []hasuraCase
	if err := yaml.Unmarshal(raw, &list); err == nil {
		return list
	}
	var one hasuraCase
	if err := yaml.Unmarshal(raw, &one); err != nil {
		return nil
	}
	return []hasuraCase{one}
}

// notFound matches Hasura's message for a field missing from a type.
var notFound = regexp.MustCompile(`^field "(\w+)" not found in type: '(\w+)'$`)

// missingFields returns the (field, type) pairs of Hasura "not found"
// validation errors in an expected response.
func missingFields(resp any) [][2]string {
	m, _ := resp.(map[string]any)
	errs, _ := m["errors"].([]any)
	var out [][2]string
	for _, e := range errs {
		em, _ := e.(map[string]any)
		msg, _ := em["message"].(string)
		if sm := notFound.FindStringSubmatch(strings.TrimSpace(msg)); sm != nil {
			out = append(out, [2]string{sm[1], sm[2]})
		}
	}
	return out
}

// hasErrors reports whether an expected response carries GraphQL errors.
func hasErrors(resp any) bool {
	m, ok := resp.(map[string]any)
	if !ok {
		return false
	}
	_, ok = m["errors"]
	return ok
}

// applySetupOp applies one setup operation: SQL and inserts to the
// database, tracking and permissions to src.
func applySetupOp(ctx context.Context, pool *pgxpool.Pool, src *metadata.Source, op bulkOp) error {
	switch op.Type {
	case "run_sql":
		_, err := pool.Exec(ctx, fmt.Sprint(op.Args["sql"]))
		return err
	case "insert":
		tn := setupTableName(op.Args["table"])
		table := quoteIdent(tn.Schema) + "." + quoteIdent(tn.Name)
		objs, _ := op.Args["objects"].([]any)
		for _, o := range objs {
			obj, _ := o.(map[string]any)
			var cols []string
			for k := range obj {
				cols = append(cols, quoteIdent(k))
			}
			b, err := json.Marshal(obj)
			if err != nil {
				return err
			}
			list := strings.Join(cols, ", ")
			q := fmt.Sprintf(`INSERT INTO %s (%s) SELECT %s FROM json_populate_record(NULL::%s, $1)`, table, list, list, table)
			if _, err := pool.Exec(ctx, q, string(b)); err != nil {
				return err
			}
		}
	case "track_table":
		var mt metadata.Table
		mt.Table = setupTableName(op.Args["table"])
		if op.Args["table"] == nil {
			mt.Table = setupTableName(op.Args)
		}
		mt.IsEnum, _ = op.Args["is_enum"].(bool)
		src.Tables = append(src.Tables, &mt)
	case "track_function":
		fn := setupTableName(op.Args["function"])
		if op.Args["function"] == nil {
			fn = setupTableName(op.Args)
		}
		src.Functions = append(src.Functions, &metadata.Function{Function: fn})
	case "create_object_relationship", "create_array_relationship", "create_select_permission", "create_insert_permission",
		"create_update_permission", "create_delete_permission", "add_computed_field":
		mt := src.FindTable(setupTableName(op.Args["table"]))
		if mt == nil {
			return fmt.Errorf("table %v not tracked", op.Args["table"])
		}
		b, err := json.Marshal(op.Args)
		if err != nil {
			return err
		}
		switch op.Type {
		case "create_object_relationship":
			var r metadata.ObjectRelationship
			if err := json.Unmarshal(b, &struct {
				*metadata.ObjectRelationship
				Table any `json:"table"`
			}{ObjectRelationship: &r}); err != nil {
				return err
			}
			mt.ObjectRelationships = append(mt.ObjectRelationships, &r)
		case "create_array_relationship":
			var r metadata.ArrayRelationship
			if err := json.Unmarshal(b, &struct {
				*metadata.ArrayRelationship
				Table any `json:"table"`
			}{ArrayRelationship: &r}); err != nil {
				return err
			}
			mt.ArrayRelationships = append(mt.ArrayRelationships, &r)
		case "create_select_permission":
			var p metadata.SelectPermissionDef
			if err := json.Unmarshal(b, &p); err != nil {
				return err
			}
			mt.SelectPermissions = append(mt.SelectPermissions, &p)
		case "create_insert_permission":
			var p metadata.InsertPermissionDef
			if err := json.Unmarshal(b, &p); err != nil {
				return err
			}
			mt.InsertPermissions = append(mt.InsertPermissions, &p)
		case "create_update_permission":
			var p metadata.UpdatePermissionDef
			if err := json.Unmarshal(b, &p); err != nil {
				return err
			}
			mt.UpdatePermissions = append(mt.UpdatePermissions, &p)
		case "create_delete_permission":
			var p metadata.DeletePermissionDef
			if err := json.Unmarshal(b, &p); err != nil {
				return err
			}
			mt.DeletePermissions = append(mt.DeletePermissions, &p)
		default:
			var cf metadata.ComputedField
			if err := json.Unmarshal(b, &cf); err != nil {
				return err
			}
			mt.ComputedFields = append(mt.ComputedFields, &cf)
		}
	default:
		return fmt.Errorf("unsupported setup operation %s", op.Type)
	}
	return nil
}

// setupTableName reads a table name given as a string or {schema, name}.
func setupTableName(v any) metadata.TableName {
	switch v := v.(type) {
	case string:
		return metadata.TableName{Schema: "public", Name: v}
	case map[string]any:
		n := metadata.TableName{Schema: "public", Name: fmt.Sprint(v["name"])}
		if s, ok := v["schema"].(string); ok {
			n.Schema = s
		}
		return n
	}
	return metadata.TableName{}
}
