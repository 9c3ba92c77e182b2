package metadata

import (
	"context"
	"encoding/json"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"
)

func TestOpenEmptyDatabase(t *testing.T) {
	e := newEnv(t)
	snap := e.svc.Current()
	if snap == nil || snap.Version != 1 {
		t.Fatalf("snapshot = %+v, want version 1", snap)
	}
	if len(snap.Metadata.Sources) != 1 || snap.Metadata.Sources[0].Name != "default" {
		t.Fatalf("sources = %+v, want one source default", snap.Metadata.Sources)
	}
	var n int
	if err := e.pool.QueryRow(context.Background(), `SELECT count(*) FROM hdb_catalog.hdb_version`).Scan(&n); err != nil || n != 1 {
		t.Fatalf("hdb_version rows = %d, %v; want 1", n, err)
	}
	// Opening again (a second instance or a restart) keeps the single row.
	e.reopen()
	if err := e.pool.QueryRow(context.Background(), `SELECT count(*) FROM hdb_catalog.hdb_metadata`).Scan(&n); err != nil || n != 1 {
		t.Fatalf("hdb_metadata rows = %d, %v; want 1", n, err)
	}
}

func TestMetadataSurvivesRestart(t *testing.T) {
	e := newEnv(t)
	e.sql(authorArticle)
	e.meta(`{"type":"pg_track_table","args":{"table":"author"}}`)
	e.meta(`{"type":"pg_track_table","args":{"table":{"schema":"public","name":"article"}}}`)
	e.meta(`{"type":"pg_create_object_relationship","args":{"table":"article","name":"author","using":{"foreign_key_constraint_on":"author_id"}}}`)
	e.meta(`{"type":"pg_create_select_permission","args":{"table":"author","role":"user","permission":{"columns":"*","filter":{"id":"X-Hasura-User-Id"}}}}`)
	before := e.meta(`{"type":"export_metadata","args":{}}`)

	svc := e.reopen()
	after, err := svc.Metadata(context.Background(), []byte(`{"type":"export_metadata","args":{}}`))
	if err != nil {
		t.Fatal(err)
	}
	jsonEqual(t, after, string(before))
	snap := svc.Current()
	if snap.Version != 5 {
		t.Errorf("version = %d, want 5", snap.Version)
	}
	src := snap.Metadata.Source("default")
	if src.FindTable(TableName{"public", "article"}) == nil || len(src.FindTable(TableName{"public", "article"}).ObjectRelationships) != 1 {
		t.Errorf("served metadata lost the relationship: %s", rawJSON(snap.Metadata))
	}
}

func TestOnChangeAndCurrent(t *testing.T) {
	e := newEnv(t)
	e.sql(authorArticle)
	var got []*Snapshot
	var mu sync.Mutex
	e.svc.OnChange(func(s *Snapshot) { mu.Lock(); got = append(got, s); mu.Unlock() })
	e.meta(`{"type":"pg_track_table","args":{"table":"author"}}`)
	mu.Lock()
	defer mu.Unlock()
	if len(got) != 1 || got[0] != e.svc.Current() {
		t.Fatalf("listeners saw %d snapshots; want the current one", len(got))
	}
	if got[0].Catalog.Tables[TableName{"public", "author"}.qname()] == nil {
		t.Errorf("snapshot catalog lacks author")
	}
}

func TestResourceVersionConflict(t *testing.T) {
	e := newEnv(t)
	e.sql(authorArticle)
	e.meta(`{"type":"pg_track_table","args":{"table":"author"},"resource_version":1}`)
	err := e.fail(e.svc.Metadata, `{"type":"pg_track_table","args":{"table":"article"},"resource_version":1}`)
	wantErr(t, err, "conflict", "metadata resource version referenced (1) did not match current version", "$")
	if err.Status != http.StatusConflict {
		t.Errorf("status = %d, want 409", err.Status)
	}
	res := e.meta(`{"type":"export_metadata","version":2,"args":{}}`)
	var v struct {
		ResourceVersion int64 `json:"resource_version"`
	}
	_ = json.Unmarshal(res, &v)
	if v.ResourceVersion != 2 {
		t.Errorf("resource_version = %d, want 2", v.ResourceVersion)
	}
}

