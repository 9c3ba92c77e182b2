package e2e

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"reflect"
	"sort"
	"strconv"
	"strings"
	"testing"

	"gopkg.in/yaml.v3"

	"github.com/postgate/postgate/internal/pgtest"
)

// The Hasura CLI (v2, config v3) test: Postgate gets the HTTP requests the
// CLI sends for `hasura migrate apply/status`, `hasura metadata
// apply/export/reload/ic list`, `hasura seed apply` and `hasura migrate
// create --from-server` (pg_dump), in the CLI's order and shapes, and must
// leave the database, the catalog state and the metadata as Hasura would.

const cliSecret = "cli-admin-secret"

// cliClient sends requests the way the CLI's HTTP client does: JSON bodies
// with the admin secret header.
type cliClient struct {
	t    *testing.T
	base string
	log  []string // "METHOD /path type" of every request, for failure messages
}

func (c *cliClient) send(method, path string, body any, secret string) (int, http.Header, []byte) {
	c.t.Helper()
	var rd io.Reader
	kind := ""
	if body != nil {
		b, err := json.Marshal(body)
		if err != nil {
			c.t.Fatal(err)
		}
		rd = bytes.NewReader(b)
		if m, ok := body.(map[string]any); ok {
			kind, _ = m["type"].(string)
		}
	}
	c.log = append(c.log, strings.TrimSpace(method+" "+path+" "+kind))
	req, err := http.NewRequest(method, c.base+path, rd)
	if err != nil {
		c.t.Fatal(err)
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if secret != "" {
		req.Header.Set("X-Hasura-Admin-Secret", secret)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		c.t.Fatalf("%s %s: %v", method, path, err)
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(resp.Body)
	if err != nil {
		c.t.Fatal(err)
	}
	return resp.StatusCode, resp.Header, raw
}

// ok sends an admin request that must answer 200 and decodes the answer.
func (c *cliClient) ok(method, path string, body any) any {
	c.t.Helper()
	st, _, raw := c.send(method, path, body, cliSecret)
	if st != http.StatusOK {
		c.t.Fatalf("%s %s: %d %s\nrequests so far:\n%s", method, path, st, raw, strings.Join(c.log, "\n"))
	}
	var v any
	if err := json.Unmarshal(raw, &v); err != nil {
		c.t.Fatalf("%s %s: not JSON: %s", method, path, raw)
	}
	return v
}

func (c *cliClient) metadata(typ string, version int, args any) map[string]any {
	c.t.Helper()
	body := map[string]any{"type": typ, "args": args}
	if version > 0 {
		body["version"] = version
	}
	m, _ := c.ok("POST", "/v1/metadata", body).(map[string]any)
	return m
}

// runSQL is PGRunSQL: run_sql on /v2/query, decoded as the CLI decodes it
// (result rows of strings).
func (c *cliClient) runSQL(sql string, checkConsistency *bool) (string, [][]string) {
	c.t.Helper()
	args := map[string]any{"sql": sql, "source": "default"}
	if checkConsistency != nil {
		args["check_metadata_consistency"] = *checkConsistency
	}
	st, _, raw := c.send("POST", "/v2/query", map[string]any{"type": "run_sql", "args": args}, cliSecret)
	if st != http.StatusOK {
		c.t.Fatalf("run_sql %q: %d %s", sql, st, raw)
	}
	var out struct {
		ResultType string     `json:"result_type"`
		Result     [][]string `json:"result"`
	}
	if err := json.Unmarshal(raw, &out); err != nil {
		c.t.Fatalf("run_sql %q: the CLI cannot decode %s: %v", sql, raw, err)
	}
	return out.ResultType, out.Result
}

// cliState is statestore.CLIState.
type cliState struct {
	Migrations           map[string]map[string]bool `json:"migrations,omitempty"`
	Settings             map[string]string          `json:"settings"`
	IsStateCopyCompleted bool                       `json:"isStateCopyCompleted"`
}

// getCLIState is CLICatalogState.Get: get_catalog_state, decoding
// cli_state (which must be an object: the CLI dereferences it).
func (c *cliClient) getCLIState() *cliState {
	c.t.Helper()
	st, _, raw := c.send("POST", "/v1/metadata", map[string]any{"type": "get_catalog_state", "args": map[string]any{}}, cliSecret)
	if st != http.StatusOK {
		c.t.Fatalf("get_catalog_state: %d %s", st, raw)
	}
	var out struct {
		ID       string    `json:"id"`
		CLIState *cliState `json:"cli_state"`
	}
	if err := json.Unmarshal(raw, &out); err != nil || out.CLIState == nil {
		c.t.Fatalf("get_catalog_state: the CLI cannot use %s (%v)", raw, err)
	}
	if out.ID == "" {
		c.t.Errorf("get_catalog_state: no server id in %s", raw)
	}
	s := out.CLIState
	if s.Migrations == nil {
		s.Migrations = map[string]map[string]bool{}
	}
	if s.Settings == nil {
		s.Settings = map[string]string{}
	}
	return s
}

func (c *cliClient) setCLIState(s *cliState) {
	c.t.Helper()
	c.metadata("set_catalog_state", 0, map[string]any{"type": "cli", "state": s})
}

// validate is ExecutionContext.Validate: the server status and version
// checks, the config API, the metadata version probe on /v1/query and the
// server id from the catalog state.
func (c *cliClient) validate() {
	c.t.Helper()
	for range 2 { // GetServerStatus, then FetchServerVersion
		v, _ := c.ok("GET", "/v1/version", nil).(map[string]any)
		ver, _ := v["version"].(string)
		if !strings.HasPrefix(ver, "v2.") {
			c.t.Fatalf("/v1/version: the CLI needs a v2 server version, got %v", v)
		}
	}
	// GetHasuraInternalServerConfig decodes console_assets_dir (a string or
	// null) to choose where `hasura console` loads the console from.
	_, _, raw := c.send("GET", "/v1alpha1/config", nil, cliSecret)
	var cfg struct {
		Version          string  `json:"version"`
		IsAdminSecretSet bool    `json:"is_admin_secret_set"`
		ConsoleAssetsDir *string `json:"console_assets_dir"`
	}
	if err := json.Unmarshal(raw, &cfg); err != nil || cfg.Version == "" || !cfg.IsAdminSecretSet {
		c.t.Errorf("/v1alpha1/config: %s (%v)", raw, err)
	}
	md, _ := c.ok("POST", "/v1/query", map[string]any{"type": "export_metadata", "args": map[string]any{}}).(map[string]any)
	if n, _ := md["version"].(float64); n != 3 {
		c.t.Fatalf("export_metadata on /v1/query must report metadata version 3 for config v3, got %v", md["version"])
	}
	c.getCLIState()
}

// newMigrate is migrate.NewMigrate for source default: the sources from
// export_metadata, the catalog-state settings defaults, and the one-time
// copy of hdb_catalog.schema_migrations into the catalog state.
func (c *cliClient) newMigrate() {
	c.t.Helper()
	md := c.metadata("export_metadata", 0, map[string]any{})
	sources, _ := md["sources"].([]any)
	found := false
	for _, s := range sources {
		if m, _ := s.(map[string]any); m["name"] == "default" && m["kind"] == "postgres" {
			found = true
		}
	}
	if !found {
		c.t.Fatalf("export_metadata: no postgres source named default in %v", md["sources"])
	}
	// settings.StateStoreCatalog.PrepareSettingsDriver
	s := c.getCLIState()
	if s.Settings["migration_mode"] == "" {
		s.Settings["migration_mode"] = "true"
	}
	c.setCLIState(s)
	// copyStateToCatalogStateAPIIfRequired
	s = c.getCLIState()
	if !s.IsStateCopyCompleted {
		typ, res := c.runSQL(`SELECT COUNT(1) FROM information_schema.tables WHERE table_name = 'schema_migrations' AND table_schema = 'hdb_catalog' LIMIT 1`, nil)
		if typ != "TuplesOk" || len(res) != 2 || res[1][0] != "0" {
			c.t.Fatalf("state copy probe: %s %v", typ, res)
		}
		s.IsStateCopyCompleted = true
		c.setCLIState(s)
	}
}

// migration is one migrations/default/<version>_<name>/ directory.
type migration struct {
	version  int64
	name     string
	up, down string
}

// migrateApply is `hasura migrate apply --database-name default` (or
// --down 1 when down): each file runs through run_sql with
// check_metadata_consistency false, then the version is recorded in (or
// removed from) the catalog state.
func (c *cliClient) migrateApply(dir string, down bool) {
	c.t.Helper()
	c.validate()
	c.newMigrate()
	applied := c.getCLIState().Migrations["default"]
	migs := readMigrations(c.t, dir)
	no := false
	if down {
		for i := len(migs) - 1; i >= 0; i-- {
			m := migs[i]
			v := strconv.FormatInt(m.version, 10)
			if _, ok := applied[v]; !ok {
				continue
			}
			c.runSQL(m.down, &no)
			// runMigrations: SetVersion(version, false), then RemoveVersion.
			s := c.getCLIState()
			s.Migrations["default"][v] = false
			c.setCLIState(s)
			s = c.getCLIState()
			delete(s.Migrations["default"], v)
			c.setCLIState(s)
			return
		}
		return
	}
	for _, m := range migs {
		v := strconv.FormatInt(m.version, 10)
		if _, ok := applied[v]; ok {
			continue
		}
		c.runSQL(m.up, &no)
		// runMigrations: SetVersion(version, false).
		s := c.getCLIState()
		if s.Migrations["default"] == nil {
			s.Migrations["default"] = map[string]bool{}
		}
		s.Migrations["default"][v] = false
		c.setCLIState(s)
	}
}

// migrateStatus is `hasura migrate status`: version -> "Present" or
// "Not Present" in the database (the DATABASE STATUS column).
func (c *cliClient) migrateStatus(dir string) map[int64]string {
	c.t.Helper()
	c.validate()
	c.newMigrate()
	state := c.getCLIState().Migrations["default"]
	out := map[int64]string{}
	for _, m := range readMigrations(c.t, dir) {
		dirty, ok := state[strconv.FormatInt(m.version, 10)]
		switch {
		case !ok:
			out[m.version] = "Not Present"
		case dirty:
			out[m.version] = "Dirty"
		default:
			out[m.version] = "Present"
		}
	}
	return out
}

func readMigrations(t *testing.T, dir string) []migration {
	t.Helper()
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var out []migration
	for _, e := range entries {
		ver, name, ok := strings.Cut(e.Name(), "_")
		n, err := strconv.ParseInt(ver, 10, 64)
		if !ok || err != nil || !e.IsDir() {
			continue
		}
		up, _ := os.ReadFile(filepath.Join(dir, e.Name(), "up.sql"))
		down, _ := os.ReadFile(filepath.Join(dir, e.Name(), "down.sql"))
		out = append(out, migration{n, name, string(up), string(down)})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].version < out[j].version })
	return out
}

