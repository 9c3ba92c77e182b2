package metadata

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"

	"github.com/jackc/pgx/v5"
	"github.com/postgate/postgate/internal/apierr"
	"github.com/postgate/postgate/internal/catalog"
	"github.com/postgate/postgate/internal/pg"
)

// request is the envelope of every metadata and query API call.
type request struct {
	Type            string          `json:"type"`
	Args            json.RawMessage `json:"args"`
	ResourceVersion *int64          `json:"resource_version"`
	Version         int             `json:"version"`
	// Source is sent by some clients beside bulk requests; it is ignored
	// (each operation names its own source).
	Source string `json:"source"`
}

// opFunc runs one operation on the working state and returns its result.
type opFunc func(o *opCtx, args json.RawMessage) (any, error)

// opCtx is the working state of one API request: a private copy of the
// stored metadata that operations edit, and what is known about it.
type opCtx struct {
	ctx context.Context
	s   *Service
	// md is the working copy of the stored metadata. Its tables are
	// shared with the published snapshot until owned (see own).
	md *Metadata
	// owned holds the tables of md this request made (clones or new
	// tables), which it may modify; ownsAll is set when every table is.
	owned   map[*Table]bool
	ownsAll bool
	// cat is the data database's catalog.
	cat *catalog.Catalog
	// bad lists md's inconsistent objects as last checked.
	bad []InconsistentObject
	// changed is set when md was modified.
	changed bool
	// checked is the consistency check of md made by the last operation
	// when nothing changed md since (nil otherwise), so that publishing the
	// result does not check the whole metadata a second time.
	checked *checkResult
	// base is the check of md as it stands, for a change within the
	// running operation (checked as it was when the operation started, or
	// as the operation's last check left it; nil when md changed since).
	base *checkResult
	// version is the stored resource_version the request started from.
	version int64
	// v2 is set for requests with "version": 2.
	v2 bool
	// reloadCatalog publishes a new snapshot (with cat) even when md did
	// not change.
	reloadCatalog bool
	// legacy is set for /v1/query, whose messages predate sources.
	legacy bool
	// fp is the fingerprint of cat.
	fp catalog.Fingerprint
	// enumCache holds enum table values read during this request; data
	// changes (run_sql, data operations) clear it.
	enumCache map[catalog.QName][]string
	// raw is the stored document when it could not be decoded.
	raw json.RawMessage
	// tx is the data database transaction the request's SQL and data
	// operations share; it commits when the whole request succeeded.
	tx pgx.Tx
}

// dataTx returns the request's data transaction, beginning it if needed.
func (o *opCtx) dataTx() (pgx.Tx, error) {
	if o.tx == nil {
		tx, err := o.s.data.Begin(o.ctx)
		if err != nil {
			return nil, err
		}
		o.tx = tx
	}
	return o.tx, nil
}

// enums reads enum table values, once per table until the data changes.
func (o *opCtx) enums() enumFetcher {
	fetch := fetchEnumValues(o.querier())
	return func(ctx context.Context, t *catalog.Table, pk, comment string) ([]string, error) {
		if v, ok := o.enumCache[t.Name]; ok {
			return v, nil
		}
		v, err := fetch(ctx, t, pk, comment)
		if err == nil {
			if o.enumCache == nil {
				o.enumCache = map[catalog.QName][]string{}
			}
			o.enumCache[t.Name] = v
		}
		return v, err
	}
}

// dataQuerier is what the operations need of the data database; both a
// pool and a transaction provide it.
type dataQuerier interface {
	Query(ctx context.Context, sql string, args ...any) (pgx.Rows, error)
	QueryRow(ctx context.Context, sql string, args ...any) pgx.Row
}

// querier reads the data database: through the request's transaction when
// one is open, so that its uncommitted changes are seen.
func (o *opCtx) querier() dataQuerier {
	if o.tx != nil {
		return o.tx
	}
	return o.s.data
}

// unreadableOK lists the operations allowed while the stored document
// cannot be decoded.
var unreadableOK = map[string]bool{
	"export_metadata": true, "get_inconsistent_metadata": true, "replace_metadata": true, "clear_metadata": true,
	"get_catalog_state": true, "set_catalog_state": true, "run_sql": true, "reload_metadata": true,
}

// successMsg is Hasura's reply to a successful change.
var successMsg = map[string]string{"message": "success"}

// parseRequest decodes an API envelope.
func (s *Service) parseRequest(body []byte) (*request, error) {
	if len(body) > s.opts.MaxBodyBytes {
		return nil, apierr.From(apierr.ErrBodyTooLarge)
	}
	var raw any
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.UseNumber()
	if err := dec.Decode(&raw); err != nil || dec.More() {
		return nil, apierr.New(apierr.InvalidJSON, "invalid json").Wrap(err)
	}
	if _, ok := raw.(map[string]any); !ok {
		return nil, apierr.New(apierr.ParseFailed, fmt.Sprintf("expected Object, but encountered %s", jsonKind(raw)))
	}
	var r request
	if err := decodeStrict(body, &r, "$"); err != nil {
		return nil, err
	}
	if r.Type == "" {
		return nil, apierr.New(apierr.ParseFailed, `key "type" not found`)
	}
	return &r, nil
}

