package pg

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/postgate/postgate/internal/apierr"
	"github.com/postgate/postgate/internal/pgtest"
)

const errorFixture = `
CREATE TABLE author (id int PRIMARY KEY, name text NOT NULL UNIQUE, age int CHECK (age > 0));
CREATE TABLE article (id int PRIMARY KEY, author_id int REFERENCES author(id));
CREATE TABLE booking (during int4range, EXCLUDE USING gist (during WITH &&));
INSERT INTO author VALUES (1, 'a', 30);
INSERT INTO article VALUES (1, 1);
INSERT INTO booking VALUES ('[1,5)');
CREATE TABLE restricted (id int);
CREATE FUNCTION fail() RETURNS trigger LANGUAGE plpgsql AS $$BEGIN RAISE EXCEPTION 'no inserts here'; END$$;
CREATE TABLE guarded (id int);
CREATE TRIGGER guarded_fail BEFORE INSERT ON guarded FOR EACH ROW EXECUTE FUNCTION fail();
`

func TestMapErrorFromPostgres(t *testing.T) {
	pool := pgtest.Pool(t)
	pgtest.Exec(t, pool, errorFixture)
	ctx := context.Background()
	tests := []struct {
		name, sql    string
		status       int
		code         string
		message      string // exact, or prefix when it ends with "..."
		wantInternal bool
	}{
		{"foreign key", "INSERT INTO article VALUES (2, 99)", 400, apierr.ConstraintViolation,
			`Foreign key violation. insert or update on table "article" violates foreign key constraint "article_author_id_fkey"`, false},
		{"foreign key on delete", "DELETE FROM author WHERE id = 1", 400, apierr.ConstraintViolation,
			`Foreign key violation. update or delete on table "author" violates foreign key constraint "article_author_id_fkey" on table "article"`, false},
		{"uniqueness", "INSERT INTO author VALUES (2, 'a', 1)", 400, apierr.ConstraintViolation,
			`Uniqueness violation. duplicate key value violates unique constraint "author_name_key"`, false},
		{"not null", "INSERT INTO author (id) VALUES (3)", 400, apierr.ConstraintViolation,
			`Not-NULL violation. null value in column "name" of relation "author" violates not-null constraint`, false},
		{"check", "INSERT INTO author VALUES (4, 'b', -1)", 400, apierr.PermissionError,
			`Check constraint violation. new row for relation "author" violates check constraint "author_age_check"`, false},
		{"exclusion", "INSERT INTO booking VALUES ('[2,3)')", 400, apierr.ConstraintViolation,
			`Exclusion violation. conflicting key value violates exclusion constraint "booking_during_excl"`, false},
		{"restrict", "DO $$BEGIN RAISE EXCEPTION 'still referenced' USING ERRCODE = 'restrict_violation'; END$$", 400,
			apierr.ConstraintViolation, `Can not delete or update due to data being referred. still referenced`, false},
		{"other integrity violation", "DO $$BEGIN RAISE EXCEPTION 'bad' USING ERRCODE = 'integrity_constraint_violation'; END$$", 400,
			apierr.ConstraintViolation, "bad", false},
		{"invalid input", "SELECT 'abc'::int", 400, apierr.DataException,
			`invalid input syntax for type integer: "abc"`, false},
		{"division by zero", "SELECT 1/0", 400, apierr.DataException, "division by zero", false},
		{"invalid escape", `SELECT 'ab' LIKE 'a\'`, 400, apierr.BadRequest, "LIKE pattern must not end with escape character", false},
		{"no conflict target", "INSERT INTO article VALUES (5, 1) ON CONFLICT (author_id) DO NOTHING", 400, apierr.ConstraintError,
			"there is no unique or exclusion constraint on target column(s)", false},
		{"unknown constraint", "INSERT INTO article VALUES (5, 1) ON CONFLICT ON CONSTRAINT nope DO NOTHING", 400, apierr.ConstraintError,
			`constraint "nope" for table "article" does not exist`, false},
		{"serialization", "DO $$BEGIN RAISE EXCEPTION 'conflict' USING ERRCODE = 'serialization_failure'; END$$", 400,
			apierr.ConcurrentUpdate, "serialization failure due to concurrent update", false},
		{"deadlock", "DO $$BEGIN RAISE EXCEPTION 'deadlock detected' USING ERRCODE = 'deadlock_detected'; END$$", 400,
			apierr.ConcurrentUpdate, "deadlock detected", false},
		{"trigger exception", "INSERT INTO guarded VALUES (1)", 500, apierr.Unexpected, "database query error", true},
		{"undefined table", "SELECT * FROM missing", 500, apierr.Unexpected, "database query error", true},
		{"statement timeout", "SET statement_timeout = '20ms'; SELECT pg_sleep(2)", 500, apierr.Unexpected, "database query error", true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := pool.Exec(ctx, tc.sql)
			if err == nil {
				t.Fatal("statement succeeded")
			}
			e := apierr.As(MapErrorFor(err, Statement{SQL: tc.sql, Args: []any{1, "x"}, Prepared: true}))
			if e == nil {
				t.Fatalf("not an API error: %v", err)
			}
			if e.Status != tc.status || e.Code != tc.code || e.Path != "$" {
				t.Errorf("got %d %s %s", e.Status, e.Code, e.Path)
			}
			if p, ok := strings.CutSuffix(tc.message, "..."); ok {
				if !strings.HasPrefix(e.Message, p) {
					t.Errorf("message %q", e.Message)
				}
			} else if e.Message != tc.message {
				t.Errorf("message %q\n     want %q", e.Message, tc.message)
			}
			if (e.Internal != nil) != tc.wantInternal {
				t.Errorf("internal %v", e.Internal)
			}
			if e.InternalPublic {
				t.Error("GraphQL errors must show internals in dev mode only")
			}
			if e.Unwrap() == nil {
				t.Error("cause not kept")
			}
		})
	}
}