// loadMetadataDir builds the metadata JSON from a config v3 metadata
// directory as `hasura metadata apply` does, following "!include" strings.
func loadMetadataDir(t *testing.T, dir string) map[string]any {
	t.Helper()
	var load func(path string) any
	var resolve func(base string, v any) any
	load = func(path string) any {
		raw, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		var v any
		if err := yaml.Unmarshal(raw, &v); err != nil {
			t.Fatalf("%s: %v", path, err)
		}
		return resolve(filepath.Dir(path), v)
	}
	resolve = func(base string, v any) any {
		switch x := v.(type) {
		case string:
			if f, ok := strings.CutPrefix(x, "!include "); ok {
				return load(filepath.Join(base, strings.TrimSpace(f)))
			}
		case []any:
			for i := range x {
				x[i] = resolve(base, x[i])
			}
		case map[string]any:
			for k := range x {
				x[k] = resolve(base, x[k])
			}
		}
		return v
	}
	md := map[string]any{"version": 3}
	md["sources"] = load(filepath.Join(dir, "databases", "databases.yaml"))
	// The other files of a `hasura init` project, by metadata key; the CLI
	// sends them even when they are empty.
	files := map[string]string{
		"inherited_roles": "inherited_roles", "allowlist": "allow_list", "cron_triggers": "cron_triggers",
		"query_collections": "query_collections", "remote_schemas": "remote_schemas", "rest_endpoints": "rest_endpoints",
		"api_limits": "api_limits", "graphql_schema_introspection": "graphql_schema_introspection",
		"network": "network", "metrics_config": "metrics_config", "backend_configs": "backend_configs",
		"opentelemetry": "opentelemetry",
	}
	for key, f := range files {
		if _, err := os.Stat(filepath.Join(dir, f+".yaml")); err == nil {
			if v := load(filepath.Join(dir, f+".yaml")); v != nil {
				md[key] = v
			}
		}
	}
	if _, err := os.Stat(filepath.Join(dir, "actions.yaml")); err == nil {
		if a, ok := load(filepath.Join(dir, "actions.yaml")).(map[string]any); ok {
			md["actions"] = a["actions"]
			md["custom_types"] = a["custom_types"]
		}
	}
	return md
}

