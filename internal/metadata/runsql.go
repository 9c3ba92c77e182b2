package metadata

import (
	"encoding/json"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/postgate/postgate/internal/apierr"
	"github.com/postgate/postgate/internal/catalog"
	"github.com/postgate/postgate/internal/pg"
)

// runSQLArgs are run_sql's arguments.
type runSQLArgs struct {
	SQL                      *string `json:"sql"`
	Cascade                  bool    `json:"cascade"`
	ReadOnly                 bool    `json:"read_only"`
	CheckMetadataConsistency *bool   `json:"check_metadata_consistency"`
	Source                   string  `json:"source"`
}

// sqlResult is run_sql's reply.
type sqlResult struct {
	ResultType string      `json:"result_type"`
	Result     [][]*string `json:"result"`
}

// opRunSQL runs SQL statements (simple protocol, so several may be given)
// in one transaction on the data database. When the statements change the
// schema, the catalog is refreshed and the metadata re-checked before
// commit: objects the change would break are a dependency-error (the
// transaction is rolled back), or with cascade are dropped from the metadata.
func opRunSQL(o *opCtx, raw json.RawMessage) (any, error) {
	var a runSQLArgs
	if err := decodeStrict(raw, &a, "$"); err != nil {
		return nil, err
	}
	if a.SQL == nil {
		return nil, required("sql")
	}
	if _, err := o.source(a.Source); err != nil {
		return nil, err
	}
	ctx := o.ctx
	mode := pgx.ReadWrite
	if a.ReadOnly {
		mode = pgx.ReadOnly
	}
	tx, err := o.s.data.BeginTx(ctx, pgx.TxOptions{AccessMode: mode})
	if err != nil {
		return nil, pg.MapRunSQLError(err, *a.SQL)
	}
	defer tx.Rollback(ctx) //nolint:errcheck // rollback after commit is a no-op
	check := !a.ReadOnly && (a.CheckMetadataConsistency == nil || *a.CheckMetadataConsistency)
	var before catalog.Fingerprint
	if check {
		if before, err = catalog.TakeFingerprint(ctx, tx); err != nil {
			return nil, apierr.Internalf("run_sql: fingerprint: %v", err)
		}
	}
	results, err := tx.Conn().PgConn().Exec(ctx, *a.SQL).ReadAll()
	if err != nil {
		return nil, pg.MapRunSQLError(err, *a.SQL)
	}
	res := sqlResult{ResultType: "CommandOk"}
	if n := len(results); n > 0 {
		res = toSQLResult(results[n-1])
	}
	if check {
		after, err := catalog.TakeFingerprint(ctx, tx)
		if err != nil {
			return nil, pg.MapRunSQLError(err, *a.SQL)
		}
		if ch := catalog.Diff(before, after); !ch.Empty() {
			cat, err := o.cat.Refresh(ctx, tx, ch)
			if err != nil {
				return nil, apierr.Internalf("run_sql: refresh catalog: %v", err)
			}
			if err := o.recheck(cat, tx, a.Cascade); err != nil {
				return nil, err
			}
			o.fp = after
		}
	}
	if err := tx.Commit(ctx); err != nil {
		return nil, pg.MapRunSQLError(err, *a.SQL)
	}
	return res, nil
}

// recheck adopts a refreshed catalog: objects it newly breaks are refused
// (dependency-error) or, with cascade, dropped from the metadata.
func (o *opCtx) recheck(cat *catalog.Catalog, qr catalog.Querier, cascade bool) error {
	before := map[string]bool{}
	for _, b := range o.bad {
		before[b.Name] = true
	}
	removed := false
	for range 100 {
		_, all := checkConsistency(o.ctx, o.md, cat, o.s.opts.Source, fetchEnumValues(qr))
		var fresh []InconsistentObject
		for _, b := range all {
			if !before[b.Name] {
				fresh = append(fresh, b)
			}
		}
		if len(fresh) == 0 {
			o.bad = all
			break
		}
		if !cascade {
			return dependencyError(fresh)
		}
		for _, f := range fresh {
			o.md.remove(f)
		}
		removed = true
	}
	o.cat = cat
	o.reloadCatalog = true
	if removed {
		o.changed = true
	}
	return nil
}

// toSQLResult converts the last statement's result: rows (column names
// first, values as text, NULL as null) or CommandOk.
func toSQLResult(r *pgconn.Result) sqlResult {
	if len(r.FieldDescriptions) == 0 {
		return sqlResult{ResultType: "CommandOk"}
	}
	out := make([][]*string, 0, len(r.Rows)+1)
	head := make([]*string, len(r.FieldDescriptions))
	for i, f := range r.FieldDescriptions {
		name := f.Name
		head[i] = &name
	}
	out = append(out, head)
	for _, row := range r.Rows {
		vals := make([]*string, len(row))
		for i, v := range row {
			if v != nil {
				s := string(v)
				vals[i] = &s
			}
		}
		out = append(out, vals)
	}
	return sqlResult{ResultType: "TuplesOk", Result: out}
}
