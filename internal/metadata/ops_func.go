package metadata

import (
	"bytes"
	"encoding/json"
	"slices"

	"github.com/postgate/postgate/internal/apierr"
)

// function returns the tracked function n of the named source (the
// default one when source is empty), and that source.
func (o *opCtx) function(source string, n TableName) (*Source, *Function, error) {
	s, err := o.source(source)
	if err != nil {
		return nil, nil, err
	}
	f := s.FindFunction(n)
	if f == nil {
		return nil, nil, apierr.Newf(apierr.NotExists, "function %s not found in the cache", n.quoted())
	}
	return s, f, nil
}

// validateFunctionConfig checks the GraphQL name of a function
// customisation.
func validateFunctionConfig(c *FunctionConfig) error {
	if c != nil && c.CustomName != "" && !isGraphQLName(c.CustomName) {
		return apierr.Newf(apierr.ParseFailed, "%s is not a valid GraphQL name", q(c.CustomName)).WithPath("$.configuration.custom_name")
	}
	return nil
}

// trackFunctionArgs are pg_track_function's arguments; the legacy form is a
// bare function name.
type trackFunctionArgs struct {
	Source        string          `json:"source"`
	Function      TableName       `json:"function"`
	Configuration *FunctionConfig `json:"configuration"`
	Comment       *string         `json:"comment"`
}

func parseTrackFunction(raw json.RawMessage) (trackFunctionArgs, error) {
	var a trackFunctionArgs
	if n, ok, err := bareName(raw, "function"); ok {
		a.Function = n
		return a, err
	}
	if err := decodeStrict(raw, &a, "$"); err != nil {
		return a, err
	}
	if a.Function.Name == "" {
		return a, required("function")
	}
	return a, nil
}

func opTrackFunction(o *opCtx, raw json.RawMessage) (any, error) {
	a, err := parseTrackFunction(raw)
	if err != nil {
		return nil, err
	}
	s, err := o.source(a.Source)
	if err != nil {
		return nil, err
	}
	if s.FindFunction(a.Function) != nil {
		return nil, apierr.Newf(apierr.AlreadyTracked, "function already tracked : %s", a.Function.quoted())
	}
	if s.FindTable(a.Function) != nil {
		return nil, apierr.Newf(apierr.NotSupported, "table with name %s already exists", a.Function.quoted())
	}
	if len(o.cat.Functions[a.Function.qname()]) == 0 {
		return nil, apierr.Newf(apierr.NotExists, "no such function exists in postgres : %s", a.Function.quoted())
	}
	if err := validateFunctionConfig(a.Configuration); err != nil {
		return nil, err
	}
	s.Functions = append(s.Functions, &Function{Function: a.Function, Configuration: a.Configuration, Comment: a.Comment})
	return successMsg, o.changedMetadata()
}

func opUntrackFunction(o *opCtx, raw json.RawMessage) (any, error) {
	var a struct {
		Source   string    `json:"source"`
		Function TableName `json:"function"`
	}
	// Legacy form: the bare name.
	var probe map[string]json.RawMessage
	if bytes.HasPrefix(bytes.TrimSpace(raw), []byte(`"`)) || (json.Unmarshal(raw, &probe) == nil && probe != nil && probe["function"] == nil) {
		if err := decodeStrict(raw, &a.Function, "$"); err != nil {
			return nil, err
		}
	} else if err := decodeStrict(raw, &a, "$"); err != nil {
		return nil, err
	}
	s, _, err := o.function(a.Source, a.Function)
	if err != nil {
		return nil, err
	}
	err = o.removeWithDependents(func() {
		s.Functions = slices.DeleteFunc(s.Functions, func(f *Function) bool { return f.Function == a.Function })
		s.tidy()
	}, false, nil)
	return successMsg, err
}

// functionPermArgs are the function permission operations' arguments.
type functionPermArgs struct {
	Source   string    `json:"source"`
	Function TableName `json:"function"`
	Role     string    `json:"role"`
}

func opCreateFunctionPermission(o *opCtx, raw json.RawMessage) (any, error) {
	var a functionPermArgs
	if err := decodeStrict(raw, &a, "$"); err != nil {
		return nil, err
	}
	if a.Role == "" {
		return nil, required("role")
	}
	s, f, err := o.function(a.Source, a.Function)
	if err != nil {
		return nil, err
	}
	if slices.ContainsFunc(f.Permissions, func(p *FunctionPermission) bool { return p.Role == a.Role }) {
		return nil, apierr.Newf(apierr.AlreadyExists, "permission of role %s already exists for function %s in source: %s", q(a.Role), a.Function.quoted(), q(s.Name))
	}
	// The role must be able to read the rows the function returns.
	if fns := o.cat.Functions[a.Function.qname()]; len(fns) == 1 {
		ret := fromQName(fns[0].ReturnType)
		if rt := s.FindTable(ret); rt == nil || !rt.hasPermission("select", a.Role) {
			return nil, apierr.Newf(apierr.NotSupported, "function permission can only be added when the function's return table %s has select permission configured for role: %s", ret.quoted(), q(a.Role))
		}
	}
	f.Permissions = append(f.Permissions, &FunctionPermission{Role: a.Role})
	return successMsg, o.changedMetadata()
}