// Metadata answers POST /v1/metadata.
func (s *Service) Metadata(ctx context.Context, body []byte) (json.RawMessage, error) {
	r, err := s.parseRequest(body)
	if err != nil {
		return nil, err
	}
	if r.Version != 0 && r.Version != 1 && r.Version != 2 {
		return nil, apierr.Newf(apierr.ParseFailed, "unexpected version %d", r.Version)
	}
	ops := s.metadataOps()
	if _, ok := ops[r.Type]; !ok {
		return nil, unknownCommand(r.Type)
	}
	return s.run(ctx, r, !readOnlyOps[r.Type], func(o *opCtx) (any, error) {
		o.v2 = r.Version == 2
		return o.dispatch(ops, r.Type, r.Args, "$.args")
	})
}

// unknownCommand is Hasura's error for an unknown metadata "type".
func unknownCommand(t string) *apierr.Error {
	if backend, cmd, ok := strings.Cut(t, "_"); ok && backend == "pg" {
		return apierr.Newf(apierr.ParseFailed, "unknown metadata command %q for backend postgres", cmd)
	}
	prefix, _, _ := strings.Cut(t, "_")
	return apierr.Newf(apierr.ParseFailed, "unknown metadata command %q; %q was not recognized as a valid backend name", t, prefix)
}

// run executes fn on a working copy of the current metadata under the
// writer lock, then stores and publishes the result when it changed.
func (s *Service) run(ctx context.Context, r *request, freshCatalog bool, fn func(o *opCtx) (any, error)) (json.RawMessage, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	var mtx pgx.Tx
	if freshCatalog {
		// Writers of every instance take turns (a transaction-scoped
		// advisory lock on the metadata database), so a change never
		// conflicts with another instance's unless the caller named a
		// stale resource_version.
		var err error
		if mtx, err = s.store.lock(ctx); err != nil {
			return nil, apierr.Internalf("metadata: lock: %v", err)
		}
		defer mtx.Rollback(ctx) //nolint:errcheck // rollback after commit is a no-op
	}
	if _, err := s.refreshLocked(ctx); err != nil {
		return nil, apierr.Internalf("metadata: refresh: %v", err)
	}
	cur := s.Current()
	if r.ResourceVersion != nil && *r.ResourceVersion != cur.Version {
		return nil, conflict(*r.ResourceVersion)
	}
	if cur.unreadable != nil && !unreadableOK[r.Type] {
		return nil, apierr.New(apierr.InvalidConfig, "the stored metadata could not be read; replace it with replace_metadata or clear_metadata").WithInternal(cur.unreadable.Error())
	}
	o := &opCtx{ctx: ctx, s: s, md: cur.Stored.share(), cat: cur.Catalog, bad: cur.Inconsistent, version: cur.Version, fp: cur.fp, raw: cur.raw}
	if cur.unreadable == nil && cur.raw == nil && cur.Metadata != nil && cur.Stored != nil {
		// The published snapshot is the check of md (a copy of Stored).
		o.checked = &checkResult{md: o.md, cat: cur.Catalog, good: cur.Metadata, bad: cur.Inconsistent}
	}
	if freshCatalog {
		// Schema changes made outside Postgate since the last request are
		// seen at once, as Hasura sees them.
		fp, err := catalog.TakeFingerprint(ctx, s.data)
		if err != nil {
			return nil, apierr.Internalf("metadata: fingerprint: %v", err)
		}
		if ch := catalog.Diff(o.fp, fp); !ch.Empty() {
			cat, err := o.cat.Refresh(ctx, s.data, ch)
			if err != nil {
				return nil, apierr.Internalf("metadata: introspect: %v", err)
			}
			o.cat, o.fp = cat, fp
			_, o.bad = checkConsistency(ctx, o.md, cat, s.sourceName(o.md), fetchEnumValues(s.data))
			o.reloadCatalog = true
		}
	}
	defer func() {
		if o.tx != nil {
			_ = o.tx.Rollback(ctx)
		}
	}()
	res, err := fn(o)
	if err != nil {
		return nil, err
	}
	if o.tx != nil {
		if err := o.tx.Commit(ctx); err != nil {
			return nil, pg.MapRunSQLError(err, "COMMIT")
		}
		o.tx = nil
	}
	if o.raw != nil {
		// The stored document is still unreadable: never overwrite it.
		if err := s.reload(ctx); err != nil {
			return nil, apierr.Internalf("metadata: reload: %v", err)
		}
		return rawJSON(res), nil
	}
	var enc encoding
	if o.changed {
		var err error
		enc, err = s.enc.encode(ctx, o.md)
		if err != nil {
			return nil, apierr.Internalf("metadata: encode: %v", err)
		}
		rv, err := s.store.save(ctx, mtx, enc.doc, o.version)
		if err != nil {
			if e := apierr.As(err); e != nil {
				return nil, e
			}
			return nil, apierr.Internalf("metadata: save: %v", err)
		}
		o.version = rv
	}
	if mtx != nil {
		if err := mtx.Commit(ctx); err != nil {
			return nil, apierr.Internalf("metadata: commit: %v", err)
		}
	}
	if o.changed {
		// o.md is published below and never modified again.
		s.enc.commit(enc)
	}
	if o.changed || o.reloadCatalog {
		var snap *Snapshot
		if c := o.checked; c != nil && c.md == o.md && c.cat == o.cat {
			snap = s.snapshot(o.md, o.version, o.cat, c.good, c.bad)
		} else {
			snap = s.build(ctx, o.md, o.version, o.cat, s.data)
		}
		snap.fp = o.fp
		s.publish(snap)
	}
	return rawJSON(res), nil
}

