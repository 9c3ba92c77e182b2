package metadata

import (
	"context"
	"encoding/json"
	"fmt"
	"reflect"
	"strings"
	"testing"

	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/postgate/postgate/internal/apierr"
	"github.com/postgate/postgate/internal/pgtest"
)

// env is a Service on a fresh database used as both metadata and data database.
type env struct {
	t    *testing.T
	pool *pgxpool.Pool
	svc  *Service
}

func newEnv(t *testing.T) *env {
	t.Helper()
	t.Parallel() // every test has a database of its own
	pool := pgtest.Pool(t)
	svc, err := Open(context.Background(), pool, pool, Options{})
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	return &env{t: t, pool: pool, svc: svc}
}

// reopen opens a second Service on the same database (a restart).
func (e *env) reopen() *Service {
	e.t.Helper()
	svc, err := Open(context.Background(), e.pool, e.pool, Options{})
	if err != nil {
		e.t.Fatalf("reopen: %v", err)
	}
	return svc
}

func (e *env) sql(sql string) {
	e.t.Helper()
	pgtest.Exec(e.t, e.pool, sql)
}

// call is one API call: endpoint, body.
type apiFunc func(context.Context, []byte) (json.RawMessage, error)

func (e *env) meta(body string) json.RawMessage {
	e.t.Helper()
	return e.ok(e.svc.Metadata, body)
}

func (e *env) ok(f apiFunc, body string) json.RawMessage {
	e.t.Helper()
	res, err := f(context.Background(), []byte(body))
	if err != nil {
		e.t.Fatalf("request %s: %v", body, err)
	}
	return res
}

// fail runs a request that must fail and returns the API error.
func (e *env) fail(f apiFunc, body string) *apierr.Error {
	e.t.Helper()
	res, err := f(context.Background(), []byte(body))
	if err == nil {
		e.t.Fatalf("request %s: want an error, got %s", body, res)
	}
	ae := apierr.As(err)
	if ae == nil {
		e.t.Fatalf("request %s: error %v is not an *apierr.Error", body, err)
	}
	return ae
}

// wantErr checks code, message (substring when it ends with "..."), path and status.
func wantErr(t *testing.T, e *apierr.Error, code, msg, path string) {
	t.Helper()
	if e.Code != code {
		t.Errorf("code = %q, want %q (message %q)", e.Code, code, e.Message)
	}
	if m, ok := strings.CutSuffix(msg, "..."); ok {
		if !strings.HasPrefix(e.Message, m) {
			t.Errorf("message = %q, want prefix %q", e.Message, m)
		}
	} else if msg != "" && e.Message != msg {
		t.Errorf("message = %q, want %q", e.Message, msg)
	}
	if path != "" && e.Path != path {
		t.Errorf("path = %q, want %q", e.Path, path)
	}
	if e.Status == 0 {
		t.Errorf("status not set")
	}
}

// jsonEqual compares two JSON documents as values.
func jsonEqual(t *testing.T, got json.RawMessage, want string) {
	t.Helper()
	var g, w any
	if err := json.Unmarshal(got, &g); err != nil {
		t.Fatalf("got invalid JSON %s: %v", got, err)
	}
	if err := json.Unmarshal([]byte(want), &w); err != nil {
		t.Fatalf("want invalid JSON %s: %v", want, err)
	}
	if !reflect.DeepEqual(g, w) {
		t.Errorf("JSON differs at %s\ngot  %s\nwant %s", firstDiff(g, w, "$"), shorten(got), shorten([]byte(want)))
	}
}

func shorten(b []byte) string {
	if len(b) > 600 {
		return string(b[:600]) + "..."
	}
	return string(b)
}

// firstDiff names the first path where two decoded JSON values differ.
func firstDiff(a, b any, path string) string {
	switch x := a.(type) {
	case map[string]any:
		y, ok := b.(map[string]any)
		if !ok {
			return path + fmt.Sprintf(" (%v vs %v)", a, b)
		}
		for k := range x {
			if _, ok := y[k]; !ok {
				return path + "." + k + " (only in got)"
			}
		}
		for k := range y {
			if _, ok := x[k]; !ok {
				return path + "." + k + " (only in want)"
			}
			if !reflect.DeepEqual(x[k], y[k]) {
				return firstDiff(x[k], y[k], path+"."+k)
			}
		}
	case []any:
		y, ok := b.([]any)
		if !ok || len(x) != len(y) {
			return path + fmt.Sprintf(" (%v vs %v)", a, b)
		}
		for i := range x {
			if !reflect.DeepEqual(x[i], y[i]) {
				return firstDiff(x[i], y[i], fmt.Sprintf("%s[%d]", path, i))
			}
		}
	}
	return path + fmt.Sprintf(" (%v vs %v)", a, b)
}

const authorArticle = `
CREATE TABLE author (id serial PRIMARY KEY, name text UNIQUE, remarks text);
CREATE TABLE article (id serial PRIMARY KEY, title text, content text, author_id integer REFERENCES author(id), is_published boolean, published_on timestamp);
INSERT INTO author (name) VALUES ('Author 1'), ('Author 2');`
