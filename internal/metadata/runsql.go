package metadata

import (
	"context"
	"encoding/json"
	"strings"

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
	if a.ReadOnly {
		// A read-only statement runs in a read-only transaction of its own.
		tx, err := o.s.data.BeginTx(ctx, pgx.TxOptions{AccessMode: pgx.ReadOnly})
		if err != nil {
			return nil, pg.MapRunSQLError(err, *a.SQL)
		}
		defer tx.Rollback(ctx) //nolint:errcheck // read only
		res, err := execAll(ctx, tx.Conn().PgConn(), *a.SQL)
		if err != nil {
			return nil, pg.MapRunSQLError(err, *a.SQL)
		}
		return res, nil
	}
	tx, err := o.dataTx()
	if err != nil {
		return nil, pg.MapRunSQLError(err, *a.SQL)
	}
	check := a.CheckMetadataConsistency == nil || *a.CheckMetadataConsistency
	var before catalog.Fingerprint
	if check {
		if before, err = catalog.TakeFingerprint(ctx, tx); err != nil {
			return nil, apierr.Internalf("run_sql: fingerprint: %v", err)
		}
	}
	res, err := execAll(ctx, tx.Conn().PgConn(), *a.SQL)
	if err != nil {
		return nil, pg.MapRunSQLError(err, *a.SQL)
	}
	o.enumCache = nil
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
			if err := o.recheck(cat, a.Cascade); err != nil {
				return nil, err
			}
			o.fp = after
		}
	}
	return res, nil
}

// recheck adopts a refreshed catalog. As in Hasura, tracked tables and
// functions that were renamed follow their new names, and those that were
// dropped are untracked with everything defined on them; other objects the
// change breaks are refused (dependency-error) or, with cascade, dropped
// from the metadata too.
func (o *opCtx) recheck(cat *catalog.Catalog, cascade bool) error {
	before := map[string]bool{}
	for _, b := range o.bad {
		before[b.Name] = true
	}
	if o.followRenames(cat) {
		o.changed, o.checked, o.base = true, nil, nil
	}
	if o.followColumnRenames(cat) {
		o.changed, o.checked, o.base = true, nil, nil
	}
	for range 100 {
		_, all := checkConsistency(o.ctx, o.md, cat, o.s.sourceName(o.md), o.enums())
		var fresh, dropped []InconsistentObject
		for _, b := range all {
			if before[b.Name] {
				continue
			}
			if b.table != nil && ((b.Type == "table" && cat.Tables[b.table.qname()] == nil) ||
				(b.Type == "function" && len(cat.Functions[b.table.qname()]) == 0)) {
				dropped = append(dropped, b)
				continue
			}
			fresh = append(fresh, b)
		}
		if len(dropped) > 0 {
			for _, d := range dropped {
				o.md.remove(d)
			}
			o.changed, o.checked, o.base = true, nil, nil
			continue
		}
		if len(fresh) == 0 {
			o.bad = all
			break
		}
		var overloaded []string
		for _, f := range fresh {
			if f.Type == "function" && f.table != nil && len(cat.Functions[f.table.qname()]) > 1 {
				overloaded = append(overloaded, f.table.display())
			}
		}
		if len(overloaded) > 0 {
			return apierr.New(apierr.NotSupported, "the following tracked function(s) cannot be overloaded: "+strings.Join(overloaded, ", "))
		}
		if !cascade {
			return dependencyError(fresh)
		}
		for _, f := range fresh {
			o.md.remove(f)
		}
		o.changed, o.checked, o.base = true, nil, nil
	}
	o.cat = cat
	o.reloadCatalog = true
	return nil
}

// followRenames renames tracked tables whose relation (same OID) now has
// another name, in the table entries and in every relationship and
// permission that refers to them. It reports whether anything changed.
func (o *opCtx) followRenames(cat *catalog.Catalog) bool {
	byOID := map[uint32]catalog.QName{}
	for n, t := range cat.Tables {
		byOID[t.OID] = n
	}
	renames := map[TableName]TableName{}
	for n, t := range o.cat.Tables {
		if cat.Tables[n] != nil {
			continue
		}
		if nn, ok := byOID[t.OID]; ok && t.OID != 0 {
			renames[fromQName(n)] = fromQName(nn)
		}
	}
	if len(renames) == 0 {
		return false
	}
	ren := func(n *TableName) {
		if nn, ok := renames[*n]; ok {
			*n = nn
		}
	}
	changed := false
	for _, s := range o.md.Sources {
		if s.Name != o.s.sourceName(o.md) {
			continue
		}
		for _, t := range s.Tables {
			if _, ok := renames[t.Table]; ok {
				changed = true
			}
			ren(&t.Table)
			for _, r := range t.ObjectRelationships {
				if m := r.Using.ManualConfiguration; m != nil {
					ren(&m.RemoteTable)
				} else if fk, err := ParseFKOn(r.Using.ForeignKeyConstraintOn); err == nil && fk.Table != nil {
					if nn, ok := renames[*fk.Table]; ok {
						var rf RemoteFK
						_ = json.Unmarshal(r.Using.ForeignKeyConstraintOn, &rf)
						rf.Table = nn
						r.Using.ForeignKeyConstraintOn = rawJSON(rf)
					}
				}
			}
			for _, r := range t.ArrayRelationships {
				if m := r.Using.ManualConfiguration; m != nil {
					ren(&m.RemoteTable)
				} else if fk := r.Using.ForeignKeyConstraintOn; fk != nil {
					ren(&fk.Table)
				}
			}
		}
	}
	return changed
}

