package metadata

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
)

// encodeDocs are documents whose encoding must not change: Hasura's
// example, and one with every kind of kept key, characters json.Marshal
// escapes, empty and several sources.
func encodeDocs(t *testing.T) map[string]*Metadata {
	t.Helper()
	doc, err := os.ReadFile("testdata/hasura_metadata.json")
	if err != nil {
		t.Fatal(err)
	}
	odd := `{"version":3,"zeta":{"a":"<b>&amp;</b>"},"alpha":[1,2],
	  "sources":[
	    {"name":"default","kind":"postgres","zkey":"\u2028<x>","tables":[
	      {"table":{"schema":"public","name":"a<b>"},"event_triggers":[{"name":"e&"}],
	       "select_permissions":[{"role":"r","permission":{"columns":"*","filter":{"x":{"_eq":"<&>"}}},"comment":"tables\":[]"}]},
	      {"table":{"schema":"s","name":"tables\":[]"},"configuration":{"custom_name":"T","comment":"\u00e9\u2029"}}],
	     "configuration":{"connection_info":{"database_url":"postgres://x?a=1&b=2"}}},
	    {"name":"\"tables\":[]","kind":"postgres","tables":[]},
	    {"name":"other","kind":"postgres","tables":[],"functions":[{"function":"f"}]}],
	  "inherited_roles":[{"role_name":"ir","role_set":["a","b"]}]}`
	out := map[string]*Metadata{"empty": Empty(), "no sources": {Version: 3}}
	for name, b := range map[string][]byte{"hasura": doc, "odd": []byte(odd)} {
		md, err := Parse(b)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		out[name] = md
	}
	return out
}

// TestEncodeMatchesMarshal: the document assembled from cached table
// encodings is json.Marshal's, byte for byte, before and after a change to
// one table, and only that table is encoded again.
func TestEncodeMatchesMarshal(t *testing.T) {
	for name, md := range encodeDocs(t) {
		t.Run(name, func(t *testing.T) {
			var e docEncoder
			var n atomic.Int64
			ctx := context.WithValue(context.Background(), encodeCountKey{}, &n)
			same := func(md *Metadata) {
				t.Helper()
				want, err := json.Marshal(md)
				if err != nil {
					t.Fatal(err)
				}
				enc, err := e.encode(ctx, md)
				if err != nil {
					t.Fatal(err)
				}
				if !bytes.Equal(enc.doc, want) {
					t.Fatalf("encoding differs from json.Marshal:\n%s\n%s", enc.doc, want)
				}
				e.commit(enc)
			}
			same(md)
			tables := 0
			for _, s := range md.Sources {
				tables += len(s.Tables)
			}
			if n.Load() != int64(tables) {
				t.Errorf("%d tables encoded the first time, want %d", n.Load(), tables)
			}
			if tables == 0 {
				return
			}
			// Change one table the way an operation does: in a copy.
			o := &opCtx{md: md.share()}
			s := o.md.Sources[0]
			tb := o.own(s, s.Tables[0])
			tb.SelectPermissions = append(tb.SelectPermissions, &SelectPermissionDef{Role: "new<>", Permission: SelectPermission{Filter: emptyBoolExp}})
			n.Store(0)
			same(o.md)
			if n.Load() != 1 {
				t.Errorf("%d tables encoded after changing one, want 1", n.Load())
			}
			// The original is unchanged and still encodes from the cache
			// as json.Marshal does (its other tables are cached).
			same(md)
		})
	}
}

