package metadata

import (
	"context"
	"encoding/json"

	"github.com/postgate/postgate/internal/apierr"
)

// dmlTypes are the data operations of /v1/query and /v2/query.
var dmlTypes = []string{"select", "insert", "update", "delete", "count"}

// QueryV2 answers POST /v2/query: run_sql, the data operations and bulk.
func (s *Service) QueryV2(ctx context.Context, body []byte) (json.RawMessage, error) {
	r, err := s.parseRequest(body)
	if err != nil {
		return nil, err
	}
	ops := s.queryV2Ops()
	if _, ok := ops[r.Type]; !ok {
		return nil, apierr.Newf(apierr.ParseFailed, "unknown query type %q", r.Type)
	}
	// Reads need neither the writers' lock nor a fresh catalog.
	writes := r.Type != "select" && r.Type != "count"
	return s.run(ctx, r, writes, func(o *opCtx) (any, error) {
		return o.dispatch(ops, r.Type, r.Args, "$.args")
	})
}

// QueryV1 answers POST /v1/query, the legacy API that combines metadata
// operations (without the pg_ prefix), run_sql and the data operations.
func (s *Service) QueryV1(ctx context.Context, body []byte) (json.RawMessage, error) {
	r, err := s.parseRequest(body)
	if err != nil {
		return nil, err
	}
	ops := s.queryV1Ops()
	if _, ok := ops[r.Type]; !ok {
		return nil, apierr.Newf(apierr.ParseFailed, "unknown query type %q", r.Type)
	}
	writes := !readOnlyOps[r.Type] && r.Type != "select" && r.Type != "count"
	return s.run(ctx, r, writes, func(o *opCtx) (any, error) {
		o.legacy = true
		return o.dispatch(ops, r.Type, r.Args, "$.args")
	})
}

func (s *Service) queryV2Ops() map[string]opFunc {
	ops := map[string]opFunc{"run_sql": opRunSQL}
	for _, t := range dmlTypes {
		ops[t] = opDML(t)
	}
	ops["bulk"] = opBulk(ops, false)
	return ops
}

func (s *Service) queryV1Ops() map[string]opFunc {
	md := s.metadataOps()
	ops := map[string]opFunc{"run_sql": opRunSQL}
	for name, f := range md {
		switch {
		case len(name) > 3 && name[:3] == "pg_":
			ops[name[3:]] = f
		case name != "bulk" && name != "bulk_atomic" && name != "bulk_keep_going":
			ops[name] = f
		}
	}
	for _, t := range dmlTypes {
		ops[t] = opDML(t)
	}
	ops["bulk"] = opBulk(ops, false)
	return ops
}

// opDML answers a data operation.
func opDML(kind string) opFunc {
	return func(o *opCtx, raw json.RawMessage) (any, error) {
		var a struct {
			Source string    `json:"source"`
			Table  TableName `json:"table"`
		}
		var probe map[string]json.RawMessage
		if err := decodeStrict(raw, &probe, "$"); err != nil {
			return nil, err
		}
		if probe["table"] == nil {
			return nil, required("table")
		}
		if err := decodeStrict(probe["table"], &a.Table, "$.table"); err != nil {
			return nil, err
		}
		s, err := o.source("")
		if err != nil {
			return nil, err
		}
		if s.FindTable(a.Table) == nil {
			return nil, apierr.Newf(apierr.NotExists, "table %s does not exist", a.Table.quoted()).WithPath("$.table")
		}
		return o.dml(kind, s, raw)
	}
}