func TestUnexpectedInternalShape(t *testing.T) {
	pool := pgtest.Pool(t)
	_, err := pool.Exec(context.Background(), "SELECT * FROM missing WHERE x = $1", 7)
	e := apierr.As(MapErrorFor(err, Statement{SQL: "SELECT * FROM missing WHERE x = $1", Args: []any{7}, Prepared: true}))
	b, _ := json.Marshal(e.Internal)
	want := `{"arguments":["7"],"error":{"description":null,"exec_status":"FatalError","hint":null,` +
		`"message":"relation \"missing\" does not exist","status_code":"42P01"},"prepared":true,` +
		`"statement":"SELECT * FROM missing WHERE x = $1"}`
	if string(b) != want {
		t.Errorf("internal:\n got %s\nwant %s", b, want)
	}
	// The client sees no SQL unless in dev mode.
	if body := string(apierr.GraphQLBody(e, apierr.Options{})); strings.Contains(body, "missing") {
		t.Errorf("internals leaked: %s", body)
	}
}

func TestMapRunSQLError(t *testing.T) {
	pool := pgtest.Pool(t)
	const sql = "CREATE TABLE t (id int); SELECT * FROM nope"
	_, err := pool.Exec(context.Background(), sql)
	e := apierr.As(MapRunSQLError(err, sql))
	if e == nil || e.Status != 400 || e.Code != apierr.PostgresError || e.Message != "query execution failed" || !e.InternalPublic {
		t.Fatalf("got %+v", e)
	}
	body := string(apierr.APIBody(e, apierr.Options{}))
	want := `{"code":"postgres-error","error":"query execution failed","internal":{"arguments":[],"error":{"description":null,` +
		`"exec_status":"FatalError","hint":null,"message":"relation \"nope\" does not exist","status_code":"42P01"},` +
		`"prepared":false,"statement":"CREATE TABLE t (id int); SELECT * FROM nope"},"path":"$"}`
	if body != want {
		t.Errorf("body:\n got %s\nwant %s", body, want)
	}
	if MapRunSQLError(nil, sql) != nil {
		t.Error("nil must stay nil")
	}
}

