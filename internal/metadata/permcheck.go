package metadata

import (
	"bytes"
	"encoding/json"
	"fmt"
	"sort"
	"strings"

	"github.com/postgate/postgate/internal/catalog"
)

// boolOperators are the comparison operators a permission filter may use.
var boolOperators = map[string]bool{
	"_eq": true, "_ne": true, "_neq": true, "_gt": true, "_lt": true, "_gte": true, "_lte": true,
	"_in": true, "_nin": true, "_like": true, "_nlike": true, "_ilike": true, "_nilike": true,
	"_similar": true, "_nsimilar": true, "_regex": true, "_nregex": true, "_iregex": true, "_niregex": true,
	"_is_null": true, "_contains": true, "_contained_in": true, "_has_key": true, "_has_keys_any": true,
	"_has_keys_all": true, "_ceq": true, "_cne": true, "_cneq": true, "_cgt": true, "_clt": true, "_cgte": true, "_clte": true,
	"_st_contains": true, "_st_crosses": true, "_st_equals": true, "_st_intersects": true, "_st_overlaps": true,
	"_st_touches": true, "_st_within": true, "_st_d_within": true, "_st_3d_d_within": true, "_st_3d_intersects": true,
	"_st_intersects_rast": true, "_st_intersects_nband_geom": true, "_st_intersects_geom_nband": true,
	"_ancestor": true, "_ancestor_any": true, "_descendant": true, "_descendant_any": true, "_matches": true,
	"_matches_any": true, "_matches_fulltext": true, "_cast": true, "_similar_to": true,
	"$eq": true, "$ne": true, "$neq": true, "$gt": true, "$lt": true, "$gte": true, "$lte": true, "$in": true, "$nin": true,
	"$like": true, "$nlike": true, "$ilike": true, "$nilike": true, "$similar": true, "$nsimilar": true, "$is_null": true,
}

// permKinds lists the permission kinds in Hasura's order.
var permKinds = []string{"insert", "select", "update", "delete"}

// checkPermissions prunes the inconsistent permissions of t.
func (c *checker) checkPermissions(s *Source, t *Table) {
	ct := c.cat.Tables[t.Table.qname()]
	perm := func(kind, role string, p any, comment *string, problem func() string) bool {
		reason := ""
		if role == "admin" {
			reason = "cannot define permission for admin role"
		} else if role == "" {
			reason = "role name cannot be empty"
		} else {
			reason = problem()
		}
		if reason != "" {
			// The definition is written only for reports, so only here.
			def := permDefinition(t.Table, role, p, comment)
			c.tableObj(t, kind+"_permission", role, inTable(t, "in permission for role "+q(role)+": "+reason), def)
			return false
		}
		return true
	}
	var sel []*SelectPermissionDef
	for _, p := range t.SelectPermissions {
		if perm("select", p.Role, p.Permission, p.Comment, func() string {
			if r := c.columnsProblem(t, ct, p.Permission.Columns); r != "" {
				return r
			}
			for _, cf := range p.Permission.ComputedFields {
				if findComputed(t, cf) == nil {
					return "computed field " + q(cf) + " does not exist"
				}
			}
			if p.Permission.Limit != nil && *p.Permission.Limit < 0 {
				return "unexpected negative value"
			}
			return c.boolExpProblem(s, t, p.Permission.Filter)
		}) {
			sel = append(sel, p)
		}
	}
	t.SelectPermissions = sel
	var ins []*InsertPermissionDef
	for _, p := range t.InsertPermissions {
		if perm("insert", p.Role, p.Permission, p.Comment, func() string {
			if r := c.columnsProblem(t, ct, p.Permission.Columns); r != "" {
				return r
			}
			if r := c.presetProblem(ct, p.Permission.Set); r != "" {
				return r
			}
			return c.boolExpProblem(s, t, p.Permission.Check)
		}) {
			ins = append(ins, p)
		}
	}
	t.InsertPermissions = ins
	var upd []*UpdatePermissionDef
	for _, p := range t.UpdatePermissions {
		if perm("update", p.Role, p.Permission, p.Comment, func() string {
			if r := c.columnsProblem(t, ct, p.Permission.Columns); r != "" {
				return r
			}
			if r := c.presetProblem(ct, p.Permission.Set); r != "" {
				return r
			}
			if r := c.boolExpProblem(s, t, p.Permission.Filter); r != "" {
				return r
			}
			return c.boolExpProblem(s, t, p.Permission.Check)
		}) {
			upd = append(upd, p)
		}
	}
	t.UpdatePermissions = upd
	var del []*DeletePermissionDef
	for _, p := range t.DeletePermissions {
		if perm("delete", p.Role, p.Permission, p.Comment, func() string {
			return c.boolExpProblem(s, t, p.Permission.Filter)
		}) {
			del = append(del, p)
		}
	}
	t.DeletePermissions = del
}

// permDefinition is a permission's definition in reports.
func permDefinition(table TableName, role string, p any, comment *string) json.RawMessage {
	return rawJSON(map[string]any{"table": table, "role": role, "permission": normalizedPermission(p), "comment": comment})
}

// normalizedPermission writes a permission with Hasura's defaults filled in.
func normalizedPermission(p any) map[string]any {
	var m map[string]any
	_ = json.Unmarshal(rawJSON(p), &m)
	if m == nil {
		m = map[string]any{}
	}
	if _, ok := p.(SelectPermission); ok {
		if _, ok := m["allow_aggregations"]; !ok {
			m["allow_aggregations"] = false
		}
		if _, ok := m["computed_fields"]; !ok {
			m["computed_fields"] = []any{}
		}
	}
	return m
}

