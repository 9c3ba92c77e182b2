package metadata

import (
	"encoding/json"
	"slices"

	"github.com/postgate/postgate/internal/apierr"
)

// relArgs are the arguments of the create relationship operations.
type relArgs struct {
	Source  string          `json:"source"`
	Table   TableName       `json:"table"`
	Name    string          `json:"name"`
	Using   json.RawMessage `json:"using"`
	Comment *string         `json:"comment"`
}

func parseRelArgs(raw json.RawMessage) (relArgs, error) {
	var a relArgs
	if err := decodeStrict(raw, &a, "$"); err != nil {
		return a, err
	}
	switch {
	case a.Table.Name == "":
		return a, required("table")
	case a.Name == "":
		return a, required("name")
	case len(a.Using) == 0:
		return a, required("using")
	}
	return a, nil
}

// fieldClash reports a relationship name already used by a column,
// relationship or computed field of t.
func (o *opCtx) fieldClash(t *Table, name string) error {
	used := false
	if ct := o.cat.Tables[t.Table.qname()]; ct != nil && ct.Column(name) != nil {
		used = true
	}
	used = used || slices.ContainsFunc(t.ObjectRelationships, func(r *ObjectRelationship) bool { return r.Name == name }) ||
		slices.ContainsFunc(t.ArrayRelationships, func(r *ArrayRelationship) bool { return r.Name == name }) ||
		findComputed(t, name) != nil
	if used {
		return apierr.Newf(apierr.AlreadyExists, "column/relationship %s of table %s already exists", q(name), t.Table.quoted())
	}
	return nil
}

func opCreateObjectRelationship(o *opCtx, raw json.RawMessage) (any, error) {
	a, err := parseRelArgs(raw)
	if err != nil {
		return nil, err
	}
	var using ObjRelUsing
	if err := decodeStrict(a.Using, &using, "$.using"); err != nil {
		return nil, err
	}
	if (len(using.ForeignKeyConstraintOn) == 0) == (using.ManualConfiguration == nil) {
		return nil, apierr.New(apierr.ParseFailed, usingMessage(len(using.ForeignKeyConstraintOn) > 0)).WithPath("$.using")
	}
	if len(using.ForeignKeyConstraintOn) > 0 {
		if _, err := ParseFKOn(using.ForeignKeyConstraintOn); err != nil {
			return nil, apierr.New(apierr.ParseFailed, err.Error()).WithPath("$.using.foreign_key_constraint_on")
		}
	}
	src, t, err := o.table(a.Source, a.Table)
	if err != nil {
		return nil, err
	}
	if err := o.fieldClash(t, a.Name); err != nil {
		return nil, err
	}
	t.ObjectRelationships = append(t.ObjectRelationships, &ObjectRelationship{Name: a.Name, Using: using, Comment: a.Comment})
	return successMsg, o.changedTable(src, t.Table, false)
}

func opCreateArrayRelationship(o *opCtx, raw json.RawMessage) (any, error) {
	a, err := parseRelArgs(raw)
	if err != nil {
		return nil, err
	}
	var using ArrRelUsing
	if err := decodeStrict(a.Using, &using, "$.using"); err != nil {
		return nil, err
	}
	if (using.ForeignKeyConstraintOn == nil) == (using.ManualConfiguration == nil) {
		return nil, apierr.New(apierr.ParseFailed, usingMessage(using.ForeignKeyConstraintOn != nil)).WithPath("$.using")
	}
	if fk := using.ForeignKeyConstraintOn; fk != nil {
		if _, err := fk.parsed(); err != nil {
			return nil, apierr.New(apierr.ParseFailed, err.Error()).WithPath("$.using.foreign_key_constraint_on")
		}
	}
	src, t, err := o.table(a.Source, a.Table)
	if err != nil {
		return nil, err
	}
	if err := o.fieldClash(t, a.Name); err != nil {
		return nil, err
	}
	t.ArrayRelationships = append(t.ArrayRelationships, &ArrayRelationship{Name: a.Name, Using: using, Comment: a.Comment})
	return successMsg, o.changedTable(src, t.Table, false)
}

// relRef names a relationship of a table.
type relRef struct {
	Source       string    `json:"source"`
	Table        TableName `json:"table"`
	Relationship string    `json:"relationship"`
	Cascade      bool      `json:"cascade"`
	Comment      *string   `json:"comment"`
}