// dispatch runs one operation; path is the JSON path of its args, used to
// place errors.
func (o *opCtx) dispatch(ops map[string]opFunc, typ string, args json.RawMessage, path string) (any, error) {
	f, ok := ops[typ]
	if !ok {
		return nil, unknownCommand(typ)
	}
	if !sharesTables(typ) {
		o.ownAll()
	}
	// The operation may change md before checking it; the check of md as
	// it stands now is its base.
	o.base, o.checked = o.checked, nil
	res, err := f(o, args)
	if err != nil {
		return nil, placeError(err, path)
	}
	return res, nil
}

// placeError rewrites an error's path (relative to the operation's args,
// "$" meaning the args themselves) to its place in the request.
func placeError(err error, path string) error {
	e := apierr.As(err)
	if e == nil || e.Code == apierr.ConflictCode || e.Code == apierr.PostgresError {
		return err
	}
	if e.Path == "" || e.Path == "$" {
		e.Path = path
	} else if strings.HasPrefix(e.Path, "$") && !strings.HasPrefix(e.Path, "$.args") {
		e.Path = path + strings.TrimPrefix(e.Path, "$")
	}
	return e
}

// changedMetadata records that md was modified and checks that the change
// made no object inconsistent; otherwise the change is refused with the
// first new inconsistency, as Hasura does.
func (o *opCtx) changedMetadata() error {
	o.changed, o.checked, o.base = true, nil, nil
	good, fresh, all := o.check()
	if len(fresh) > 0 {
		return inconsistencyError(fresh)
	}
	o.bad = all
	o.checked = &checkResult{md: o.md, cat: o.cat, good: good, bad: all}
	// A further change in the same operation starts from this check.
	o.base = o.checked
	return nil
}

// checkResult is a consistency check of md against cat: the consistent
// part and the inconsistent objects.
type checkResult struct {
	md, good *Metadata
	cat      *catalog.Catalog
	bad      []InconsistentObject
}

// inconsistencyError is Hasura's error for a change that would make objects
// inconsistent: the first reason, with every new object in "internal".
func inconsistencyError(objs []InconsistentObject) *apierr.Error {
	list := make([]any, len(objs))
	for i, b := range objs {
		list[i] = b.errorEntry()
	}
	reasons := make([]string, 0, 1)
	reasons = append(reasons, objs[0].Reason)
	for _, b := range objs[1:] {
		if b.Name == objs[0].Name {
			reasons = append(reasons, b.Reason)
		}
	}
	e := apierr.New(apierr.ConstraintViolation, strings.Join(reasons, ", ")).WithInternal(list)
	e.InternalPublic = true
	return e
}

// decodeStrict decodes b into v, rejecting unknown keys and wrong types with
// Hasura's parse-failed error at the offending path (relative to base).
func decodeStrict(b []byte, v any, base string) error {
	b = bytes.TrimSpace(b)
	if len(b) == 0 {
		b = []byte("null")
	}
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return parseError(err, base)
	}
	if dec.More() {
		return apierr.New(apierr.ParseFailed, "unexpected data after the JSON value").WithPath(base)
	}
	return nil
}

// parseError turns a JSON decoding error into parse-failed.
func parseError(err error, base string) *apierr.Error {
	if e := apierr.JSONTypeError(err, base); e != nil {
		return e
	}
	var se *json.SyntaxError
	if errors.As(err, &se) {
		return apierr.New(apierr.InvalidJSON, "invalid json").WithPath(base).Wrap(err)
	}
	msg := err.Error()
	if f, ok := strings.CutPrefix(msg, "json: unknown field "); ok {
		return apierr.Newf(apierr.ParseFailed, "unexpected key %s", f).WithPath(base).Wrap(err)
	}
	msg = strings.TrimPrefix(msg, "json: ")
	return apierr.New(apierr.ParseFailed, msg).WithPath(base).Wrap(err)
}

// jsonKind names the JSON type of a decoded value.
func jsonKind(v any) string {
	switch v.(type) {
	case nil:
		return "Null"
	case string:
		return "String"
	case bool:
		return "Boolean"
	case json.Number, float64:
		return "Number"
	case []any:
		return "Array"
	}
	return "Object"
}

// required reports a missing key.
func required(key string) *apierr.Error {
	return apierr.Newf(apierr.ParseFailed, "key %q not found", key)
}