func TestMapPermissionAndConnectionLimits(t *testing.T) {
	pool := pgtest.Pool(t)
	ctx := context.Background()
	role := fmt.Sprintf("pgt_role_%d", time.Now().UnixNano())
	pgtest.Exec(t, pool, "CREATE ROLE "+role+" LOGIN; CREATE TABLE secret (id int)")
	t.Cleanup(func() {
		pool.Exec(context.Background(), "DROP OWNED BY "+role)
		pool.Exec(context.Background(), "DROP ROLE IF EXISTS "+role)
	})
	base := pool.Config().ConnConfig.ConnString()
	u := strings.Replace(base, "postgres@", role+"@", 1)
	if u == base {
		t.Skipf("cannot derive a role URL from %q", base)
	}
	rp, err := NewPool(ctx, u, PoolOptions{MaxConns: 1})
	if err != nil {
		t.Fatal(err)
	}
	_, err = rp.Exec(ctx, "SELECT * FROM secret")
	rp.Close()
	e := apierr.As(MapError(err))
	if e == nil || e.Status != 500 || e.Code != apierr.Unexpected || e.Message != "database query error" {
		t.Errorf("permission denied: %+v", e)
	}
	pgtest.Exec(t, pool, "ALTER ROLE "+role+" CONNECTION LIMIT 0")
	rp, err = NewPool(ctx, u, PoolOptions{MaxConns: 1})
	if err != nil {
		t.Fatal(err)
	}
	defer rp.Close()
	_, err = rp.Exec(ctx, "SELECT 1")
	e = apierr.As(MapError(err))
	if e == nil || e.Status != 500 || e.Code != "postgres-max-connections-error" || e.Message != "max connections reached on postgres" {
		t.Errorf("too many connections: %+v (%v)", e, err)
	}
}

func TestMapConnectionFailures(t *testing.T) {
	ctx := context.Background()
	p, err := NewPool(ctx, "postgres://someone:hunter2@127.0.0.1:1/db", PoolOptions{ConnectTimeout: time.Second})
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()
	_, err = p.Exec(ctx, "SELECT 1")
	for name, mapped := range map[string]error{"graphql": MapError(err), "run_sql": MapRunSQLError(err, "SELECT 1")} {
		e := apierr.As(mapped)
		if e == nil || e.Status != http.StatusInternalServerError || e.Code != apierr.PostgresError || e.Message != "connection error" {
			t.Errorf("%s: %+v", name, e)
			continue
		}
		if strings.Contains(fmt.Sprint(e.Internal), "hunter2") || strings.Contains(string(apierr.APIBody(e, apierr.Options{DevMode: true})), "hunter2") {
			t.Errorf("%s: password leaked", name)
		}
		if strings.Contains(string(apierr.APIBody(e, apierr.Options{})), "127.0.0.1") {
			t.Errorf("%s: details shown outside dev mode", name)
		}
	}
}

func TestMapContextCancelled(t *testing.T) {
	pool := pgtest.Pool(t)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	_, err := pool.Exec(ctx, "SELECT 1")
	e := apierr.As(MapError(err))
	if e == nil || e.Code != apierr.Unexpected || e.Status != 500 || !errors.Is(e, context.Canceled) {
		t.Errorf("got %+v", e)
	}
	if strings.Contains(string(apierr.GraphQLBody(e, apierr.Options{})), "context") {
		t.Error("cause shown to client")
	}
}

func TestMapErrorPassThrough(t *testing.T) {
	if MapError(nil) != nil {
		t.Error("nil must stay nil")
	}
	orig := apierr.New(apierr.NotFound, "x")
	if MapError(fmt.Errorf("wrapped: %w", orig)) != orig {
		t.Error("API errors must pass through")
	}
}

var _ Execer = (*pgxpool.Pool)(nil)
