package pgdump

import (
	"bytes"
	"context"
	"io"
	"strings"
	"testing"

	"github.com/postgate/postgate/internal/apierr"
)

func TestCheckOptions(t *testing.T) {
	good := [][]string{
		{"-O", "-x", "--schema-only", "--schema", "public"},
		{"--no-owner", "--no-acl", "--data-only", "--column-inserts", "--table", "public.author"},
		{"-s", "-n", "public", "-N", "hdb_catalog", "--exclude-schema=hdb_catalog", "-npublic"},
		{"--schema", "--file=x"}, // the value of --schema, not an option
		{},
	}
	for _, o := range good {
		if err := CheckOptions(o); err != nil {
			t.Errorf("%q: %v", o, err)
		}
	}
	bad := [][]string{
		{"-f", "/tmp/x"}, {"--file=/tmp/x"}, {"--file", "/tmp/x"}, {"-Fc"}, {"--format=custom"},
		{"-h", "evil"}, {"--host=evil"}, {"-p", "1"}, {"-U", "postgres"}, {"-d", "postgres://x"},
		{"--dbname=postgres://x"}, {"postgres"}, {"-Ox"}, {"--role=x"}, {"-j", "4"}, {"--snapshot=x"},
		{"--schema"}, {"-W"}, {"; rm -rf /"}, {"--schema-only=1"},
	}
	for _, o := range bad {
		err := CheckOptions(o)
		if e := apierr.As(err); e == nil || e.Status != 400 || !strings.HasPrefix(e.Path, "$.opts[") {
			t.Errorf("%q: want a 400 with a path into opts, got %v", o, err)
		}
	}
}

func TestParseRequest(t *testing.T) {
	r, err := ParseRequest([]byte(`{"opts":["-s"],"clean_output":true}`))
	if err != nil || r.Source != "default" || !r.CleanOutput || len(r.Opts) != 1 {
		t.Fatalf("%+v %v", r, err)
	}
	for body, want := range map[string]string{
		`{}`:                           `key "opts" not found`,
		`[]`:                           "expected Object",
		`{"opts":"-s"}`:                "expected Array of String",
		`{"opts":[],"source":1}`:       "expected String",
		`{"opts":[],"clean_output":1}`: "expected Boolean",
	} {
		_, err := ParseRequest([]byte(body))
		if e := apierr.As(err); e == nil || e.Code != apierr.ParseFailed || e.Message != want {
			t.Errorf("%s: %v", body, err)
		}
	}
}

// dump is a pg_dump plain-format output with what clean output removes
// and what it must keep.
const dump = `\restrict abc123

--
-- PostgreSQL database dump
--

SET statement_timeout = 0;
SET client_encoding = 'UTF8';
SELECT pg_catalog.set_config('search_path', '', false);
SET check_function_bodies = false;

CREATE SCHEMA hdb_catalog;

CREATE FUNCTION hdb_catalog."notify_hasura_t_INSERT"() RETURNS trigger
    LANGUAGE plpgsql
    AS $$
  BEGIN
    RETURN NULL;
  END;
$$;

CREATE FUNCTION public.f(x integer) RETURNS integer
    LANGUAGE plpgsql
    AS $body$
-- a comment in the body

BEGIN
  RETURN x; -- SET a = 1;
END;
$body$;

COMMENT ON TABLE public.t IS 'multi
-- line; comment

with hdb_catalog in it';

SET default_table_access_method = heap;

CREATE TABLE public.t (
    id integer NOT NULL,
    v text
);

COPY public.t (id, v) FROM stdin;
1	-- not a comment

2	\N
\.

CREATE TRIGGER "notify_hasura_t_INSERT" AFTER INSERT ON public.t FOR EACH ROW EXECUTE FUNCTION hdb_catalog."notify_hasura_t_INSERT"();

SELECT pg_catalog.setval('hdb_catalog.event_seq', 4, true);

SELECT pg_catalog.setval('public.t_id_seq', 2, true);

\unrestrict abc123

`

const cleaned = `CREATE FUNCTION public.f(x integer) RETURNS integer
    LANGUAGE plpgsql
    AS $body$
-- a comment in the body

BEGIN
  RETURN x; -- SET a = 1;
END;
$body$;
COMMENT ON TABLE public.t IS 'multi
-- line; comment

with hdb_catalog in it';
CREATE TABLE public.t (
    id integer NOT NULL,
    v text
);
COPY public.t (id, v) FROM stdin;
1	-- not a comment

2	\N
\.
SELECT pg_catalog.setval('public.t_id_seq', 2, true);
`

func TestClean(t *testing.T) {
	// Feed the dump in small pieces, as a pipe would.
	for _, size := range []int{1, 7, 4096} {
		var out bytes.Buffer
		c := &cleaner{w: &out}
		for s := dump; len(s) > 0; {
			n := min(size, len(s))
			if _, err := c.Write([]byte(s[:n])); err != nil {
				t.Fatal(err)
			}
			s = s[n:]
		}
		if err := c.Close(); err != nil {
			t.Fatal(err)
		}
		if out.String() != cleaned {
			t.Errorf("chunks of %d:\n%s\nwant:\n%s", size, out.String(), cleaned)
		}
	}
}

func TestDumpErrors(t *testing.T) {
	begun := false
	begin := func() io.Writer { begun = true; return io.Discard }
	d := New(Options{DatabaseURL: func(_ context.Context, s string) (string, error) {
		return "", apierr.Newf(apierr.NotFound, "source %q not found", s)
	}})
	err := d.Dump(context.Background(), []byte(`{"opts":[],"source":"x"}`), begin)
	if e := apierr.As(err); e == nil || e.Message != `source "x" not found` || begun {
		t.Fatalf("unknown source: %v", err)
	}
	d = New(Options{Program: "/nonexistent/pg_dump", DatabaseURL: func(context.Context, string) (string, error) {
		return "postgres://u:secret@127.0.0.1:1/db?pool_max_conns=4", nil
	}})
	err = d.Dump(context.Background(), []byte(`{"opts":["-s"]}`), begin)
	if e := apierr.As(err); e == nil || e.Status != 500 || e.Code != apierr.Unexpected || begun {
		t.Fatalf("missing program: %v", err)
	}
}

func TestConnArgs(t *testing.T) {
	conn, pw := connArgs("postgres://u:s%40cret@h:5432/db?sslmode=disable&pool_max_conns=4&statement_cache_capacity=0")
	if pw != "s@cret" || strings.Contains(conn, "cret") || strings.Contains(conn, "pool_") || strings.Contains(conn, "statement_cache") ||
		!strings.Contains(conn, "sslmode=disable") || !strings.HasPrefix(conn, "postgres://u@h:5432/db") {
		t.Fatalf("%q %q", conn, pw)
	}
	if conn, pw := connArgs("host=/tmp dbname=x"); conn != "host=/tmp dbname=x" || pw != "" {
		t.Fatalf("%q %q", conn, pw)
	}
}