// execAll runs sql with the simple protocol and converts the last
// statement's result: rows (column names first, values as text, SQL NULL
// as the string "NULL", as Hasura writes it) or CommandOk, as libpq's
// PQexec reports them.
func execAll(ctx context.Context, conn *pgconn.PgConn, sql string) (sqlResult, error) {
	mrr := conn.Exec(ctx, sql)
	res := sqlResult{ResultType: "CommandOk"}
	for mrr.NextResult() {
		rr := mrr.ResultReader()
		fds := rr.FieldDescriptions()
		var out [][]*string
		if len(fds) > 0 {
			head := make([]*string, len(fds))
			for i, f := range fds {
				name := f.Name
				head[i] = &name
			}
			out = append(out, head)
		}
		for rr.NextRow() {
			vals := make([]*string, len(rr.Values()))
			for i, v := range rr.Values() {
				s := "NULL" // as Hasura writes SQL NULL
				if v != nil {
					s = string(v)
				}
				vals[i] = &s
			}
			out = append(out, vals)
		}
		if _, err := rr.Close(); err != nil {
			_ = mrr.Close()
			return res, err
		}
		if len(fds) > 0 {
			res = sqlResult{ResultType: "TuplesOk", Result: out}
		} else {
			res = sqlResult{ResultType: "CommandOk"}
		}
	}
	return res, mrr.Close()
}

// followColumnRenames renames columns of tracked tables that kept their
// position but changed name, wherever the metadata names them: the table's
// permissions and customisation, and relationships on either side. It
// reports whether anything changed.
func (o *opCtx) followColumnRenames(cat *catalog.Catalog) bool {
	s := o.md.Source(o.s.sourceName(o.md))
	if s == nil {
		return false
	}
	changed := false
	for _, t := range s.Tables {
		oldT, newT := o.cat.Tables[t.Table.qname()], cat.Tables[t.Table.qname()]
		if oldT == nil || newT == nil || oldT.OID != newT.OID {
			continue
		}
		for _, oc := range oldT.Columns {
			if newT.Column(oc.Name) != nil {
				continue
			}
			for _, nc := range newT.Columns {
				if nc.Ordinal == oc.Ordinal && oldT.Column(nc.Name) == nil {
					renameColumn(s, t, oc.Name, nc.Name)
					changed = true
				}
			}
		}
	}
	return changed
}

// renameColumn renames column from of table t to to in the metadata of s.
func renameColumn(s *Source, t *Table, from, to string) {
	ren := func(list []string) {
		for i, c := range list {
			if c == from {
				list[i] = to
			}
		}
	}
	renMap := func(m map[string]any) {
		if v, ok := m[from]; ok {
			delete(m, from)
			m[to] = v
		}
	}
	renameInPermissions(t, from, to)
	for _, p := range t.SelectPermissions {
		ren(p.Permission.Columns.Names)
	}
	for _, p := range t.InsertPermissions {
		ren(p.Permission.Columns.Names)
		renMap(p.Permission.Set)
	}
	for _, p := range t.UpdatePermissions {
		ren(p.Permission.Columns.Names)
		renMap(p.Permission.Set)
	}
	if c := t.Configuration; c != nil {
		if v, ok := c.ColumnConfig[from]; ok {
			delete(c.ColumnConfig, from)
			c.ColumnConfig[to] = v
		}
		if v, ok := c.CustomColumnNames[from]; ok {
			delete(c.CustomColumnNames, from)
			c.CustomColumnNames[to] = v
		}
	}
	for _, r := range t.ObjectRelationships {
		if m := r.Using.ManualConfiguration; m != nil {
			if v, ok := m.ColumnMapping[from]; ok {
				delete(m.ColumnMapping, from)
				m.ColumnMapping[to] = v
			}
			continue
		}
		var col string
		var cols []string
		switch {
		case json.Unmarshal(r.Using.ForeignKeyConstraintOn, &col) == nil && col == from:
			r.Using.ForeignKeyConstraintOn = rawJSON(to)
		case json.Unmarshal(r.Using.ForeignKeyConstraintOn, &cols) == nil:
			ren(cols)
			r.Using.ForeignKeyConstraintOn = rawJSON(cols)
		}
	}
	for _, r := range t.ArrayRelationships {
		if m := r.Using.ManualConfiguration; m != nil {
			if v, ok := m.ColumnMapping[from]; ok {
				delete(m.ColumnMapping, from)
				m.ColumnMapping[to] = v
			}
		}
	}
	// Relationships of every table that point at t's columns.
	for _, other := range s.Tables {
		for _, r := range other.ObjectRelationships {
			if m := r.Using.ManualConfiguration; m != nil && m.RemoteTable == t.Table {
				for k, v := range m.ColumnMapping {
					if v == from {
						m.ColumnMapping[k] = to
					}
				}
			} else if fk, err := ParseFKOn(r.Using.ForeignKeyConstraintOn); err == nil && fk.Table != nil && *fk.Table == t.Table {
				var rf RemoteFK
				if json.Unmarshal(r.Using.ForeignKeyConstraintOn, &rf) == nil {
					if rf.Column == from {
						rf.Column = to
					}
					ren(rf.Columns)
					r.Using.ForeignKeyConstraintOn = rawJSON(rf)
				}
			}
		}
		for _, r := range other.ArrayRelationships {
			if m := r.Using.ManualConfiguration; m != nil && m.RemoteTable == t.Table {
				for k, v := range m.ColumnMapping {
					if v == from {
						m.ColumnMapping[k] = to
					}
				}
			} else if fk := r.Using.ForeignKeyConstraintOn; fk != nil && fk.Table == t.Table {
				if fk.Column == from {
					fk.Column = to
				}
				ren(fk.Columns)
			}
		}
	}
}