func TestConcurrentWriters(t *testing.T) {
	e := newEnv(t)
	e.sql(authorArticle)
	// Two instances on the same database, each with version 1 in hand.
	other := e.reopen()
	var wg sync.WaitGroup
	errs := make([]error, 2)
	for i, svc := range []*Service{e.svc, other} {
		wg.Add(1)
		go func() {
			defer wg.Done()
			table := []string{"author", "article"}[i]
			_, errs[i] = svc.Metadata(context.Background(), []byte(`{"type":"pg_track_table","args":{"table":"`+table+`"},"resource_version":1}`))
		}()
	}
	wg.Wait()
	wins, conflicts := 0, 0
	for _, err := range errs {
		switch {
		case err == nil:
			wins++
		case strings.Contains(err.Error(), "did not match current version"):
			conflicts++
		default:
			t.Errorf("unexpected error: %v", err)
		}
	}
	if wins != 1 || conflicts != 1 {
		t.Fatalf("wins = %d, conflicts = %d; want 1 and 1", wins, conflicts)
	}
	// The loser sees the winner's change after a refresh.
	for _, svc := range []*Service{e.svc, other} {
		if _, err := svc.Refresh(context.Background()); err != nil {
			t.Fatal(err)
		}
		if svc.Current().Version != 2 || len(svc.Current().Metadata.Sources[0].Tables) != 1 {
			t.Errorf("after refresh: version %d, tables %d", svc.Current().Version, len(svc.Current().Metadata.Sources[0].Tables))
		}
	}
}

func TestHealth(t *testing.T) {
	e := newEnv(t)
	e.sql(`CREATE TABLE t (id int primary key)`)
	e.meta(`{"type":"pg_track_table","args":{"table":"t"}}`)
	if err := e.svc.Health(context.Background(), true); err != nil {
		t.Fatalf("healthy: %v", err)
	}
	e.ok(e.svc.QueryV2, `{"type":"run_sql","args":{"sql":"DROP TABLE t","cascade":true}}`)
	if err := e.svc.Health(context.Background(), false); err != nil {
		t.Errorf("non-strict: %v", err)
	}
	e.sql(`CREATE TABLE u (id int primary key)`)
	e.meta(`{"type":"pg_track_table","args":{"table":"u"}}`)
	e.sql(`DROP TABLE u`)
	e.meta(`{"type":"reload_metadata","args":{}}`)
	if err := e.svc.Health(context.Background(), true); err == nil {
		t.Errorf("strict health with an inconsistent table: want an error")
	}
}

func TestListenPicksUpOtherInstances(t *testing.T) {
	e := newEnv(t)
	e.sql(authorArticle)
	other := e.reopen()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- other.Listen(ctx) }()
	seen := make(chan int64, 4)
	other.OnChange(func(s *Snapshot) { seen <- s.Version })
	// Wait until the listener is registered, then write on the first
	// instance. pg_stat_activity is cluster-wide and other tests (and other
	// packages running at the same time) listen on the same channel in
	// their own databases, so only a finished LISTEN in this test's
	// database counts; a notification sent before it is lost.
	deadline := time.Now().Add(30 * time.Second)
	for {
		var n int
		if err := e.pool.QueryRow(context.Background(), `SELECT count(*) FROM pg_stat_activity
			WHERE datname = current_database() AND state = 'idle' AND query = 'LISTEN `+notifyChannel+`'`).Scan(&n); err != nil {
			t.Fatal(err)
		}
		if n > 0 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("the other instance's LISTEN did not register")
		}
		time.Sleep(10 * time.Millisecond)
	}
	e.meta(`{"type":"pg_track_table","args":{"table":"author"}}`)
	select {
	case v := <-seen:
		if v != 2 {
			t.Errorf("other instance saw version %d, want 2", v)
		}
	case <-time.After(30 * time.Second):
		t.Fatal("other instance did not pick up the change")
	}
	cancel()
	if err := <-done; err != nil {
		t.Errorf("Listen: %v", err)
	}
}

