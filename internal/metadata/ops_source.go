package metadata

import (
	"encoding/json"
	"slices"

	"github.com/postgate/postgate/internal/apierr"
)

// sourceArgs are pg_add_source's and pg_update_source's arguments.
type sourceArgs struct {
	Name                 string          `json:"name"`
	Configuration        json.RawMessage `json:"configuration"`
	ReplaceConfiguration bool            `json:"replace_configuration"`
	Customization        json.RawMessage `json:"customization"`
}

func opAddSource(o *opCtx, raw json.RawMessage) (any, error) {
	var a sourceArgs
	if err := decodeStrict(raw, &a, "$"); err != nil {
		return nil, err
	}
	if a.Name == "" {
		return nil, required("name")
	}
	if len(a.Configuration) == 0 {
		return nil, required("configuration")
	}
	if s := o.md.Source(a.Name); s != nil {
		if !a.ReplaceConfiguration {
			return nil, apierr.Newf(apierr.AlreadyExists, "source with name %q already exists", a.Name)
		}
		s.Configuration = a.Configuration
		if a.Customization != nil {
			s.Customization = a.Customization
		}
		return successMsg, o.changedMetadata()
	}
	o.md.Sources = append(o.md.Sources, &Source{Name: a.Name, Kind: "postgres", Tables: []*Table{}, Configuration: a.Configuration, Customization: a.Customization})
	return successMsg, o.changedMetadata()
}

func opUpdateSource(o *opCtx, raw json.RawMessage) (any, error) {
	var a sourceArgs
	if err := decodeStrict(raw, &a, "$"); err != nil {
		return nil, err
	}
	s, err := o.source(a.Name)
	if err != nil || a.Name == "" {
		return nil, apierr.Newf(apierr.NotExists, "source with name %q does not exist", a.Name)
	}
	if a.Configuration != nil {
		s.Configuration = a.Configuration
	}
	if a.Customization != nil {
		s.Customization = a.Customization
	}
	return successMsg, o.changedMetadata()
}

func opDropSource(o *opCtx, raw json.RawMessage) (any, error) {
	var a struct {
		Name    string `json:"name"`
		Cascade bool   `json:"cascade"`
	}
	if err := decodeStrict(raw, &a, "$"); err != nil {
		return nil, err
	}
	s := o.md.Source(a.Name)
	if s == nil {
		return nil, apierr.Newf(apierr.NotExists, "source with name %q does not exist", a.Name)
	}
	if len(s.Tables) > 0 && !a.Cascade {
		deps := make([]InconsistentObject, 0, len(s.Tables))
		for _, t := range s.Tables {
			tn := t.Table
			deps = append(deps, InconsistentObject{Type: "table", table: &tn, source: s.Name})
		}
		return nil, dependencyError(deps)
	}
	o.md.Sources = slices.DeleteFunc(o.md.Sources, func(x *Source) bool { return x.Name == a.Name })
	o.changed, o.checked, o.base = true, nil, nil
	_, o.bad = o.newInconsistencies()
	return successMsg, nil
}

func opSetFunctionCustomization(o *opCtx, raw json.RawMessage) (any, error) {
	var a struct {
		Source        string          `json:"source"`
		Function      TableName       `json:"function"`
		Configuration *FunctionConfig `json:"configuration"`
	}
	if err := decodeStrict(raw, &a, "$"); err != nil {
		return nil, err
	}
	_, f, err := o.function(a.Source, a.Function)
	if err != nil {
		return nil, err
	}
	if err := validateFunctionConfig(a.Configuration); err != nil {
		return nil, err
	}
	f.Configuration = a.Configuration
	return successMsg, o.changedMetadata()
}
