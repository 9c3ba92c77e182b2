package metadata

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strings"

	"github.com/postgate/postgate/internal/apierr"
	"github.com/postgate/postgate/internal/catalog"
)

// metadataOps lists the /v1/metadata operations.
func (s *Service) metadataOps() map[string]opFunc {
	ops := map[string]opFunc{
		"pg_track_table":                opTrackTable,
		"pg_untrack_table":              opUntrackTable,
		"pg_track_tables":               opTrackTables,
		"pg_untrack_tables":             opUntrackTables,
		"pg_set_table_customization":    opSetTableCustomization,
		"pg_set_table_custom_fields":    opSetTableCustomFields,
		"pg_set_table_is_enum":          opSetTableIsEnum,
		"pg_create_object_relationship": opCreateObjectRelationship,
		"pg_create_array_relationship":  opCreateArrayRelationship,
		"pg_drop_relationship":          opDropRelationship,
		"pg_rename_relationship":        opRenameRelationship,
		"pg_set_relationship_comment":   opSetRelationshipComment,
		"pg_set_permission_comment":     opSetPermissionComment,
		"pg_track_function":             opTrackFunction,
		"pg_untrack_function":           opUntrackFunction,
		"pg_create_function_permission": opCreateFunctionPermission,
		"pg_drop_function_permission":   opDropFunctionPermission,
		"pg_add_computed_field":         opAddComputedField,
		"pg_drop_computed_field":        opDropComputedField,
		"add_inherited_role":            opAddInheritedRole,
		"drop_inherited_role":           opDropInheritedRole,
		"export_metadata":               opExportMetadata,
		"replace_metadata":              opReplaceMetadata,
		"reload_metadata":               opReloadMetadata,
		"clear_metadata":                opClearMetadata,
		"get_inconsistent_metadata":     opGetInconsistentMetadata,
		"drop_inconsistent_metadata":    opDropInconsistentMetadata,
		"get_catalog_state":             opGetCatalogState,
		"pg_add_source":                 opAddSource,
		"pg_update_source":              opUpdateSource,
		"pg_drop_source":                opDropSource,
		"pg_set_function_customization": opSetFunctionCustomization,
		"set_catalog_state":             opSetCatalogState,
	}
	for k, f := range keptOps() {
		ops[k] = f
	}
	for _, k := range permKinds {
		ops["pg_create_"+k+"_permission"] = opCreatePermission(k)
		ops["pg_drop_"+k+"_permission"] = opDropPermission(k)
	}
	ops["bulk"] = opBulk(ops, false)
	ops["bulk_atomic"] = opBulk(ops, false)
	ops["bulk_keep_going"] = opBulk(ops, true)
	readOnly := map[string]opFunc{}
	for k := range readOnlyOps {
		if ops[k] != nil {
			readOnly[k] = ops[k]
		}
	}
	ops["concurrent_bulk"] = opBulk(readOnly, false)
	return ops
}

// readOnlyOps do not change the metadata (no catalog refresh needed).
var readOnlyOps = map[string]bool{
	"export_metadata": true, "get_inconsistent_metadata": true, "get_catalog_state": true, "set_catalog_state": true,
	"concurrent_bulk": true,
}

// opBulk runs a list of operations in order on the same working state. The
// whole list is one change: if an operation fails, nothing is stored. With
// keepGoing, a failing operation's own changes are undone, its error takes
// its place in the results and the rest still run.
func opBulk(ops map[string]opFunc, keepGoing bool) opFunc {
	return func(o *opCtx, raw json.RawMessage) (any, error) {
		var list []json.RawMessage
		if err := decodeStrict(raw, &list, "$"); err != nil {
			return nil, err
		}
		results := make([]any, 0, len(list))
		// Nothing changed md since this operation started: the check of md
		// then still holds for the first operation of the list.
		o.checked = o.base
		for i, item := range list {
			var r request
			if err := decodeStrict(item, &r, fmt.Sprintf("$[%d]", i)); err != nil {
				return nil, err
			}
			path := fmt.Sprintf("$[%d].args", i)
			var saved *Metadata
			var savedBad []InconsistentObject
			if keepGoing {
				// saved shares the tables of md: neither may modify them
				// from now on.
				saved, savedBad = o.md.share(), o.bad
				o.shareWorking(o.md)
			}
			res, err := o.dispatch(ops, r.Type, r.Args, path)
			if err != nil {
				if !keepGoing {
					return nil, err
				}
				o.shareWorking(saved)
				o.bad = savedBad
				e := apierr.From(err)
				results = append(results, map[string]any{"code": e.Code, "error": e.Message, "path": "$.args" + strings.TrimPrefix(e.Path, "$")})
				continue
			}
			results = append(results, res)
		}
		return results, nil
	}
}

