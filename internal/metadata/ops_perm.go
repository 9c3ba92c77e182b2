package metadata

import (
	"bytes"
	"encoding/json"
	"strings"

	"github.com/postgate/postgate/internal/apierr"
)

// permArgs are the arguments of the create permission operations.
type permArgs struct {
	Source     string          `json:"source"`
	Table      TableName       `json:"table"`
	Role       string          `json:"role"`
	Permission json.RawMessage `json:"permission"`
	Comment    *string         `json:"comment"`
}

// emptyBoolExp is the always-true filter.
var emptyBoolExp = json.RawMessage(`{}`)

// defaultBoolExp fills an absent or null filter with {}.
func defaultBoolExp(b BoolExp) BoolExp {
	if len(bytes.TrimSpace(b)) == 0 || bytes.Equal(bytes.TrimSpace(b), []byte("null")) {
		return emptyBoolExp
	}
	return b
}

// opCreatePermission returns the create operation for one permission kind.
func opCreatePermission(kind string) opFunc {
	return func(o *opCtx, raw json.RawMessage) (any, error) {
		var a permArgs
		if err := decodeStrict(raw, &a, "$"); err != nil {
			return nil, err
		}
		switch {
		case a.Table.Name == "":
			return nil, required("table")
		case a.Role == "":
			return nil, required("role")
		case len(a.Permission) == 0:
			return nil, required("permission")
		}
		src, t, err := o.table(a.Source, a.Table)
		if err != nil {
			return nil, err
		}
		if t.hasPermission(kind, a.Role) {
			return nil, apierr.Newf(apierr.AlreadyExists, "%s permission already defined on table %s with role %s", kind, a.Table.quoted(), q(a.Role))
		}
		if err := addPermission(t, kind, a); err != nil {
			return nil, err
		}
		return successMsg, o.changedTable(src, t.Table, false)
	}
}

// addPermission decodes a permission of kind strictly and adds it to t.
func addPermission(t *Table, kind string, a permArgs) error {
	var probe map[string]json.RawMessage
	if err := decodeStrict(a.Permission, &probe, "$.permission"); err != nil {
		return err
	}
	if probe == nil {
		return apierr.New(apierr.ParseFailed, "expected Object, but encountered Null").WithPath("$.permission")
	}
	switch kind {
	case "select":
		var p SelectPermission
		if err := decodeStrict(a.Permission, &p, "$.permission"); err != nil {
			return err
		}
		if probe["columns"] == nil {
			return required("columns").WithPath("$.permission")
		}
		p.Filter = defaultBoolExp(p.Filter)
		t.SelectPermissions = append(t.SelectPermissions, &SelectPermissionDef{Role: a.Role, Permission: p, Comment: a.Comment})
	case "insert":
		var p InsertPermission
		if err := decodeStrict(a.Permission, &p, "$.permission"); err != nil {
			return err
		}
		if probe["columns"] == nil {
			p.Columns = Columns{All: true}
		}
		p.Check = defaultBoolExp(p.Check)
		t.InsertPermissions = append(t.InsertPermissions, &InsertPermissionDef{Role: a.Role, Permission: p, Comment: a.Comment})
	case "update":
		var p UpdatePermission
		if err := decodeStrict(a.Permission, &p, "$.permission"); err != nil {
			return err
		}
		if probe["columns"] == nil {
			return required("columns").WithPath("$.permission")
		}
		p.Filter = defaultBoolExp(p.Filter)
		t.UpdatePermissions = append(t.UpdatePermissions, &UpdatePermissionDef{Role: a.Role, Permission: p, Comment: a.Comment})
	case "delete":
		var p DeletePermission
		if err := decodeStrict(a.Permission, &p, "$.permission"); err != nil {
			return err
		}
		p.Filter = defaultBoolExp(p.Filter)
		t.DeletePermissions = append(t.DeletePermissions, &DeletePermissionDef{Role: a.Role, Permission: p, Comment: a.Comment})
	}
	return nil
}

// opDropPermission returns the drop operation for one permission kind.
func opDropPermission(kind string) opFunc {
	return func(o *opCtx, raw json.RawMessage) (any, error) {
		var a struct {
			Source string    `json:"source"`
			Table  TableName `json:"table"`
			Role   string    `json:"role"`
		}
		if err := decodeStrict(raw, &a, "$"); err != nil {
			return nil, err
		}
		if a.Role == "" {
			return nil, required("role")
		}
		src, t, err := o.table(a.Source, a.Table)
		if err != nil {
			return nil, err
		}
		if !t.hasPermission(kind, a.Role) {
			return nil, permissionMissing(kind, a.Table, a.Role)
		}
		t.dropPermission(kind, a.Role)
		return successMsg, o.changedTable(src, t.Table, false)
	}
}

// permissionMissing is Hasura's error for a permission that is not defined.
func permissionMissing(kind string, t TableName, role string) *apierr.Error {
	return apierr.Newf(apierr.PermissionDenied, "'%s' permission on %s for role %s does not exist", kind, t.quoted(), q(role))
}

func opSetPermissionComment(o *opCtx, raw json.RawMessage) (any, error) {
	var a struct {
		Source     string    `json:"source"`
		Table      TableName `json:"table"`
		Role       string    `json:"role"`
		Type       string    `json:"type"`
		Permission string    `json:"permission"` // the older name of type
		Comment    *string   `json:"comment"`
	}
	if err := decodeStrict(raw, &a, "$"); err != nil {
		return nil, err
	}
	_, t, err := o.table(a.Source, a.Table)
	if err != nil {
		return nil, err
	}
	kind := strings.ToLower(a.Type)
	if kind == "" {
		kind = strings.ToLower(a.Permission)
	}
	if !t.hasPermission(kind, a.Role) {
		return nil, permissionMissing(kind, a.Table, a.Role)
	}
	for _, p := range t.SelectPermissions {
		if kind == "select" && p.Role == a.Role {
			p.Comment = a.Comment
		}
	}
	for _, p := range t.InsertPermissions {
		if kind == "insert" && p.Role == a.Role {
			p.Comment = a.Comment
		}
	}
	for _, p := range t.UpdatePermissions {
		if kind == "update" && p.Role == a.Role {
			p.Comment = a.Comment
		}
	}
	for _, p := range t.DeletePermissions {
		if kind == "delete" && p.Role == a.Role {
			p.Comment = a.Comment
		}
	}
	return successMsg, o.changedMetadata()
}