func opDropFunctionPermission(o *opCtx, raw json.RawMessage) (any, error) {
	var a functionPermArgs
	if err := decodeStrict(raw, &a, "$"); err != nil {
		return nil, err
	}
	s, f, err := o.function(a.Source, a.Function)
	if err != nil {
		return nil, err
	}
	if !slices.ContainsFunc(f.Permissions, func(p *FunctionPermission) bool { return p.Role == a.Role }) {
		return nil, apierr.Newf(apierr.NotExists, "permission of role %s does not exist for function %s in source: %s", q(a.Role), a.Function.quoted(), q(s.Name))
	}
	f.Permissions = slices.DeleteFunc(f.Permissions, func(p *FunctionPermission) bool { return p.Role == a.Role })
	s.tidy()
	return successMsg, o.changedMetadata()
}

func opAddComputedField(o *opCtx, raw json.RawMessage) (any, error) {
	var a struct {
		Source     string                  `json:"source"`
		Table      TableName               `json:"table"`
		Name       string                  `json:"name"`
		Definition ComputedFieldDefinition `json:"definition"`
		Comment    *string                 `json:"comment"`
	}
	if err := decodeStrict(raw, &a, "$"); err != nil {
		return nil, err
	}
	switch {
	case a.Name == "":
		return nil, required("name")
	case a.Definition.Function.Name == "":
		return nil, required("function").WithPath("$.definition")
	}
	_, t, err := o.table(a.Source, a.Table)
	if err != nil {
		return nil, err
	}
	if err := o.fieldClash(t, a.Name); err != nil {
		return nil, err
	}
	t.ComputedFields = append(t.ComputedFields, &ComputedField{Name: a.Name, Definition: a.Definition, Comment: a.Comment})
	return successMsg, o.changedMetadata()
}

func opDropComputedField(o *opCtx, raw json.RawMessage) (any, error) {
	var a struct {
		Source  string    `json:"source"`
		Table   TableName `json:"table"`
		Name    string    `json:"name"`
		Cascade bool      `json:"cascade"`
	}
	if err := decodeStrict(raw, &a, "$"); err != nil {
		return nil, err
	}
	s, t, err := o.table(a.Source, a.Table)
	if err != nil {
		return nil, err
	}
	if findComputed(t, a.Name) == nil {
		return nil, apierr.Newf(apierr.NotExists, "computed field %s does not exist", q(a.Name))
	}
	// Select permissions that list the field depend on it.
	var deps []InconsistentObject
	for _, p := range t.SelectPermissions {
		if slices.Contains(p.Permission.ComputedFields, a.Name) {
			tn := t.Table
			deps = append(deps, InconsistentObject{Type: "select_permission", table: &tn, object: p.Role, kind: "select", source: s.Name})
		}
	}
	if len(deps) > 0 && !a.Cascade {
		return nil, dependencyError(deps)
	}
	for _, p := range t.SelectPermissions {
		p.Permission.ComputedFields = slices.DeleteFunc(p.Permission.ComputedFields, func(n string) bool { return n == a.Name })
	}
	err = o.removeWithDependents(func() {
		t.ComputedFields = slices.DeleteFunc(t.ComputedFields, func(c *ComputedField) bool { return c.Name == a.Name })
		t.tidy()
	}, a.Cascade, nil)
	return successMsg, err
}

func opAddInheritedRole(o *opCtx, raw json.RawMessage) (any, error) {
	var a InheritedRole
	if err := decodeStrict(raw, &a, "$"); err != nil {
		return nil, err
	}
	if a.RoleName == "" {
		return nil, required("role_name")
	}
	if len(a.RoleSet) == 0 {
		return nil, apierr.New(apierr.InvalidParams, "role_set cannot be empty for an inherited role")
	}
	if slices.Contains(a.RoleSet, a.RoleName) {
		return nil, apierr.Newf(apierr.InvalidParams, "an inherited role cannot be a member of its own role_set: %s", q(a.RoleName))
	}
	for _, r := range o.md.InheritedRoles {
		if r.RoleName == a.RoleName {
			return nil, apierr.Newf(apierr.AlreadyExists, "an inherited role with name %s already exists", q(a.RoleName))
		}
	}
	o.md.InheritedRoles = append(o.md.InheritedRoles, &a)
	o.changed, o.checked, o.base = true, nil, nil
	return successMsg, nil
}

func opDropInheritedRole(o *opCtx, raw json.RawMessage) (any, error) {
	var a struct {
		RoleName string `json:"role_name"`
	}
	if err := decodeStrict(raw, &a, "$"); err != nil {
		return nil, err
	}
	n := len(o.md.InheritedRoles)
	o.md.InheritedRoles = slices.DeleteFunc(o.md.InheritedRoles, func(r *InheritedRole) bool { return r.RoleName == a.RoleName })
	if len(o.md.InheritedRoles) == 0 {
		o.md.InheritedRoles = nil
	}
	if n == len(o.md.InheritedRoles) {
		return nil, apierr.Newf(apierr.NotExists, "inherited role %s does not exist", q(a.RoleName))
	}
	o.changed, o.checked, o.base = true, nil, nil
	return successMsg, nil
}