func opExportMetadata(o *opCtx, raw json.RawMessage) (any, error) {
	var a struct{}
	if len(bytes.TrimSpace(raw)) > 0 && !bytes.Equal(bytes.TrimSpace(raw), []byte("null")) {
		if err := decodeStrict(raw, &a, "$"); err != nil {
			return nil, err
		}
	}
	var doc any = o.md
	if o.raw != nil {
		doc = o.raw
	} else if b, err := o.s.enc.document(o.ctx, o.md); err == nil {
		doc = withoutEmptySections(b)
	}
	if o.v2 {
		return map[string]any{"resource_version": o.version, "metadata": doc}, nil
	}
	return doc, nil
}

// withoutEmptySections drops the top-level sections of an exported
// document that are empty (see emptySection), as Hasura's export leaves
// them out; version and sources always stay. The other keys keep their
// order.
func withoutEmptySections(doc []byte) json.RawMessage {
	dec := json.NewDecoder(bytes.NewReader(doc))
	if t, err := dec.Token(); err != nil || t != json.Delim('{') {
		return doc
	}
	var out bytes.Buffer
	out.WriteByte('{')
	for dec.More() {
		t, err := dec.Token()
		if err != nil {
			return doc
		}
		key, _ := t.(string)
		var val json.RawMessage
		if err := dec.Decode(&val); err != nil {
			return doc
		}
		if key != "version" && key != "sources" && emptySection(val, key == "custom_types") {
			continue
		}
		if out.Len() > 1 {
			out.WriteByte(',')
		}
		kb, _ := json.Marshal(key)
		out.Write(kb)
		out.WriteByte(':')
		out.Write(val)
	}
	out.WriteByte('}')
	return out.Bytes()
}

// emptySection reports whether a section holds nothing: [], {} or null,
// or with deep an object of such members (custom_types with empty lists).
func emptySection(v json.RawMessage, deep bool) bool {
	switch t := string(bytes.TrimSpace(v)); t {
	case "[]", "{}", "null":
		return true
	}
	var obj map[string]json.RawMessage
	if !deep || json.Unmarshal(v, &obj) != nil || obj == nil {
		return false
	}
	for _, m := range obj {
		if !emptySection(m, false) {
			return false
		}
	}
	return true
}

func opReplaceMetadata(o *opCtx, raw json.RawMessage) (any, error) {
	var probe map[string]json.RawMessage
	if err := decodeStrict(raw, &probe, "$"); err != nil {
		return nil, err
	}
	if probe == nil {
		return nil, apierr.New(apierr.ParseFailed, "expected Object, but encountered Null")
	}
	doc := raw
	v2 := probe["metadata"] != nil
	allow := false
	if v2 {
		var a struct {
			AllowInconsistentMetadata bool            `json:"allow_inconsistent_metadata"`
			AllowWarnings             bool            `json:"allow_warnings"`
			Metadata                  json.RawMessage `json:"metadata"`
		}
		if err := decodeStrict(raw, &a, "$"); err != nil {
			return nil, err
		}
		doc, allow = a.Metadata, a.AllowInconsistentMetadata
	}
	md, err := Parse(doc)
	if err != nil {
		path := "$"
		if v2 {
			path = "$.metadata"
		}
		return nil, parseError(err, path)
	}
	if md.Sources == nil {
		md.Sources = []*Source{}
	}
	for _, src := range md.Sources {
		if src.Kind == "" {
			src.Kind = "postgres" // Hasura's default
		}
	}
	o.md, o.raw = md, nil
	o.changed, o.checked, o.base = true, nil, nil
	_, all := checkConsistency(o.ctx, o.md, o.cat, o.s.sourceName(o.md), o.enums())
	o.bad = all
	if len(all) > 0 && !allow {
		list := make([]any, len(all))
		for i, b := range all {
			list[i] = b.report()
		}
		e := apierr.New(apierr.Unexpected, "cannot continue due to inconsistent metadata").WithInternal(list)
		e.InternalPublic = true
		return nil, e
	}
	if !v2 {
		return successMsg, nil
	}
	return consistencyReport(all, nil), nil
}

// consistencyReport is {is_consistent, inconsistent_objects}.
func consistencyReport(bad, unsupported []InconsistentObject) map[string]any {
	list := make([]any, 0, len(bad)+len(unsupported))
	for _, b := range bad {
		list = append(list, b.report())
	}
	for _, b := range unsupported {
		list = append(list, b.report())
	}
	return map[string]any{"is_consistent": len(bad) == 0, "inconsistent_objects": list}
}

