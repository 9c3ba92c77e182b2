// Package pgdump serves Hasura's /v1alpha1/pg_dump: it runs the pg_dump
// program against a source's database with the options the request names
// (only options that shape the dump; never an output file, a connection
// setting or a shell) and streams the dump back. With clean_output it drops
// what Hasura drops: comments, empty lines, pg_dump's SET preamble and the
// objects of Hasura's own hdb_catalog schema (such as event trigger
// triggers), so the CLI can write the result as a migration.
package pgdump

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"strings"
	"sync"

	"github.com/postgate/postgate/internal/apierr"
	"github.com/postgate/postgate/internal/pgcluster"
)

// ContentType is the type of a dump response (Hasura's).
const ContentType = "application/sql; charset=utf-8"

// Request is the body of POST /v1alpha1/pg_dump.
type Request struct {
	// Opts are pg_dump's command-line options, such as
	// ["-O", "-x", "--schema-only", "--schema", "public"].
	Opts []string `json:"opts"`
	// CleanOutput drops comments, empty lines, the SET preamble and
	// hdb_catalog objects from the dump.
	CleanOutput bool `json:"clean_output"`
	// Source names the database source (default "default").
	Source string `json:"source"`
}

// Options configure a Dumper.
type Options struct {
	// DatabaseURL returns the connection string of a source, or an error
	// (an *apierr.Error for an unknown source).
	DatabaseURL func(ctx context.Context, source string) (string, error)
	// Program is the pg_dump executable; empty means the first pg_dump found
	// by pgcluster.FindProgram.
	Program string
}

// Dumper answers pg_dump requests.
type Dumper struct {
	opts Options
	once sync.Once
	prog string
	err  error
}

// New returns a Dumper.
func New(o Options) *Dumper { return &Dumper{opts: o} }

// program finds pg_dump once.
func (d *Dumper) program() (string, error) {
	d.once.Do(func() {
		if d.opts.Program != "" {
			d.prog = d.opts.Program
			return
		}
		d.prog, d.err = pgcluster.FindProgram("pg_dump")
	})
	return d.prog, d.err
}

// ParseRequest decodes and checks a request body.
func ParseRequest(body []byte) (*Request, error) {
	var probe map[string]json.RawMessage
	if err := json.Unmarshal(body, &probe); err != nil || probe == nil {
		return nil, apierr.New(apierr.ParseFailed, "expected Object")
	}
	if _, ok := probe["opts"]; !ok {
		return nil, apierr.New(apierr.ParseFailed, `key "opts" not found`)
	}
	var r Request
	if err := json.Unmarshal(probe["opts"], &r.Opts); err != nil {
		return nil, apierr.New(apierr.ParseFailed, "expected Array of String").WithPath("$.opts")
	}
	if v, ok := probe["clean_output"]; ok && string(v) != "null" {
		if err := json.Unmarshal(v, &r.CleanOutput); err != nil {
			return nil, apierr.New(apierr.ParseFailed, "expected Boolean").WithPath("$.clean_output")
		}
	}
	if v, ok := probe["source"]; ok && string(v) != "null" {
		if err := json.Unmarshal(v, &r.Source); err != nil {
			return nil, apierr.New(apierr.ParseFailed, "expected String").WithPath("$.source")
		}
	}
	if r.Source == "" {
		r.Source = "default"
	}
	if err := CheckOptions(r.Opts); err != nil {
		return nil, err
	}
	return &r, nil
}

// flagOptions are the pg_dump options without a value that may be passed.
var flagOptions = map[string]bool{
	"-O": true, "--no-owner": true, "-x": true, "--no-privileges": true, "--no-acl": true,
	"-s": true, "--schema-only": true, "-a": true, "--data-only": true,
	"--inserts": true, "--column-inserts": true, "--attribute-inserts": true,
	"-c": true, "--clean": true, "--if-exists": true, "-C": true, "--create": true,
	"--no-comments": true, "--no-publications": true, "--no-subscriptions": true,
	"--no-security-labels": true, "--no-tablespaces": true, "--no-table-access-method": true,
	"--no-toast-compression": true, "--no-unlogged-table-data": true, "--no-sync": true,
	"--quote-all-identifiers": true, "--disable-triggers": true, "--disable-dollar-quoting": true,
	"--on-conflict-do-nothing": true, "--load-via-partition-root": true, "--enable-row-security": true,
	"-b": true, "--blobs": true, "--large-objects": true, "-B": true, "--no-blobs": true, "--no-large-objects": true,
	"--use-set-session-authorization": true, "--serializable-deferrable": true,
	"--strict-names": true, "--no-synchronized-snapshots": true,
}

// valueOptions are the pg_dump options taking a value that may be passed,
// as "-n public", "-npublic", "--schema public" or "--schema=public".
var valueOptions = map[string]bool{
	"-n": true, "--schema": true, "-N": true, "--exclude-schema": true,
	"-t": true, "--table": true, "-T": true, "--exclude-table": true,
	"--exclude-table-data": true, "--exclude-table-and-children": true,
	"--table-and-children": true, "--exclude-table-data-and-children": true,
	"-e": true, "--extension": true, "--exclude-extension": true,
	"--section": true, "--rows-per-insert": true, "--lock-wait-timeout": true,
	"--extra-float-digits": true, "--include-foreign-data": true,
}