// findRel returns the table and whether the relationship is an object one.
func (o *opCtx) findRel(a relRef) (*Table, bool, error) {
	if a.Relationship == "" {
		return nil, false, required("relationship")
	}
	_, t, err := o.table(a.Source, a.Table)
	if err != nil {
		return nil, false, err
	}
	if slices.ContainsFunc(t.ObjectRelationships, func(r *ObjectRelationship) bool { return r.Name == a.Relationship }) {
		return t, true, nil
	}
	if slices.ContainsFunc(t.ArrayRelationships, func(r *ArrayRelationship) bool { return r.Name == a.Relationship }) {
		return t, false, nil
	}
	return nil, false, apierr.Newf(apierr.NotExists, "relationship %s does not exist", q(a.Relationship))
}

func opDropRelationship(o *opCtx, raw json.RawMessage) (any, error) {
	var a relRef
	if err := decodeStrict(raw, &a, "$"); err != nil {
		return nil, err
	}
	if a.Comment != nil {
		return nil, apierr.New(apierr.ParseFailed, `unexpected key "comment"`)
	}
	t, _, err := o.findRel(a)
	if err != nil {
		return nil, err
	}
	err = o.removeWithDependents(func() {
		t.ObjectRelationships = slices.DeleteFunc(t.ObjectRelationships, func(r *ObjectRelationship) bool { return r.Name == a.Relationship })
		t.ArrayRelationships = slices.DeleteFunc(t.ArrayRelationships, func(r *ArrayRelationship) bool { return r.Name == a.Relationship })
		t.tidy()
	}, a.Cascade, nil)
	return successMsg, err
}

func opSetRelationshipComment(o *opCtx, raw json.RawMessage) (any, error) {
	var a relRef
	if err := decodeStrict(raw, &a, "$"); err != nil {
		return nil, err
	}
	t, obj, err := o.findRel(a)
	if err != nil {
		return nil, err
	}
	if obj {
		for _, r := range t.ObjectRelationships {
			if r.Name == a.Relationship {
				r.Comment = a.Comment
			}
		}
	} else {
		for _, r := range t.ArrayRelationships {
			if r.Name == a.Relationship {
				r.Comment = a.Comment
			}
		}
	}
	return successMsg, o.changedMetadata()
}

func opRenameRelationship(o *opCtx, raw json.RawMessage) (any, error) {
	var a struct {
		Source  string    `json:"source"`
		Table   TableName `json:"table"`
		Name    string    `json:"name"`
		NewName string    `json:"new_name"`
	}
	if err := decodeStrict(raw, &a, "$"); err != nil {
		return nil, err
	}
	if a.NewName == "" {
		return nil, required("new_name")
	}
	t, obj, err := o.findRel(relRef{Source: a.Source, Table: a.Table, Relationship: a.Name})
	if err != nil {
		return nil, err
	}
	if err := o.fieldClash(t, a.NewName); err != nil {
		return nil, err
	}
	if obj {
		for _, r := range t.ObjectRelationships {
			if r.Name == a.Name {
				r.Name = a.NewName
			}
		}
	} else {
		for _, r := range t.ArrayRelationships {
			if r.Name == a.Name {
				r.Name = a.NewName
			}
		}
	}
	renameInPermissions(t, a.Name, a.NewName)
	return successMsg, o.changedMetadata()
}

// renameInPermissions renames a field in the boolean expressions of t's
// permissions (at the levels that refer to t itself).
func renameInPermissions(t *Table, from, to string) {
	ren := func(b BoolExp) BoolExp {
		if len(b) == 0 {
			return b
		}
		var v any
		if decodeValue(b, &v) != nil {
			return b
		}
		return rawJSON(renameKey(v, from, to))
	}
	for _, p := range t.SelectPermissions {
		p.Permission.Filter = ren(p.Permission.Filter)
	}
	for _, p := range t.InsertPermissions {
		p.Permission.Check = ren(p.Permission.Check)
	}
	for _, p := range t.UpdatePermissions {
		p.Permission.Filter = ren(p.Permission.Filter)
		p.Permission.Check = ren(p.Permission.Check)
	}
	for _, p := range t.DeletePermissions {
		p.Permission.Filter = ren(p.Permission.Filter)
	}
}

func renameKey(v any, from, to string) any {
	obj, ok := v.(map[string]any)
	if !ok {
		return v
	}
	out := map[string]any{}
	for k, val := range obj {
		switch k {
		case "_and", "_or":
			if list, ok := val.([]any); ok {
				for i := range list {
					list[i] = renameKey(list[i], from, to)
				}
			}
		case "_not":
			val = renameKey(val, from, to)
		}
		if k == from {
			k = to
		}
		out[k] = val
	}
	return out
}

// usingMessage is Hasura's parse error for a relationship's "using" with
// none or both of its forms.
func usingMessage(haveFK bool) string {
	if haveFK {
		return "only one of foreign_key_constraint_on/manual_configuration should be present"
	}
	return "atleast one of foreign_key_constraint_on/manual_configuration should be present"
}