func opReloadMetadata(o *opCtx, raw json.RawMessage) (any, error) {
	var a struct {
		ReloadRemoteSchemas   json.RawMessage `json:"reload_remote_schemas"`
		ReloadSources         json.RawMessage `json:"reload_sources"`
		RecreateEventTriggers json.RawMessage `json:"recreate_event_triggers"`
	}
	if len(bytes.TrimSpace(raw)) > 0 {
		if err := decodeStrict(raw, &a, "$"); err != nil {
			return nil, err
		}
	}
	fp, err := catalog.TakeFingerprint(o.ctx, o.querier())
	if err != nil {
		return nil, apierr.Internalf("metadata: fingerprint: %v", err)
	}
	cat, err := catalog.Load(o.ctx, o.querier())
	if err != nil {
		return nil, apierr.Internalf("metadata: introspect: %v", err)
	}
	o.cat, o.fp, o.reloadCatalog = cat, fp, true
	_, all := checkConsistency(o.ctx, o.md, o.cat, o.s.sourceName(o.md), o.enums())
	o.bad = all
	res := map[string]any{"message": "success", "is_consistent": len(all) == 0}
	if len(all) > 0 {
		res["inconsistent_objects"] = consistencyReport(all, nil)["inconsistent_objects"]
	}
	return res, nil
}

func opClearMetadata(o *opCtx, raw json.RawMessage) (any, error) {
	md := Empty()
	if def := o.md.Source(o.s.sourceName(o.md)); def != nil {
		src := &Source{Name: def.Name, Kind: def.Kind, Tables: []*Table{}, Configuration: def.Configuration, Customization: def.Customization}
		md.Sources = []*Source{src}
	}
	o.md, o.raw = md, nil
	o.bad = nil
	o.changed, o.checked, o.base = true, nil, nil
	return successMsg, nil
}

func opGetInconsistentMetadata(o *opCtx, raw json.RawMessage) (any, error) {
	return consistencyReport(o.bad, unsupportedObjects(o.md)), nil
}

func opDropInconsistentMetadata(o *opCtx, raw json.RawMessage) (any, error) {
	for range 100 {
		_, all := checkConsistency(o.ctx, o.md, o.cat, o.s.sourceName(o.md), o.enums())
		if len(all) == 0 {
			break
		}
		for _, b := range all {
			o.md.remove(b)
		}
	}
	o.bad = nil
	o.changed, o.checked, o.base = true, nil, nil
	return successMsg, nil
}

func opGetCatalogState(o *opCtx, raw json.RawMessage) (any, error) {
	st, err := o.s.store.catalogState(o.ctx)
	if err != nil {
		return nil, apierr.Internalf("metadata: catalog state: %v", err)
	}
	return st, nil
}

func opSetCatalogState(o *opCtx, raw json.RawMessage) (any, error) {
	var a struct {
		Type  string          `json:"type"`
		State json.RawMessage `json:"state"`
	}
	if err := decodeStrict(raw, &a, "$"); err != nil {
		return nil, err
	}
	if a.Type != "cli" && a.Type != "console" {
		return nil, apierr.Newf(apierr.ParseFailed, "expected \"cli\" or \"console\" for type, but encountered %s", q(a.Type)).WithPath("$.type")
	}
	if len(a.State) == 0 {
		return nil, required("state")
	}
	var obj map[string]any
	if err := json.Unmarshal(a.State, &obj); err != nil || obj == nil {
		return nil, apierr.New(apierr.ParseFailed, "expected Object for state").WithPath("$.state")
	}
	if err := o.s.store.setCatalogState(o.ctx, a.Type, a.State); err != nil {
		return nil, apierr.Internalf("metadata: set catalog state: %v", err)
	}
	return successMsg, nil
}

// unsupportedObjects lists the stored objects of kinds Postgate keeps but
// does not serve yet (actions, remote schemas, event triggers, ...).
func unsupportedObjects(md *Metadata) []InconsistentObject {
	var out []InconsistentObject
	named := func(section, typ string) {
		raw := md.Extra[section]
		var items []map[string]json.RawMessage
		if json.Unmarshal(raw, &items) != nil {
			return
		}
		for _, it := range items {
			var name string
			_ = json.Unmarshal(it["name"], &name)
			out = append(out, InconsistentObject{Type: typ, Name: typ + " " + name,
				Reason: typ + " " + q(name) + " is not supported by this server yet", Definition: rawJSON(it)})
		}
	}
	named("actions", "action")
	named("remote_schemas", "remote_schema")
	named("cron_triggers", "cron_trigger")
	named("rest_endpoints", "endpoint")
	for _, s := range md.Sources {
		for _, t := range s.Tables {
			for _, st := range [][2]string{{"event_triggers", "event_trigger"}, {"remote_relationships", "remote_relationship"}} {
				section, typ := st[0], st[1]
				var items []map[string]json.RawMessage
				if json.Unmarshal(t.Extra[section], &items) != nil {
					continue
				}
				for _, it := range items {
					var name string
					_ = json.Unmarshal(it["name"], &name)
					out = append(out, InconsistentObject{Type: typ, Name: typ + " " + name + " in table " + t.Table.display() + " in source " + s.Name,
						Reason: typ + " " + q(name) + " is not supported by this server yet", Definition: rawJSON(it)})
				}
			}
		}
	}
	return out
}
