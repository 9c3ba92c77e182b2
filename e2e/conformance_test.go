package e2e

import (
	"context"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/postgate/postgate/internal/pgtest"
)

var (
	update      = flag.Bool("update", false, "rewrite testdata/conformance-baseline.txt and testdata/conformance-results.txt")
	strictOrder = flag.Bool("conformance.strict-order", true, "fail, not only warn, when response fields are not in the query's selection order")
	adminSecret = flag.Bool("conformance.admin-secret", false, "run the server with an admin secret and check every case is refused without it")
	transport   = flag.String("conformance.transport", TransportBoth, "both (http, then subscriptions-transport-ws for the query cases Hasura runs over both transports), http or websocket")
	budget      = flag.Duration("conformance.budget", 4*time.Minute, "time after which the remaining requests fail at once")
)

const (
	baselineFile   = "testdata/conformance-baseline.txt"
	resultsFile    = "testdata/conformance-results.txt"
	deviationsFile = "conformance-deviations.yaml"
)

// corpusExtensions are the extensions the corpus's setups need, created in
// public when the server offers them.
var corpusExtensions = []string{"citext", "postgis", "postgis_topology", "postgis_raster"}

// conformanceRoot finds ../shared/conformance/hasura beside the repository
// (POSTGATE_CONFORMANCE_DIR overrides it). It skips the test when the folder
// is absent, except under CI=true where that is a failure.
func conformanceRoot(t *testing.T) string {
	t.Helper()
	dir := os.Getenv("POSTGATE_CONFORMANCE_DIR")
	if dir == "" {
		wd, err := os.Getwd()
		if err != nil {
			t.Fatal(err)
		}
		repo := wd
		for {
			if _, err := os.Stat(filepath.Join(repo, "go.mod")); err == nil {
				break
			}
			parent := filepath.Dir(repo)
			if parent == repo {
				t.Fatalf("no go.mod above %s", wd)
			}
			repo = parent
		}
		dir = filepath.Join(repo, "..", "shared", "conformance", "hasura")
	}
	if _, err := os.Stat(filepath.Join(dir, "MANIFEST.tsv")); err != nil {
		msg := fmt.Sprintf("Hasura conformance data not found at %s (expected ../shared beside the repository): %v", dir, err)
		if os.Getenv("CI") == "true" {
			t.Fatal(msg)
		}
		t.Skip(msg)
	}
	return dir
}

