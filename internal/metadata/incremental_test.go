package metadata

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"sync/atomic"
	"testing"
)

// TestChangeChecksOnlyItsTable shows that tracking a table or adding a
// permission to one re-checks that table only, not the unrelated ones, and
// that the result is what the whole check gives.
func TestChangeChecksOnlyItsTable(t *testing.T) {
	e := newEnv(t)
	var ddl, track []string
	for i := range 10 {
		ddl = append(ddl, fmt.Sprintf("CREATE TABLE u%d (id int PRIMARY KEY, owner_id int, parent_id int REFERENCES u%d(id));", i, max(i-1, 0)))
		if i < 6 {
			track = append(track, fmt.Sprintf(`{"type":"pg_track_table","args":{"table":"u%d"}}`, i))
		}
	}
	e.sql(strings.Join(ddl, "\n"))
	e.meta(`{"type":"bulk","args":[` + strings.Join(track, ",") + `]}`)
	for i := 1; i < 6; i++ {
		e.meta(fmt.Sprintf(`{"type":"pg_create_object_relationship","args":{"table":"u%d","name":"parent","using":{"foreign_key_constraint_on":"parent_id"}}}`, i))
		e.meta(fmt.Sprintf(`{"type":"pg_create_select_permission","args":{"table":"u%d","role":"user","permission":{"columns":"*","filter":{"parent":{"owner_id":{"_eq":"X-Hasura-User-Id"}}}}}}`, i))
	}
	checked := func(body string) (int64, error) {
		t.Helper()
		var n atomic.Int64
		_, err := e.svc.Metadata(context.WithValue(context.Background(), checkCountKey{}, &n), []byte(body))
		return n.Load(), err
	}
	// The published snapshot must be what checking the stored metadata gives.
	sameAsWholeCheck := func() {
		t.Helper()
		cur := e.svc.Current()
		good, bad := checkConsistency(context.Background(), cur.Stored, cur.Catalog, cur.SourceName, nil)
		g1, _ := json.Marshal(good)
		g2, _ := json.Marshal(cur.Metadata)
		if string(g1) != string(g2) || len(bad) != len(cur.Inconsistent) {
			t.Fatalf("snapshot differs from the whole check:\n%s\n%s\n%v %v", g1, g2, bad, cur.Inconsistent)
		}
	}
	for _, c := range []struct {
		body string
		want int64 // tables checked; 0: more than one
		err  string
	}{
		{body: `{"type":"pg_track_table","args":{"table":"u6"}}`, want: 1},
		{body: `{"type":"pg_create_select_permission","args":{"table":"u3","role":"editor","permission":{"columns":["id"],"filter":{"parent":{"parent":{"id":{"_gt":1}}}}}}}`, want: 1},
		{body: `{"type":"pg_create_insert_permission","args":{"table":"u6","role":"user","permission":{"columns":["id"],"check":{"owner_id":{"_eq":"X-Hasura-User-Id"}}}}}`, want: 1},
		{body: `{"type":"bulk","args":[{"type":"pg_track_table","args":{"table":"u7"}},{"type":"pg_create_select_permission","args":{"table":"u7","role":"user","permission":{"columns":"*","filter":{}}}}]}`, want: 2},
		// Several tables tracked by one operation.
		{body: `{"type":"pg_track_tables","args":{"tables":[{"table":"u8"},{"table":"u9"}]}}`, want: 2},
		// A wrong permission is found by the whole check, with its error.
		{body: `{"type":"pg_create_select_permission","args":{"table":"u2","role":"viewer","permission":{"columns":"*","filter":{"nope":{"_eq":1}}}}}`,
			err: `"nope" is not a column, relationship or computed field of table "u2"`},
		// Dropping a permission, adding a relationship: that table only.
		{body: `{"type":"pg_drop_select_permission","args":{"table":"u4","role":"user"}}`, want: 1},
		{body: `{"type":"pg_create_array_relationship","args":{"table":"u3","name":"children","using":{"foreign_key_constraint_on":{"table":"u4","column":"parent_id"}}}}`, want: 1},
		{body: `{"type":"pg_create_object_relationship","args":{"table":"u7","name":"owner","using":{"manual_configuration":{"remote_table":"u3","column_mapping":{"owner_id":"id"}}}}}`, want: 1},
		{body: `{"type":"pg_create_select_permission","args":{"table":"u2","role":"viewer","permission":{"columns":"*","filter":{"children":{"owner":{"id":{"_gt":1}}}}}}}`,
			err: `"children" is not a column, relationship or computed field of table "u2"`},
		{body: `{"type":"pg_create_select_permission","args":{"table":"u7","role":"viewer","permission":{"columns":"*","filter":{"owner":{"children":{"id":{"_gt":1}}}}}}}`, want: 1},
		// A wrong relationship is found by the whole check, with its error.
		{body: `{"type":"pg_create_object_relationship","args":{"table":"u5","name":"bad","using":{"foreign_key_constraint_on":"nope"}}}`,
			err: `column "nope" does not exist`},
		// Operations of other kinds still check everything.
		{body: `{"type":"pg_drop_relationship","args":{"table":"u3","relationship":"children","cascade":true}}`},
		{body: `{"type":"pg_set_table_is_enum","args":{"table":"u1","is_enum":false}}`},
	} {
		n, err := checked(c.body)
		switch {
		case c.err != "":
			if err == nil || !strings.Contains(err.Error(), c.err) {
				t.Fatalf("%s: error %v, want %q", c.body, err, c.err)
			}
		case err != nil:
			t.Fatalf("%s: %v", c.body, err)
		case c.want > 0 && n != c.want:
			t.Errorf("%s: %d tables checked, want %d", c.body, n, c.want)
		case c.want == 0 && n < 7:
			t.Errorf("%s: %d tables checked, want the whole metadata", c.body, n)
		}
		sameAsWholeCheck()
	}
}