// exportMetadataDir writes exported metadata in the config v3 layout, as
// `hasura metadata export` does (databases.yaml including a tables.yaml
// that includes one file per table).
func exportMetadataDir(t *testing.T, md map[string]any, dir string) {
	t.Helper()
	write := func(rel string, v any) {
		p := filepath.Join(dir, rel)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		b, err := yaml.Marshal(v)
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	write("version.yaml", map[string]any{"version": md["version"]})
	sources, _ := md["sources"].([]any)
	for _, s := range sources {
		src, _ := s.(map[string]any)
		name, _ := src["name"].(string)
		tables, _ := src["tables"].([]any)
		var includes []any
		for _, tb := range tables {
			tm, _ := tb.(map[string]any)
			qt, _ := tm["table"].(map[string]any)
			file := qt["schema"].(string) + "_" + qt["name"].(string) + ".yaml"
			includes = append(includes, "!include "+file)
			write(filepath.Join("databases", name, "tables", file), tm)
		}
		write(filepath.Join("databases", name, "tables", "tables.yaml"), includes)
		src["tables"] = "!include " + name + "/tables/tables.yaml"
	}
	write(filepath.Join("databases", "databases.yaml"), sources)
}

// yamlFiles reads every YAML file under dir into values, by relative path.
func yamlFiles(t *testing.T, dir string) map[string]any {
	t.Helper()
	out := map[string]any{}
	err := filepath.WalkDir(dir, func(p string, d os.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		raw, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		var v any
		if err := yaml.Unmarshal(raw, &v); err != nil {
			return err
		}
		rel, _ := filepath.Rel(dir, p)
		out[filepath.ToSlash(rel)] = v
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func writeFiles(t *testing.T, root string, files map[string]string) {
	t.Helper()
	for rel, body := range files {
		p := filepath.Join(root, rel)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

// cliProject is a config v3 project: two migrations, metadata for the two
// tables they create, and a seed.
var cliProject = map[string]string{
	"config.yaml": "version: 3\nendpoint: http://localhost:8080\nmetadata_directory: metadata\n" +
		"actions:\n  kind: synchronous\n  handler_webhook_baseurl: http://localhost:3000\n",
	"migrations/default/1700000000001_create_author/up.sql":   "CREATE TABLE public.author (\n  id serial PRIMARY KEY,\n  name text NOT NULL\n);\n",
	"migrations/default/1700000000001_create_author/down.sql": "DROP TABLE public.author;\n",
	"migrations/default/1700000000002_create_article/up.sql": "CREATE TABLE public.article (\n  id serial PRIMARY KEY,\n  title text NOT NULL,\n" +
		"  body text,\n  author_id integer NOT NULL REFERENCES public.author(id)\n);\nCREATE INDEX article_author_id ON public.article (author_id);\n",
	"migrations/default/1700000000002_create_article/down.sql": "DROP TABLE public.article;\n",
	"metadata/version.yaml": "version: 3\n",
	"metadata/databases/databases.yaml": `- name: default
  kind: postgres
  configuration:
    connection_info:
      database_url:
        from_env: HASURA_GRAPHQL_DATABASE_URL
      isolation_level: read-committed
      pool_settings:
        connection_lifetime: 600
        idle_timeout: 180
        max_connections: 50
        retries: 1
      use_prepared_statements: true
  tables: "!include default/tables/tables.yaml"
`,
	"metadata/databases/default/tables/tables.yaml": "- \"!include public_article.yaml\"\n- \"!include public_author.yaml\"\n",
	"metadata/databases/default/tables/public_author.yaml": `table:
  name: author
  schema: public
array_relationships:
  - name: articles
    using:
      foreign_key_constraint_on:
        column: author_id
        table:
          name: article
          schema: public
select_permissions:
  - role: user
    permission:
      columns:
        - id
        - name
      filter: {}
`,
	"metadata/databases/default/tables/public_article.yaml": `table:
  name: article
  schema: public
object_relationships:
  - name: author
    using:
      foreign_key_constraint_on: author_id
select_permissions:
  - role: user
    permission:
      columns:
        - id
        - title
        - author_id
      filter:
        author_id:
          _eq: X-Hasura-User-Id
`,
	"metadata/actions.graphql":                   "",
	"metadata/actions.yaml":                      "actions: []\ncustom_types:\n  enums: []\n  input_objects: []\n  objects: []\n  scalars: []\n",
	"metadata/allow_list.yaml":                   "[]\n",
	"metadata/cron_triggers.yaml":                "[]\n",
	"metadata/inherited_roles.yaml":              "[]\n",
	"metadata/query_collections.yaml":            "[]\n",
	"metadata/remote_schemas.yaml":               "[]\n",
	"metadata/rest_endpoints.yaml":               "[]\n",
	"metadata/api_limits.yaml":                   "{}\n",
	"metadata/backend_configs.yaml":              "{}\n",
	"metadata/graphql_schema_introspection.yaml": "{}\n",
	"metadata/metrics_config.yaml":               "{}\n",
	"metadata/network.yaml":                      "{}\n",
	"metadata/opentelemetry.yaml":                "{}\n",
	"seeds/default/1700000000100_authors.sql": "INSERT INTO public.author (id, name) VALUES (1, 'Ada'), (2, 'Grace');\n" +
		"INSERT INTO public.article (title, body, author_id) VALUES ('Notes', 'on the engine', 1), ('Compilers', NULL, 2);\n" +
		"SELECT setval('public.author_id_seq', 2);\n",
}

func TestHasuraCLIProject(t *testing.T) {
	dbURL := pgtest.URL(t)
	base := startServer(t, dbURL, map[string]string{"HASURA_GRAPHQL_ADMIN_SECRET": cliSecret})
	c := &cliClient{t: t, base: base}
	project := t.TempDir()
	writeFiles(t, project, cliProject)
	migDir := filepath.Join(project, "migrations", "default")

	// hasura migrate status before anything ran.
	for v, st := range c.migrateStatus(migDir) {
		if st != "Not Present" {
			t.Errorf("status before apply: %d is %s", v, st)
		}
	}

	// hasura migrate apply: both migrations, recorded in the catalog state.
	c.migrateApply(migDir, false)
	_, res := c.runSQL(`SELECT table_name FROM information_schema.tables WHERE table_schema = 'public' ORDER BY 1`, nil)
	if got := fmtRows(res); got != "[[table_name] [article] [author]]" {
		t.Fatalf("tables after migrate apply: %s", got)
	}
	state := c.getCLIState()
	wantMigs := map[string]map[string]bool{"default": {"1700000000001": false, "1700000000002": false}}
	if !reflect.DeepEqual(state.Migrations, wantMigs) || !state.IsStateCopyCompleted || state.Settings["migration_mode"] != "true" {
		t.Fatalf("cli_state after migrate apply: %+v", state)
	}
	for v, st := range c.migrateStatus(migDir) {
		if st != "Present" {
			t.Errorf("status after apply: %d is %s", v, st)
		}
	}
	// A second apply finds nothing to do (and runs no SQL).
	before := len(c.log)
	c.migrateApply(migDir, false)
	for _, l := range c.log[before:] {
		if strings.Contains(l, "/v2/query") {
			t.Errorf("second migrate apply ran SQL: %v", c.log[before:])
			break
		}
	}

	// hasura migrate apply --down 1, then up again.
	c.migrateApply(migDir, true)
	if st := c.migrateStatus(migDir); st[1700000000002] != "Not Present" || st[1700000000001] != "Present" {
		t.Fatalf("status after --down 1: %v", st)
	}
	_, res = c.runSQL(`SELECT count(*) FROM information_schema.tables WHERE table_schema = 'public' AND table_name = 'article'`, nil)
	if res[1][0] != "0" {
		t.Fatalf("article survived --down 1: %v", res)
	}
	c.migrateApply(migDir, false)

	// hasura metadata apply: replace_metadata v2 from the project files.
	c.validate()
	md := loadMetadataDir(t, filepath.Join(project, "metadata"))
	rep := c.metadata("replace_metadata", 2, map[string]any{"allow_inconsistent_metadata": true, "metadata": md})
	if rep["is_consistent"] != true {
		t.Fatalf("replace_metadata: %v", rep)
	}
	if ic := c.metadata("get_inconsistent_metadata", 0, map[string]any{}); ic["is_consistent"] != true {
		t.Fatalf("hasura metadata ic list: %v", ic)
	}

	// hasura seed apply: a bulk of run_sql on /v2/query.
	seed, _ := os.ReadFile(filepath.Join(project, "seeds", "default", "1700000000100_authors.sql"))
	out := c.ok("POST", "/v2/query", map[string]any{"type": "bulk", "args": []any{
		map[string]any{"type": "run_sql", "args": map[string]any{"sql": string(seed), "source": "default"}},
	}})
	if l, _ := out.([]any); len(l) != 1 {
		t.Fatalf("seed apply: %v", out)
	}

	// The API the metadata describes now serves the seeded rows.
	q := map[string]any{"query": `{ article(order_by: {id: asc}) { title author { name } } }`}
	st, _, raw := c.sendAs("/v1/graphql", q, map[string]string{"X-Hasura-Role": "user", "X-Hasura-User-Id": "1"})
	var gq any
	_ = json.Unmarshal(raw, &gq)
	if want := map[string]any{"data": map[string]any{"article": []any{map[string]any{"title": "Notes", "author": map[string]any{"name": "Ada"}}}}}; st != http.StatusOK || !reflect.DeepEqual(gq, any(want)) {
		t.Fatalf("graphql as user 1: %d %s", st, raw)
	}

	// hasura metadata export: v1 (bare metadata) and v2 (with the resource
	// version), written back into the same files.
	exp := c.metadata("export_metadata", 0, map[string]any{})
	for k := range exp {
		if k != "version" && k != "sources" {
			t.Errorf("export_metadata kept the empty section %q (Hasura leaves empty sections out)", k)
		}
	}
	exp2 := c.metadata("export_metadata", 2, map[string]any{})
	if _, ok := exp2["resource_version"].(float64); !ok || !reflect.DeepEqual(exp2["metadata"], any(exp)) {
		t.Fatalf("export_metadata v2: %v", exp2)
	}
	exported := t.TempDir()
	exportMetadataDir(t, exp, exported)
	orig := yamlFiles(t, filepath.Join(project, "metadata"))
	got := yamlFiles(t, exported)
	for rel, v := range got {
		if !reflect.DeepEqual(orig[rel], v) {
			a, _ := json.Marshal(orig[rel])
			b, _ := json.Marshal(v)
			t.Errorf("exported %s differs:\nproject: %s\nexport:  %s", rel, a, b)
		}
	}
	for _, rel := range []string{"databases/databases.yaml", "databases/default/tables/tables.yaml",
		"databases/default/tables/public_author.yaml", "databases/default/tables/public_article.yaml"} {
		if _, ok := got[rel]; !ok {
			t.Errorf("export did not write %s", rel)
		}
	}

	// hasura metadata reload.
	if r := c.metadata("reload_metadata", 0, map[string]any{}); r["message"] != "success" || r["is_consistent"] != true {
		t.Errorf("reload_metadata: %v", r)
	}

	// hasura migrate create --from-server: pg_dump of the schema.
	st, hdr, raw := c.send("POST", "/v1alpha1/pg_dump", map[string]any{
		"opts": []string{"-O", "-x", "--schema-only", "--schema", "public"}, "clean_output": true, "source": "default"}, cliSecret)
	if st != http.StatusOK {
		t.Fatalf("pg_dump: %d %s", st, raw)
	}
	if ct := hdr.Get("Content-Type"); !strings.HasPrefix(ct, "application/sql") {
		t.Errorf("pg_dump content type %q", ct)
	}
	dump := string(raw)
	for _, want := range []string{"CREATE TABLE public.author (", "CREATE TABLE public.article (",
		"CREATE INDEX article_author_id ON public.article USING btree (author_id);", "FOREIGN KEY (author_id) REFERENCES public.author(id)"} {
		if !strings.Contains(dump, want) {
			t.Errorf("pg_dump lacks %q:\n%s", want, dump)
		}
	}
	for _, line := range strings.Split(dump, "\n") {
		if strings.HasPrefix(line, "--") || strings.HasPrefix(line, "SET ") || strings.Contains(line, "hdb_catalog") ||
			strings.Contains(line, "set_config('search_path'") {
			t.Errorf("clean pg_dump output kept %q", line)
		}
	}
	// The dump is a working migration: it recreates the schema elsewhere.
	other := startServer(t, pgtest.URL(t), map[string]string{"HASURA_GRAPHQL_ADMIN_SECRET": cliSecret})
	c2 := &cliClient{t: t, base: other}
	c2.runSQL(dump, nil)
	_, res = c2.runSQL(`SELECT count(*) FROM information_schema.tables WHERE table_schema = 'public'`, nil)
	if res[1][0] != "2" {
		t.Errorf("the dump did not recreate both tables: %v", res)
	}

	// Without clean_output the dump is pg_dump's own, comments and all.
	st, _, raw = c.send("POST", "/v1alpha1/pg_dump", map[string]any{"opts": []string{"-O", "-x", "--schema-only", "--schema", "public"}}, cliSecret)
	if st != http.StatusOK || !strings.Contains(string(raw), "-- PostgreSQL database dump") || !strings.Contains(string(raw), "SET statement_timeout = 0;") {
		t.Errorf("pg_dump without clean_output: %d %s", st, raw)
	}

	// Without --schema the dump would include Postgate's hdb_catalog (the
	// metadata store); clean output leaves it out, schema and data alike.
	for _, opts := range [][]string{{"-O", "-x", "--schema-only"}, {"-O", "-x", "--data-only"}, {"-O", "-x", "--data-only", "--inserts"}} {
		st, _, raw = c.send("POST", "/v1alpha1/pg_dump", map[string]any{"opts": opts, "clean_output": true}, cliSecret)
		if st != http.StatusOK || strings.Contains(string(raw), "hdb_catalog") || !strings.Contains(string(raw), "public.author") {
			t.Errorf("pg_dump %v: %d %s", opts, st, raw)
		}
	}

	// hasura seed create --from-table: a data-only dump with INSERTs.
	st, _, raw = c.send("POST", "/v1alpha1/pg_dump", map[string]any{
		"opts": []string{"--no-owner", "--no-acl", "--data-only", "--column-inserts", "--table", "public.author"}, "clean_output": true}, cliSecret)
	if st != http.StatusOK || !strings.Contains(string(raw), "INSERT INTO public.author (id, name) VALUES (1, 'Ada');") {
		t.Errorf("data dump: %d %s", st, raw)
	}

	// Errors in Hasura's shape: options that would write files or
	// reconnect, an unknown source, a missing admin secret.
	for _, opts := range [][]string{{"-f", "/tmp/x"}, {"--file=/tmp/x"}, {"-h", "evil"}, {"--dbname=postgres://x"}, {"postgres"}, {"-Ox"}} {
		st, _, raw := c.send("POST", "/v1alpha1/pg_dump", map[string]any{"opts": opts}, cliSecret)
		var e map[string]any
		_ = json.Unmarshal(raw, &e)
		if st != http.StatusBadRequest || e["code"] == nil || e["error"] == nil || e["path"] == nil {
			t.Errorf("pg_dump %v: %d %s", opts, st, raw)
		}
	}
	// pg_dump itself failing: Hasura's 500, its standard error as the
	// internal detail the admin sees.
	st, _, raw = c.send("POST", "/v1alpha1/pg_dump", map[string]any{"opts": []string{"--schema-only", "--table", "public.nope"}}, cliSecret)
	var pe map[string]any
	_ = json.Unmarshal(raw, &pe)
	if in, _ := pe["internal"].(string); st != http.StatusInternalServerError || pe["code"] != "unexpected" ||
		pe["error"] != "error while executing pg_dump" || !strings.Contains(in, "no matching tables") {
		t.Errorf("pg_dump failing: %d %s", st, raw)
	}
	st, _, raw = c.send("POST", "/v1alpha1/pg_dump", map[string]any{"opts": []string{"-s"}, "source": "nope"}, cliSecret)
	if st != http.StatusBadRequest || !strings.Contains(string(raw), `source \"nope\" not found`) {
		t.Errorf("pg_dump unknown source: %d %s", st, raw)
	}
	st, _, raw = c.send("POST", "/v1alpha1/pg_dump", map[string]any{"opts": []string{"-s"}}, "")
	if st < 400 || st >= 500 || !strings.Contains(string(raw), `"code"`) {
		t.Errorf("pg_dump without the admin secret: %d %s", st, raw)
	}
}

// TestHasuraCLIConfigV2State replays a config v2 project's migration state
// handling against a v2 server: the CLI keeps it itself, with run_sql, in
// hdb_catalog.schema_migrations (version bigint primary key, dirty boolean).
func TestHasuraCLIConfigV2State(t *testing.T) {
	base := startServer(t, pgtest.URL(t), map[string]string{"HASURA_GRAPHQL_ADMIN_SECRET": cliSecret})
	c := &cliClient{t: t, base: base}
	// MigrationStateStoreHdbTable.PrepareMigrationsStateStore
	typ, res := c.runSQL(`SELECT COUNT(1) FROM information_schema.tables WHERE table_name = 'schema_migrations' AND table_schema = 'hdb_catalog' LIMIT 1`, nil)
	if typ != "TuplesOk" || fmtRows(res) != "[[count] [0]]" {
		t.Fatalf("probe: %s %v", typ, res)
	}
	if typ, _ := c.runSQL(`CREATE TABLE hdb_catalog.schema_migrations (version bigint not null primary key, dirty boolean not null)`, nil); typ != "CommandOk" {
		t.Fatalf("create: %s", typ)
	}
	no := false
	c.runSQL("CREATE TABLE public.t (id int PRIMARY KEY);", &no)
	c.runSQL(`INSERT INTO hdb_catalog.schema_migrations (version, dirty) VALUES (1700000000001, 'false') ON CONFLICT(version) DO UPDATE SET dirty='false'`, nil)
	c.runSQL(`INSERT INTO hdb_catalog.schema_migrations (version, dirty) VALUES (1700000000002, 'true') ON CONFLICT(version) DO UPDATE SET dirty='true'`, nil)
	typ, res = c.runSQL(`SELECT version, dirty FROM hdb_catalog.schema_migrations`, nil)
	if typ != "TuplesOk" || len(res) != 3 {
		t.Fatalf("versions: %s %v", typ, res)
	}
	for _, row := range res[1:] {
		if _, err := strconv.ParseInt(row[0], 10, 64); err != nil {
			t.Errorf("version %q: %v", row[0], err)
		}
		if _, err := strconv.ParseBool(row[1]); err != nil {
			t.Errorf("dirty %q: %v", row[1], err)
		}
	}
	// A config v3 CLI then copies this state into the catalog state once.
	c.validate()
	s := c.getCLIState()
	if s.IsStateCopyCompleted {
		t.Fatalf("fresh catalog state says the copy is done: %+v", s)
	}
}

// sendAs posts a GraphQL request with the admin secret and extra headers.
func (c *cliClient) sendAs(path string, body any, headers map[string]string) (int, http.Header, []byte) {
	c.t.Helper()
	b, _ := json.Marshal(body)
	req, _ := http.NewRequest("POST", c.base+path, bytes.NewReader(b))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("X-Hasura-Admin-Secret", cliSecret)
	for k, v := range headers {
		req.Header.Set(k, v)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		c.t.Fatal(err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, resp.Header, raw
}

func fmtRows(rows [][]string) string {
	var b strings.Builder
	b.WriteString("[")
	for i, r := range rows {
		if i > 0 {
			b.WriteString(" ")
		}
		b.WriteString("[" + strings.Join(r, " ") + "]")
	}
	b.WriteString("]")
	return b.String()
}

// TestHasuraCLIInconsistentMetadata replays `hasura metadata apply` with
// metadata naming a table the database lacks: the CLI allows inconsistency
// by default and then warns from the answer, `hasura metadata ic list`
// shows the object, `ic drop` removes it; with
// --disallow-inconsistent-metadata the server refuses.
func TestHasuraCLIInconsistentMetadata(t *testing.T) {
	base := startServer(t, pgtest.URL(t), map[string]string{"HASURA_GRAPHQL_ADMIN_SECRET": cliSecret})
	c := &cliClient{t: t, base: base}
	c.runSQL("CREATE TABLE public.author (id serial PRIMARY KEY, name text)", nil)
	md := map[string]any{"version": 3, "sources": []any{map[string]any{
		"name": "default", "kind": "postgres",
		"configuration": map[string]any{"connection_info": map[string]any{"database_url": map[string]any{"from_env": "HASURA_GRAPHQL_DATABASE_URL"}}},
		"tables": []any{
			map[string]any{"table": map[string]any{"schema": "public", "name": "author"}},
			map[string]any{"table": map[string]any{"schema": "public", "name": "missing"}},
		},
	}}}
	st, _, raw := c.send("POST", "/v1/metadata", map[string]any{"type": "replace_metadata", "version": 2,
		"args": map[string]any{"allow_inconsistent_metadata": false, "metadata": md}}, cliSecret)
	if st != http.StatusBadRequest || !strings.Contains(string(raw), `"code"`) {
		t.Fatalf("--disallow-inconsistent-metadata: %d %s", st, raw)
	}
	rep := c.metadata("replace_metadata", 2, map[string]any{"allow_inconsistent_metadata": true, "metadata": md})
	objs, _ := rep["inconsistent_objects"].([]any)
	if rep["is_consistent"] != false || len(objs) != 1 {
		t.Fatalf("replace_metadata with a missing table: %v", rep)
	}
	// hasura metadata ic list decodes type, reason and definition.
	ic := c.metadata("get_inconsistent_metadata", 0, map[string]any{})
	list, _ := ic["inconsistent_objects"].([]any)
	if ic["is_consistent"] != false || len(list) != 1 {
		t.Fatalf("ic list: %v", ic)
	}
	obj, _ := list[0].(map[string]any)
	if obj["type"] != "table" || obj["reason"] == nil || obj["definition"] == nil {
		t.Errorf("ic list object: %v", obj)
	}
	// hasura metadata ic drop, then ic status.
	c.metadata("drop_inconsistent_metadata", 0, map[string]any{})
	if ic := c.metadata("get_inconsistent_metadata", 0, map[string]any{}); ic["is_consistent"] != true {
		t.Fatalf("after ic drop: %v", ic)
	}
	exp := c.metadata("export_metadata", 0, map[string]any{})
	b, _ := json.Marshal(exp["sources"])
	if !strings.Contains(string(b), `"author"`) || strings.Contains(string(b), `"missing"`) {
		t.Errorf("export after ic drop: %s", b)
	}
	// hasura metadata clear.
	c.metadata("clear_metadata", 0, map[string]any{})
	exp = c.metadata("export_metadata", 0, map[string]any{})
	if srcs, _ := exp["sources"].([]any); len(srcs) != 1 {
		t.Errorf("clear_metadata keeps the default source, as Hasura does: %v", exp)
	} else if tb, _ := srcs[0].(map[string]any)["tables"].([]any); len(tb) != 0 {
		t.Errorf("clear_metadata left tables: %v", exp)
	}
}