func findComputed(t *Table, name string) *ComputedField {
	for _, cf := range t.ComputedFields {
		if cf.Name == name {
			return cf
		}
	}
	return nil
}

// columnsProblem checks that listed columns exist.
func (c *checker) columnsProblem(t *Table, ct *catalog.Table, cols Columns) string {
	if cols.All {
		return ""
	}
	for _, col := range cols.Names {
		if ct.Column(col) == nil {
			if findComputed(t, col) != nil {
				return fmt.Sprintf("computed field %s cannot be given as a column; use computed_fields", q(col))
			}
			return fmt.Sprintf("column %s does not exist", q(col))
		}
	}
	return ""
}

// presetProblem checks that preset columns exist.
func (c *checker) presetProblem(ct *catalog.Table, set map[string]any) string {
	for _, col := range sortedKeys(set) {
		if ct.Column(col) == nil {
			return fmt.Sprintf("column %s does not exist", q(col))
		}
	}
	return ""
}

// boolExpProblem validates a permission boolean expression on table t.
func (c *checker) boolExpProblem(s *Source, t *Table, raw json.RawMessage) string {
	raw = bytes.TrimSpace(raw)
	if len(raw) == 0 || bytes.Equal(raw, []byte("null")) {
		return ""
	}
	var v any
	if err := decodeValue(raw, &v); err != nil {
		return "invalid boolean expression"
	}
	return c.boolExp(s, t, v, 0)
}

func (c *checker) boolExp(s *Source, t *Table, v any, depth int) string {
	if depth > 64 {
		return "boolean expression is nested too deeply"
	}
	obj, ok := v.(map[string]any)
	if !ok {
		return "expected an object for a boolean expression"
	}
	ct := c.cat.Tables[t.Table.qname()]
	keys := make([]string, 0, len(obj))
	for k := range obj {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		val := obj[k]
		switch k {
		case "_and", "_or", "$and", "$or":
			list, ok := val.([]any)
			if !ok {
				if _, isObj := val.(map[string]any); isObj {
					list = []any{val}
				} else {
					return "expected an array for " + q(k)
				}
			}
			for _, e := range list {
				if r := c.boolExp(s, t, e, depth+1); r != "" {
					return r
				}
			}
		case "_not", "$not":
			if r := c.boolExp(s, t, val, depth+1); r != "" {
				return r
			}
		case "_exists":
			e, ok := val.(map[string]any)
			if !ok {
				return `expected an object for "_exists"`
			}
			tb, err := json.Marshal(e["_table"])
			if err != nil || e["_table"] == nil {
				return `key "_table" not found`
			}
			var tn TableName
			if err := json.Unmarshal(tb, &tn); err != nil {
				return "invalid table name in _exists"
			}
			et := c.findTable(s, tn)
			if et == nil {
				return "table " + tn.quoted() + " does not exist"
			}
			if r := c.boolExp(s, et, e["_where"], depth+1); r != "" {
				return r
			}
		default:
			if ct.Column(k) != nil {
				if r := comparisonProblem(k, val); r != "" {
					return r
				}
				continue
			}
			if target := c.relTarget(s, t, k); target != nil {
				if r := c.boolExp(s, target, val, depth+1); r != "" {
					return r
				}
				continue
			}
			if findComputed(t, k) != nil {
				continue
			}
			if strings.HasSuffix(k, "_aggregate") && c.relTarget(s, t, strings.TrimSuffix(k, "_aggregate")) != nil {
				continue
			}
			return fmt.Sprintf("%s is not a column, relationship or computed field of table %s", q(k), t.Table.quoted())
		}
	}
	return ""
}

// comparisonProblem checks the operators applied to a column.
func comparisonProblem(col string, v any) string {
	obj, ok := v.(map[string]any)
	if !ok {
		return "" // a bare value means _eq
	}
	for _, op := range sortedKeys(obj) {
		if rest, ok := strings.CutPrefix(op, "$"); ok {
			op = "_" + rest
		}
		if !boolOperators[op] {
			return fmt.Sprintf("operator %s is not supported on column %s", q(op), q(col))
		}
	}
	return ""
}

// relTarget returns the tracked target table of relationship name on t.
func (c *checker) relTarget(s *Source, t *Table, name string) *Table {
	for _, r := range t.ObjectRelationships {
		if r.Name == name {
			if m := r.Using.ManualConfiguration; m != nil {
				return c.findTable(s, m.RemoteTable)
			}
			fk, err := ParseFKOn(r.Using.ForeignKeyConstraintOn)
			if err != nil {
				return nil
			}
			if fk.Table != nil {
				return c.findTable(s, *fk.Table)
			}
			ct := c.cat.Tables[t.Table.qname()]
			if ct == nil {
				return nil
			}
			if f := findFK(ct.ForeignKeys, fk.Columns, nil); f != nil {
				return c.findTable(s, fromQName(f.RefTable))
			}
			return nil
		}
	}
	for _, r := range t.ArrayRelationships {
		if r.Name == name {
			if m := r.Using.ManualConfiguration; m != nil {
				return c.findTable(s, m.RemoteTable)
			}
			if r.Using.ForeignKeyConstraintOn != nil {
				return c.findTable(s, r.Using.ForeignKeyConstraintOn.Table)
			}
		}
	}
	return nil
}