// TestConformance applies the Hasura test cases to the real server and fails
// when a case of the baseline no longer passes.
func TestConformance(t *testing.T) {
	if testing.Short() {
		t.Skip("the Hasura conformance run is skipped with -short")
	}
	if err := ValidTransport(*transport); err != nil {
		t.Fatal(err)
	}
	root := conformanceRoot(t)
	manifest, err := LoadManifest(root)
	if err != nil {
		t.Fatalf("manifest: %v", err)
	}
	dirs, err := LoadCorpus(root, manifest)
	if err != nil {
		t.Fatalf("corpus: %v", err)
	}
	deviations, err := LoadDeviations(deviationsFile)
	if err != nil {
		t.Fatalf("deviations: %v", err)
	}
	baseline, err := LoadBaseline(baselineFile)
	if err != nil {
		t.Fatalf("baseline: %v", err)
	}

	dbURL := pgtest.URL(t)
	ctx := context.Background()
	pool, err := pgxpool.New(ctx, dbURL)
	if err != nil {
		t.Fatalf("pool: %v", err)
	}
	defer pool.Close()
	var exts []string
	for _, e := range corpusExtensions {
		var ok bool
		if err := pool.QueryRow(ctx, "SELECT EXISTS (SELECT 1 FROM pg_available_extensions WHERE name = $1)", e).Scan(&ok); err != nil {
			t.Fatalf("extensions: %v", err)
		}
		if ok {
			exts = append(exts, e)
		} else {
			t.Logf("extension %s is not available: cases that need it will fail", e)
		}
	}
	resetDB := func(ctx context.Context) error {
		sql := []string{
			"DROP SCHEMA IF EXISTS public CASCADE", "CREATE SCHEMA public",
			"DROP SCHEMA IF EXISTS hge_tests CASCADE", "CREATE SCHEMA hge_tests",
		}
		for _, e := range exts {
			sql = append(sql, "CREATE EXTENSION IF NOT EXISTS "+e+" CASCADE")
		}
		_, err := pool.Exec(ctx, strings.Join(sql, ";\n"))
		return err
	}
	// Expected timestamps are rendered in UTC, whatever the server's default.
	setUTC := `DO $$ BEGIN EXECUTE format('ALTER DATABASE %I SET timezone TO ''UTC''', current_database()); END $$`
	if _, err := pool.Exec(ctx, setUTC); err != nil {
		t.Fatalf("setting the database time zone: %v", err)
	}
	if err := resetDB(ctx); err != nil {
		t.Fatalf("preparing the database: %v", err)
	}

	extraEnv := map[string]string{}
	secret := ""
	if *adminSecret {
		secret = "conformance-admin-secret"
		extraEnv["HASURA_GRAPHQL_ADMIN_SECRET"] = secret
		t.Log("admin-secret mode: every case must be refused without the secret and with a wrong one")
	}
	t.Logf("transport: %s", *transport)
	base := startServer(t, dbURL, extraEnv)
	runner := &Runner{
		BaseURL:              base,
		AdminSecret:          secret,
		Transport:            *transport,
		AdminRoleHalf:        true,
		RequestTimeout:       20 * time.Second,
		ResetDB:              resetDB,
		StrictSelectionOrder: *strictOrder,
		Logf:                 t.Logf,
	}
	// Session bootstrap, as Hasura's harness does once before any test.
	if clearDB, err := LoadYAMLFile(filepath.Join(root, queriesDir, "clear_db.yaml")); err != nil {
		t.Fatalf("clear_db.yaml: %v", err)
	} else if err := runner.postOK(ctx, "/v2/query", clearDB); err != nil {
		t.Logf("bootstrap clear_db.yaml: %v", err)
	}

	// The baseline guards the default run (both transports) and the http
	// and admin-secret runs, which check a subset or more of the same; the
	// websocket-only run is reported, not enforced.
	guarded := *transport != TransportWebSocket
	start := time.Now()
	// A hanging server must not stall the suite: past the budget every
	// request fails at once and the run finishes with honest numbers.
	runCtx, cancel := context.WithTimeout(ctx, *budget)
	defer cancel()
	var results []Result
	for _, d := range dirs {
		t.Run(d.Rel, func(t *testing.T) {
			runner.Logf = t.Logf
			runner.RunDir(runCtx, d, func(c *Case, run func() Result) {
				t.Run(c.Name(), func(t *testing.T) {
					res := run()
					results = append(results, res)
					logResult(t, res, deviations[c.ID], baseline[c.ID] && guarded)
				})
			})
		})
	}
	runner.Logf = t.Logf

	report := NewReport(results, deviations, baseline)
	t.Logf("per area:\n%s", report.AreaTable())
	t.Logf("failure reasons (excluding deviations):\n%s", report.ReasonTable(false))
	ran := map[string]bool{}
	for _, res := range results {
		ran[res.Case.ID] = true
	}
	for id := range deviations {
		if !caseExists(dirs, id) {
			t.Errorf("%s lists %s, which is not a case of the corpus", deviationsFile, id)
		}
	}
	if *update && (*adminSecret || *transport != TransportBoth) {
		t.Log("-update ignored: the baseline records the default mode (both transports, no admin secret)")
	} else if *update {
		// Keep the baseline entries of cases this run did not select.
		next := map[string]bool{}
		for id := range baseline {
			if !ran[id] && caseExists(dirs, id) {
				next[id] = true
			}
		}
		for _, res := range results {
			next[res.Case.ID] = res.Passed
		}
		if err := WriteBaseline(baselineFile, next); err != nil {
			t.Fatal(err)
		}
		t.Logf("wrote %s", baselineFile)
		if total := countCases(dirs); len(results) == total {
			if err := os.WriteFile(resultsFile, []byte(report.Text()), 0o644); err != nil {
				t.Fatal(err)
			}
			t.Logf("wrote %s", resultsFile)
		} else {
			t.Logf("%s not written: %d of %d cases ran", resultsFile, len(results), total)
		}
	}
	for _, res := range report.Regressions {
		if !guarded {
			t.Logf("passes over http, not over %s: %s: %s", *transport, res.Case.ID, res.Reason)
			continue
		}
		t.Errorf("regression: %s passed before and now fails: %s", res.Case.ID, res.Reason)
	}
	t.Logf("%s in %s", report.Summary(), time.Since(start).Round(time.Millisecond))
}

// logResult notes one case's outcome; a baseline case that fails is an
// error of its subtest.
func logResult(t *testing.T, res Result, deviation string, inBaseline bool) {
	t.Helper()
	for _, w := range res.Warnings {
		t.Logf("warning: %s", w)
	}
	switch {
	case res.Passed && deviation != "":
		t.Logf("passes, but %s lists it (%s): remove the entry", deviationsFile, deviation)
	case res.Passed:
	case inBaseline:
		t.Errorf("regression: %s", res.Reason)
	case deviation != "":
		t.Logf("deviation (%s): %s", deviation, res.Reason)
	default:
		t.Logf("FAIL: %s", res.Reason)
	}
	for _, d := range res.Details {
		t.Logf("  also: %s", d)
	}
}

func countCases(dirs []*Dir) int {
	n := 0
	for _, d := range dirs {
		n += len(d.Cases)
	}
	return n
}

func caseExists(dirs []*Dir, id string) bool {
	for _, d := range dirs {
		for _, c := range d.Cases {
			if c.ID == id {
				return true
			}
		}
	}
	return false
}