// TestUnreadableStoredMetadata: a stored document this server cannot decode
// neither stops it nor gets lost; it is exported as stored, reported, and
// only replaced on request.
func TestUnreadableStoredMetadata(t *testing.T) {
	e := newEnv(t)
	e.sql(authorArticle)
	doc := `{"version":3,"sources":[{"name":"default","kind":"postgres","tables":[{"table":{"schema":"public","name":"author"},"select_permissions":[{"role":"user","permission":{"columns":"*","filter":{},"future_option":1}}]}]}]}`
	if _, err := e.pool.Exec(context.Background(), `UPDATE hdb_catalog.hdb_metadata SET metadata = $1::json`, doc); err != nil {
		t.Fatal(err)
	}
	svc := e.reopen()
	if len(svc.Current().Inconsistent) != 1 || svc.Current().Inconsistent[0].Type != "metadata" {
		t.Fatalf("inconsistent = %s", rawJSON(svc.Current().Inconsistent))
	}
	call := func(body string) (json.RawMessage, error) { return svc.Metadata(context.Background(), []byte(body)) }
	got, err := call(`{"type":"export_metadata","args":{}}`)
	if err != nil {
		t.Fatal(err)
	}
	jsonEqual(t, got, doc)
	if _, err := call(`{"type":"pg_track_table","args":{"table":"article"}}`); err == nil {
		t.Fatal("a change was accepted over an unreadable document")
	}
	if _, err := call(`{"type":"reload_metadata","args":{}}`); err != nil {
		t.Fatal(err)
	}
	if _, err := call(`{"type":"pg_track_table","args":{"table":"article"}}`); err == nil {
		t.Fatal("a change was accepted over an unreadable document after reload")
	}
	got, _ = call(`{"type":"export_metadata","args":{}}`)
	jsonEqual(t, got, doc)
	if _, err := call(`{"type":"replace_metadata","args":{"version":3,"sources":[{"name":"default","kind":"postgres","tables":[{"table":"author"}]}]}}`); err != nil {
		t.Fatal(err)
	}
	if _, err := call(`{"type":"pg_track_table","args":{"table":"article"}}`); err != nil {
		t.Fatalf("after replace: %v", err)
	}
}

func TestSourceWithAnotherName(t *testing.T) {
	e := newEnv(t)
	e.sql(authorArticle)
	doc := `{"version":3,"sources":[{"name":"main","kind":"postgres","tables":[{"table":{"schema":"public","name":"author"}}],"configuration":{"connection_info":{"database_url":{"from_env":"PG_DATABASE_URL"}}}}]}`
	if _, err := e.pool.Exec(context.Background(), `UPDATE hdb_catalog.hdb_metadata SET metadata = $1::json`, doc); err != nil {
		t.Fatal(err)
	}
	svc := e.reopen()
	snap := svc.Current()
	if snap.SourceName != "main" || snap.Source() == nil || len(snap.Source().Tables) != 1 || len(snap.Inconsistent) != 0 {
		t.Fatalf("source %q served %s, inconsistent %s", snap.SourceName, rawJSON(snap.Source()), rawJSON(snap.Inconsistent))
	}
	if _, err := svc.Metadata(context.Background(), []byte(`{"type":"pg_track_table","args":{"table":"article"}}`)); err != nil {
		t.Fatal(err)
	}
	if _, err := svc.Metadata(context.Background(), []byte(`{"type":"pg_track_table","args":{"source":"main","table":{"schema":"public","name":"article"}}}`)); err == nil {
		t.Fatal("tracked twice")
	}
}

// TestConcurrentWritersWithoutVersion: instances take turns, so writers that
// name no resource_version never conflict and both changes are kept.
func TestConcurrentWritersWithoutVersion(t *testing.T) {
	e := newEnv(t)
	e.sql(authorArticle)
	other := e.reopen()
	var wg sync.WaitGroup
	errs := make([]error, 2)
	for i, svc := range []*Service{e.svc, other} {
		wg.Add(1)
		go func() {
			defer wg.Done()
			table := []string{"author", "article"}[i]
			_, errs[i] = svc.Metadata(context.Background(), []byte(`{"type":"pg_track_table","args":{"table":"`+table+`"}}`))
		}()
	}
	wg.Wait()
	for _, err := range errs {
		if err != nil {
			t.Errorf("writer failed: %v", err)
		}
	}
	svc := e.reopen()
	if n := len(svc.Current().Stored.Source("default").Tables); n != 2 || svc.Current().Version != 3 {
		t.Errorf("tables = %d, version = %d; want 2 and 3", n, svc.Current().Version)
	}
}
