package metadata

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"github.com/postgate/postgate/internal/apierr"
	"gopkg.in/yaml.v3"
)

// conformanceDir returns Hasura's test-suite queries folder, shared beside
// the repository, or skips (fails under CI) when it is absent.
func conformanceDir(t *testing.T) string {
	t.Helper()
	dir, err := filepath.Abs(filepath.Join("..", "..", "..", "shared", "conformance", "hasura", "server", "tests-py", "queries"))
	if err == nil {
		if _, err = os.Stat(dir); err == nil {
			return dir
		}
	}
	if os.Getenv("CI") == "true" {
		t.Fatalf("Hasura conformance files not found at %s", dir)
	}
	t.Skipf("Hasura conformance files not found at %s", dir)
	return ""
}

// yamlToJSON reads a YAML file as JSON (merge keys resolved, non-string
// map keys written as strings).
func yamlToJSON(t *testing.T, path string) []byte {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var v any
	if err := yaml.Unmarshal(b, &v); err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	out, err := json.Marshal(jsonable(v))
	if err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	return out
}

func jsonable(v any) any {
	switch x := v.(type) {
	case map[string]any:
		for k, e := range x {
			x[k] = jsonable(e)
		}
		return x
	case map[any]any:
		m := make(map[string]any, len(x))
		for k, e := range x {
			m[fmt.Sprint(k)] = jsonable(e)
		}
		return m
	case []any:
		for i, e := range x {
			x[i] = jsonable(e)
		}
		return x
	}
	return v
}

// TestHasuraSetupFiles applies every setup file of Hasura's test suite
// through /v1/query, as Hasura's harness does, after clear_db.yaml through
// /v2/query; each must succeed.
func TestHasuraSetupFiles(t *testing.T) {
	dir := conformanceDir(t)
	var files []string
	_ = filepath.WalkDir(dir, func(p string, d os.DirEntry, err error) error {
		if err == nil && !d.IsDir() {
			switch d.Name() {
			case "setup.yaml", "schema_setup.yaml", "values_setup.yaml":
				files = append(files, p)
			}
		}
		return nil
	})
	if len(files) == 0 {
		t.Fatal("no setup files found")
	}
	// Group by directory: schema_setup before values_setup.
	byDir := map[string][]string{}
	for _, f := range files {
		byDir[filepath.Dir(f)] = append(byDir[filepath.Dir(f)], f)
	}
	dirs := make([]string, 0, len(byDir))
	for d := range byDir {
		dirs = append(dirs, d)
		sort.Slice(byDir[d], func(i, j int) bool { return setupRank(byDir[d][i]) < setupRank(byDir[d][j]) })
	}
	sort.Strings(dirs)

	e := newEnv(t)
	ctx := context.Background()
	var postgis bool
	_ = e.pool.QueryRow(ctx, `SELECT count(*) = 3 FROM pg_available_extensions WHERE name IN ('postgis', 'postgis_topology', 'postgis_raster')`).Scan(&postgis)
	clearDB := yamlToJSON(t, filepath.Join(dir, "clear_db.yaml"))
	for _, d := range dirs {
		rel, _ := filepath.Rel(dir, d)
		t.Run(rel, func(t *testing.T) {
			// Reset as the harness notes recommend: fresh schemas, no metadata.
			e.sql(`DROP SCHEMA IF EXISTS public CASCADE; CREATE SCHEMA public; DROP EXTENSION IF EXISTS postgis_raster CASCADE; DROP EXTENSION IF EXISTS postgis_topology CASCADE; DROP EXTENSION IF EXISTS postgis CASCADE; DROP SCHEMA IF EXISTS topology CASCADE`)
			e.ok(e.svc.Metadata, `{"type":"clear_metadata","args":{}}`)
			e.ok(e.svc.QueryV2, string(clearDB))
			for _, f := range byDir[d] {
				body := yamlToJSON(t, f)
				if _, err := e.svc.QueryV1(ctx, body); err != nil {
					if !postgis && strings.Contains(strings.ToLower(string(body)), "postgis") {
						t.Skipf("%s needs PostGIS, which this server lacks: %v", filepath.Base(f), err)
					}
					t.Fatalf("%s: %v", filepath.Base(f), err)
				}
			}
		})
	}
}

func setupRank(p string) int {
	switch filepath.Base(p) {
	case "schema_setup.yaml":
		return 0
	case "setup.yaml":
		return 1
	}
	return 2
}

// TestHasuraV1QueryCases runs Hasura's /v1/query test cases (queries/v1)
// and compares status and body. Cases that need request headers (roles)
// belong to the HTTP layer and are left out here.
func TestHasuraV1QueryCases(t *testing.T) {
	dir := filepath.Join(conformanceDir(t), "v1")
	e := newEnv(t)
	ctx := context.Background()
	clearDB := yamlToJSON(t, filepath.Join(dir, "..", "clear_db.yaml"))
	groups, _ := os.ReadDir(dir)
	for _, g := range groups {
		files, _ := filepath.Glob(filepath.Join(dir, g.Name(), "*.yaml"))
		for _, f := range files {
			base := filepath.Base(f)
			if base == "setup.yaml" || base == "teardown.yaml" {
				continue
			}
			t.Run(g.Name()+"/"+base, func(t *testing.T) {
				e.sql(`DROP SCHEMA IF EXISTS public CASCADE; CREATE SCHEMA public`)
				e.ok(e.svc.Metadata, `{"type":"clear_metadata","args":{}}`)
				e.ok(e.svc.QueryV2, string(clearDB))
				e.ok(e.svc.QueryV1, string(yamlToJSON(t, filepath.Join(dir, g.Name(), "setup.yaml"))))
				var cases []map[string]json.RawMessage
				raw := yamlToJSON(t, f)
				if json.Unmarshal(raw, &cases) != nil {
					var one map[string]json.RawMessage
					_ = json.Unmarshal(raw, &one)
					cases = []map[string]json.RawMessage{one}
				}
				for i, c := range cases {
					if c["headers"] != nil {
						continue
					}
					var status int
					_ = json.Unmarshal(c["status"], &status)
					res, err := e.svc.QueryV1(ctx, c["query"])
					got := 200
					if err != nil {
						ae := apierr.From(err)
						got, res = ae.Status, apierr.APIBody(ae, apierr.Options{})
					}
					if got != status {
						t.Errorf("case %d: status %d, want %d (body %s)", i, got, status, res)
						continue
					}
					if want := c["response"]; want != nil {
						jsonEqual(t, res, string(want))
					}
				}
			})
		}
	}
}