// CheckOptions accepts only options that shape the dump: it refuses output
// files and formats, connection settings, roles, snapshots, parallelism and
// positional arguments. pg_dump runs without a shell, so values are never
// interpreted beyond pg_dump's own parsing.
func CheckOptions(opts []string) error {
	for i := 0; i < len(opts); i++ {
		o := opts[i]
		path := fmt.Sprintf("$.opts[%d]", i)
		refuse := func() error {
			return apierr.Newf(apierr.NotSupported, "pg_dump option %q is not allowed", o).WithPath(path)
		}
		switch {
		case flagOptions[o]:
		case valueOptions[o]:
			if i+1 >= len(opts) {
				return apierr.Newf(apierr.BadRequest, "pg_dump option %q needs a value", o).WithPath(path)
			}
			i++
		case strings.HasPrefix(o, "--"):
			name, _, ok := strings.Cut(o, "=")
			if !ok || !valueOptions[name] {
				return refuse()
			}
		case len(o) > 2 && o[0] == '-' && valueOptions[o[:2]]:
			// a short option with its value attached, such as -npublic
		default:
			return refuse()
		}
	}
	return nil
}

// Dump runs pg_dump for the request body and writes the dump to the writer
// that begin returns; begin is called once, just before the first byte (or
// at the end when the dump is empty). An error returned before begin was
// called is an *apierr.Error for the client; after it, the dump is cut short.
func (d *Dumper) Dump(ctx context.Context, body []byte, begin func() io.Writer) error {
	req, err := ParseRequest(body)
	if err != nil {
		return err
	}
	if d.opts.DatabaseURL == nil {
		return apierr.Newf(apierr.NotFound, "source %q not found", req.Source)
	}
	dbURL, err := d.opts.DatabaseURL(ctx, req.Source)
	if err != nil {
		return err
	}
	prog, err := d.program()
	if err != nil {
		return failure("internal exception while executing pg_dump", err.Error(), err)
	}
	conn, password := connArgs(dbURL)
	args := append([]string{"--dbname=" + conn, "--encoding=UTF8"}, req.Opts...)
	cmd := exec.CommandContext(ctx, prog, args...)
	cmd.Env = append(os.Environ(), "PGCONNECT_TIMEOUT=10")
	if password != "" {
		cmd.Env = append(cmd.Env, "PGPASSWORD="+password)
	}
	out := &lazyWriter{begin: begin}
	var sink io.Writer = out
	var clean *cleaner
	if req.CleanOutput {
		clean = &cleaner{w: out}
		sink = clean
	}
	stderr := &limitedBuffer{max: 64 << 10}
	cmd.Stdout, cmd.Stderr = sink, stderr
	runErr := cmd.Run()
	if runErr == nil && clean != nil {
		runErr = clean.Close()
	}
	if runErr != nil {
		if out.w != nil {
			return fmt.Errorf("pg_dump: %w: %s", runErr, strings.TrimSpace(stderr.String()))
		}
		var exit *exec.ExitError
		if errors.As(runErr, &exit) {
			return failure("error while executing pg_dump", stderr.String(), runErr)
		}
		return failure("internal exception while executing pg_dump", runErr.Error(), runErr)
	}
	if out.w == nil {
		out.w = begin()
	}
	return nil
}

// failure is Hasura's 500 for a pg_dump that could not run or failed: the
// message, with pg_dump's standard error (or the cause) as the internal
// detail admins see.
func failure(msg, internal string, cause error) *apierr.Error {
	return &apierr.Error{Status: http.StatusInternalServerError, Code: apierr.Unexpected,
		Message: msg, Path: "$", Internal: internal, Err: cause}
}

// pgxOnlyParams are connection-string parameters of the pgx driver that
// libpq (and so pg_dump) rejects.
var pgxOnlyParams = []string{"pool_", "statement_cache_", "description_cache_", "default_query_exec_mode"}

// connArgs turns a database URL into a libpq connection string for
// pg_dump, moving a password out of it (into PGPASSWORD, so that it is not
// visible in the process list) and dropping pgx-only parameters.
func connArgs(dbURL string) (conn, password string) {
	u, err := url.Parse(dbURL)
	if err != nil || (u.Scheme != "postgres" && u.Scheme != "postgresql") {
		return dbURL, ""
	}
	if u.User != nil {
		if p, ok := u.User.Password(); ok {
			password = p
			u.User = url.User(u.User.Username())
		}
	}
	q := u.Query()
	for k := range q {
		for _, p := range pgxOnlyParams {
			if strings.HasPrefix(k, p) {
				q.Del(k)
			}
		}
	}
	u.RawQuery = q.Encode()
	return u.String(), password
}

// lazyWriter calls begin on the first write.
type lazyWriter struct {
	begin func() io.Writer
	w     io.Writer
}

func (l *lazyWriter) Write(p []byte) (int, error) {
	if len(p) == 0 {
		return 0, nil
	}
	if l.w == nil {
		l.w = l.begin()
	}
	return l.w.Write(p)
}

// limitedBuffer keeps the first max bytes written to it.
type limitedBuffer struct {
	buf bytes.Buffer
	max int
}

func (b *limitedBuffer) Write(p []byte) (int, error) {
	if room := b.max - b.buf.Len(); room > 0 {
		if len(p) > room {
			b.buf.Write(p[:room])
		} else {
			b.buf.Write(p)
		}
	}
	return len(p), nil
}

func (b *limitedBuffer) String() string { return b.buf.String() }