// TestChangeEncodesOnlyItsTable: each of the operations written for
// shared tables re-encodes the one table it changed, what is stored is
// json.Marshal of the published metadata, and export_metadata answers as
// a freshly started server (which encodes everything) does.
func TestChangeEncodesOnlyItsTable(t *testing.T) {
	e := newEnv(t)
	e.sql(authorArticle + `CREATE TABLE tag (id int PRIMARY KEY, name text);`)
	e.meta(`{"type":"bulk","args":[{"type":"pg_track_table","args":{"table":"author"}},{"type":"pg_track_table","args":{"table":"article"}}]}`)
	stored := func() {
		t.Helper()
		doc, _, err := e.svc.store.load(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		want, _ := json.Marshal(e.svc.Current().Stored)
		if !bytes.Equal(doc, want) {
			t.Fatalf("stored document differs from json.Marshal of the snapshot:\n%s\n%s", doc, want)
		}
		exp := e.meta(`{"type":"export_metadata","args":{}}`)
		fresh := e.reopen()
		exp2, err := fresh.Metadata(context.Background(), []byte(`{"type":"export_metadata","args":{}}`))
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(exp, exp2) || !bytes.Equal(exp, withoutEmptySections(want)) {
			t.Fatalf("export differs from a fresh server's:\n%s\n%s", exp, exp2)
		}
	}
	stored()
	for _, c := range []struct {
		body string
		want int64
	}{
		{`{"type":"pg_track_table","args":{"table":"tag"}}`, 1},
		{`{"type":"pg_create_select_permission","args":{"table":"article","role":"user","permission":{"columns":"*","filter":{"author_id":{"_eq":"X-Hasura-User-Id"}}}}}`, 1},
		{`{"type":"pg_create_object_relationship","args":{"table":"article","name":"author","using":{"foreign_key_constraint_on":"author_id"}}}`, 1},
		{`{"type":"pg_create_array_relationship","args":{"table":"author","name":"articles","using":{"foreign_key_constraint_on":{"table":"article","column":"author_id"}}}}`, 1},
		{`{"type":"pg_create_insert_permission","args":{"table":"author","role":"user","permission":{"columns":["name"],"check":{"articles":{"id":{"_gt":0}}}}}}`, 1},
		{`{"type":"pg_drop_insert_permission","args":{"table":"author","role":"user"}}`, 1},
		{`{"type":"pg_create_select_permission","args":{"table":"author","role":"user","permission":{"columns":"*","filter":{"articles":{"id":{"_gt":0}}}}}}`, 1},
		// Dropping a relationship a permission of the same table uses
		// removes both: still one table.
		{`{"type":"pg_drop_relationship","args":{"table":"author","relationship":"articles","cascade":true}}`, 1},
		{`{"type":"bulk","args":[{"type":"pg_drop_select_permission","args":{"table":"article","role":"user"}},{"type":"pg_create_select_permission","args":{"table":"tag","role":"user","permission":{"columns":"*","filter":{}}}}]}`, 2},
		// An operation not written for shared tables copies (and
		// encodes) them all.
		{`{"type":"pg_set_table_is_enum","args":{"table":"tag","is_enum":false}}`, 3},
		// After a restart: the loaded metadata is encoded in the
		// background, so the first change encodes its table only.
		{`restart`, 0},
		{`{"type":"pg_drop_select_permission","args":{"table":"tag","role":"user"}}`, 1},
	} {
		if c.body == "restart" {
			e.svc = e.reopen()
			e.svc.warming.Wait()
			continue
		}
		var n atomic.Int64
		ctx := context.WithValue(context.Background(), encodeCountKey{}, &n)
		if _, err := e.svc.Metadata(ctx, []byte(c.body)); err != nil {
			t.Fatalf("%s: %v", c.body, err)
		}
		if n.Load() != c.want {
			t.Errorf("%s: %d tables encoded, want %d", c.body, n.Load(), c.want)
		}
		stored()
	}
}

// TestChangesLeaveSnapshotsUnchanged: operations of every kind, run while
// another goroutine reads an earlier snapshot (go test -race), never
// modify what that snapshot holds.
func TestChangesLeaveSnapshotsUnchanged(t *testing.T) {
	e := newEnv(t)
	e.sql(authorArticle + `CREATE TABLE tag (id int PRIMARY KEY, name text, article_id int REFERENCES article(id));`)
	e.meta(`{"type":"bulk","args":[
	  {"type":"pg_track_table","args":{"table":"author"}},
	  {"type":"pg_track_table","args":{"table":"article"}},
	  {"type":"pg_track_table","args":{"table":"tag"}},
	  {"type":"pg_create_object_relationship","args":{"table":"article","name":"author","using":{"foreign_key_constraint_on":"author_id"}}},
	  {"type":"pg_create_array_relationship","args":{"table":"author","name":"articles","using":{"foreign_key_constraint_on":{"table":"article","column":"author_id"}}}},
	  {"type":"pg_create_object_relationship","args":{"table":"tag","name":"article","using":{"foreign_key_constraint_on":"article_id"}}},
	  {"type":"pg_create_select_permission","args":{"table":"article","role":"user","permission":{"columns":"*","filter":{"author":{"name":{"_eq":"X-Hasura-User-Id"}}}}}},
	  {"type":"pg_create_select_permission","args":{"table":"author","role":"user","permission":{"columns":"*","filter":{"articles":{"id":{"_gt":0}}}}}},
	  {"type":"pg_create_select_permission","args":{"table":"tag","role":"user","permission":{"columns":"*","filter":{"article":{"author":{"id":{"_gt":0}}}}}}},
	  {"type":"pg_create_update_permission","args":{"table":"tag","role":"user","permission":{"columns":["name"],"filter":{},"set":{"name":{"a":[1]}}}}}
	]}`)
	snaps := []*Snapshot{e.svc.Current()}
	encodings := func(s *Snapshot) string {
		a, _ := json.Marshal(s.Stored)
		b, _ := json.Marshal(s.Metadata)
		return string(a) + "\n" + string(b)
	}
	want := []string{encodings(snaps[0])}
	stop := make(chan struct{})
	var wg sync.WaitGroup
	var mu sync.Mutex
	wg.Add(1)
	go func() {
		defer wg.Done()
		for {
			select {
			case <-stop:
				return
			default:
			}
			mu.Lock()
			list, was := append([]*Snapshot{}, snaps...), append([]string{}, want...)
			mu.Unlock()
			for i, s := range list {
				if got := encodings(s); got != was[i] {
					t.Errorf("snapshot %d changed:\n%s\nwas\n%s", i, got, was[i])
					return
				}
			}
		}
	}()
	for i, body := range []string{
		`{"type":"pg_create_select_permission","args":{"table":"tag","role":"editor","permission":{"columns":["id"],"filter":{}}}}`,
		`{"type":"pg_set_permission_comment","args":{"table":"tag","role":"user","type":"select","comment":"c"}}`,
		`{"type":"pg_rename_relationship","args":{"table":"author","name":"articles","new_name":"posts"}}`,
		`{"type":"pg_set_relationship_comment","args":{"table":"author","relationship":"posts","comment":"w"}}`,
		`{"type":"pg_drop_relationship","args":{"table":"article","relationship":"author","cascade":true}}`,
		`{"type":"bulk_keep_going","args":[{"type":"pg_drop_update_permission","args":{"table":"tag","role":"user"}},{"type":"pg_create_select_permission","args":{"table":"tag","role":"editor","permission":{"columns":"*","filter":{}}}},{"type":"pg_create_delete_permission","args":{"table":"author","role":"user","permission":{"filter":{}}}}]}`,
		`{"type":"pg_set_table_customization","args":{"table":"author","configuration":{"custom_name":"writer","column_config":{"name":{"custom_name":"n"}}}}}`,
		`{"type":"pg_drop_relationship","args":{"table":"author","relationship":"posts","cascade":true}}`,
		`{"type":"pg_untrack_table","args":{"table":"article","cascade":true}}`,
		`{"type":"pg_track_table","args":{"table":"article"}}`,
		`{"type":"pg_create_update_permission","args":{"table":"article","role":"user","permission":{"columns":["title"],"filter":{},"set":{"title":{"x":[1]}}}}}`,
		`{"type":"drop_inconsistent_metadata","args":{}}`,
	} {
		if _, err := e.svc.Metadata(context.Background(), []byte(body)); err != nil {
			t.Fatalf("%d %s: %v", i, body, err)
		}
		s := e.svc.Current()
		mu.Lock()
		snaps = append(snaps, s)
		want = append(want, encodings(s))
		mu.Unlock()
	}
	e.ok(e.svc.QueryV2, `{"type":"insert","args":{"table":"tag","objects":[{"id":1,"name":"a"}]}}`)
	e.ok(e.svc.QueryV2, `{"type":"select","args":{"table":"tag","columns":["id","name"]}}`)
	e.ok(e.svc.QueryV2, `{"type":"run_sql","args":{"sql":"ALTER TABLE tag RENAME COLUMN name TO label"}}`)
	e.meta(`{"type":"pg_create_select_permission","args":{"table":"article","role":"viewer","permission":{"columns":"*","filter":{}}}}`)
	close(stop)
	wg.Wait()
	for i, s := range snaps {
		if got := encodings(s); got != want[i] {
			t.Errorf("snapshot %d changed", i)
		}
	}
	if !strings.Contains(want[len(want)-1], `"editor"`) {
		t.Errorf("the changes were not applied: %s", want[len(want)-1])
	}
}
