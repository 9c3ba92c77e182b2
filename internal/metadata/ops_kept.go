package metadata

import (
	"encoding/json"
	"slices"

	"github.com/postgate/postgate/internal/apierr"
)

// Operations on sections this server stores but does not serve yet (remote
// schemas, actions, cron triggers, query collections, REST endpoints, event
// triggers, ...). They keep the objects exactly as given, so that scripts
// written for Hasura run and export returns what they set; the objects are
// listed by get_inconsistent_metadata as not supported yet.

// object is a JSON object kept verbatim.
type object = map[string]json.RawMessage

// decodeObject decodes args as an object.
func decodeObject(raw json.RawMessage) (object, error) {
	var obj object
	if err := decodeStrict(raw, &obj, "$"); err != nil {
		return nil, err
	}
	if obj == nil {
		return nil, apierr.New(apierr.ParseFailed, "expected Object, but encountered Null")
	}
	return obj, nil
}

// stringKey reads a required string key of obj.
func stringKey(obj object, key string) (string, error) {
	var s string
	if obj[key] == nil {
		return "", required(key)
	}
	if err := json.Unmarshal(obj[key], &s); err != nil || s == "" {
		return "", apierr.Newf(apierr.ParseFailed, "expected a non-empty String for %q", key).WithPath("$." + key)
	}
	return s, nil
}

// namedList is a JSON list of objects identified by their key field.
type namedList struct {
	items []object
	key   string
}

func (l *namedList) find(name string) int {
	for i, it := range l.items {
		var n string
		if json.Unmarshal(it[l.key], &n) == nil && n == name {
			return i
		}
	}
	return -1
}

// readList decodes a list section (absent means empty).
func readList(raw json.RawMessage, key string) *namedList {
	l := &namedList{key: key}
	_ = json.Unmarshal(raw, &l.items)
	return l
}

func (l *namedList) raw() json.RawMessage {
	if len(l.items) == 0 {
		return nil
	}
	return rawJSON(l.items)
}

// setExtra stores a top-level section (removing it when empty).
func (o *opCtx) setExtra(section string, raw json.RawMessage) {
	if o.md.Extra == nil {
		o.md.Extra = map[string]json.RawMessage{}
	}
	if len(raw) == 0 {
		delete(o.md.Extra, section)
	} else {
		o.md.Extra[section] = raw
	}
	o.changed, o.checked, o.base = true, nil, nil
}

// keptAdd adds args (which name themselves with key) to a top-level list.
func keptAdd(section, kind, key string, replaceable bool) opFunc {
	return func(o *opCtx, raw json.RawMessage) (any, error) {
		obj, err := decodeObject(raw)
		if err != nil {
			return nil, err
		}
		name, err := stringKey(obj, key)
		if err != nil {
			return nil, err
		}
		replace := false
		if replaceable && obj["replace"] != nil {
			_ = json.Unmarshal(obj["replace"], &replace)
			delete(obj, "replace")
		}
		l := readList(o.md.Extra[section], key)
		if i := l.find(name); i >= 0 {
			if !replace {
				return nil, apierr.Newf(apierr.AlreadyExists, "%s with name %q already exists", kind, name)
			}
			l.items[i] = obj
		} else {
			l.items = append(l.items, obj)
		}
		o.setExtra(section, l.raw())
		return successMsg, nil
	}
}

// keptFind decodes args and finds the object of a top-level list that
// args[argKey] names: it returns args, the list and the object's index.
func (o *opCtx) keptFind(raw json.RawMessage, section, kind, key, argKey string) (object, *namedList, int, error) {
	obj, err := decodeObject(raw)
	if err != nil {
		return nil, nil, 0, err
	}
	name, err := stringKey(obj, argKey)
	if err != nil {
		return nil, nil, 0, err
	}
	l := readList(o.md.Extra[section], key)
	i := l.find(name)
	if i < 0 {
		return nil, nil, 0, apierr.Newf(apierr.NotExists, "%s with name %q does not exist", kind, name)
	}
	return obj, l, i, nil
}

// keptUpdate replaces the named object's keys given in args.
func keptUpdate(section, kind, key string) opFunc {
	return func(o *opCtx, raw json.RawMessage) (any, error) {
		obj, l, i, err := o.keptFind(raw, section, kind, key, key)
		if err != nil {
			return nil, err
		}
		for k, v := range obj {
			l.items[i][k] = v
		}
		o.setExtra(section, l.raw())
		return successMsg, nil
	}
}

// keptDrop removes the object named by args[argKey] from a top-level list.
func keptDrop(section, kind, key, argKey string) opFunc {
	return func(o *opCtx, raw json.RawMessage) (any, error) {
		_, l, i, err := o.keptFind(raw, section, kind, key, argKey)
		if err != nil {
			return nil, err
		}
		l.items = slices.Delete(l.items, i, i+1)
		o.setExtra(section, l.raw())
		return successMsg, nil
	}
}

// keptSub edits the sub list (such as "permissions") of a named object of
// a top-level list: with add it adds {role, ...} (args minus the parent
// key), otherwise it removes the entry args[subKey] names.
func keptSub(section, kind, parentArg, sub, subKey string, add bool) opFunc {
	return func(o *opCtx, raw json.RawMessage) (any, error) {
		obj, err := decodeObject(raw)
		if err != nil {
			return nil, err
		}
		parent, err := stringKey(obj, parentArg)
		if err != nil {
			return nil, err
		}
		subName, err := stringKey(obj, subKey)
		if err != nil {
			return nil, err
		}
		l := readList(o.md.Extra[section], "name")
		i := l.find(parent)
		if i < 0 {
			return nil, apierr.Newf(apierr.NotExists, "%s with name %q does not exist", kind, parent)
		}
		subs := readList(l.items[i][sub], subKey)
		j := subs.find(subName)
		switch {
		case add && j >= 0:
			return nil, apierr.Newf(apierr.AlreadyExists, "permission for role %q already exists in %s %q", subName, kind, parent)
		case add:
			delete(obj, parentArg)
			subs.items = append(subs.items, obj)
		case j < 0:
			return nil, apierr.Newf(apierr.NotExists, "permission for role %q does not exist in %s %q", subName, kind, parent)
		default:
			subs.items = slices.Delete(subs.items, j, j+1)
		}
		if len(subs.items) == 0 {
			delete(l.items[i], sub)
		} else {
			l.items[i][sub] = rawJSON(subs.items)
		}
		o.setExtra(section, l.raw())
		return successMsg, nil
	}
}

// keptSet replaces a whole top-level section with args.
func keptSet(section string) opFunc {
	return func(o *opCtx, raw json.RawMessage) (any, error) {
		obj, err := decodeObject(raw)
		if err != nil {
			return nil, err
		}
		o.setExtra(section, rawJSON(obj))
		return successMsg, nil
	}
}

// keptRemove deletes a whole top-level section.
func keptRemove(section string) opFunc {
	return func(o *opCtx, raw json.RawMessage) (any, error) {
		o.setExtra(section, nil)
		return successMsg, nil
	}
}

// opCreateEventTrigger stores an event trigger on its table in Hasura's
// metadata layout.
func opCreateEventTrigger(o *opCtx, raw json.RawMessage) (any, error) {
	obj, err := decodeObject(raw)
	if err != nil {
		return nil, err
	}
	name, err := stringKey(obj, "name")
	if err != nil {
		return nil, err
	}
	var tn TableName
	if obj["table"] == nil {
		return nil, required("table")
	}
	if err := decodeStrict(obj["table"], &tn, "$.table"); err != nil {
		return nil, err
	}
	var srcName string
	_ = json.Unmarshal(obj["source"], &srcName)
	s, t, err := o.table(srcName, tn)
	if err != nil {
		return nil, err
	}
	var replace bool
	_ = json.Unmarshal(obj["replace"], &replace)
	def := object{}
	for _, k := range []string{"enable_manual", "insert", "update", "delete"} {
		if v := obj[k]; v != nil {
			def[k] = v
		}
	}
	if def["enable_manual"] == nil {
		def["enable_manual"] = json.RawMessage("false")
	}
	trigger := object{"name": obj["name"], "definition": rawJSON(def)}
	for k, v := range obj {
		switch k {
		case "name", "table", "source", "replace", "enable_manual", "insert", "update", "delete":
		default:
			trigger[k] = v
		}
	}
	if trigger["retry_conf"] == nil {
		trigger["retry_conf"] = json.RawMessage(`{"interval_sec":10,"num_retries":0,"timeout_sec":60}`)
	}
	// A trigger name is unique across the source.
	for _, other := range s.Tables {
		l := readList(other.Extra["event_triggers"], "name")
		if l.find(name) >= 0 && !(replace && other == t) {
			return nil, apierr.Newf(apierr.AlreadyExists, "event trigger with name %q already exists", name)
		}
	}
	l := readList(t.Extra["event_triggers"], "name")
	if i := l.find(name); i >= 0 {
		l.items[i] = trigger
	} else {
		l.items = append(l.items, trigger)
	}
	if t.Extra == nil {
		t.Extra = map[string]json.RawMessage{}
	}
	t.Extra["event_triggers"] = l.raw()
	o.changed, o.checked, o.base = true, nil, nil
	return successMsg, nil
}

func opDeleteEventTrigger(o *opCtx, raw json.RawMessage) (any, error) {
	obj, err := decodeObject(raw)
	if err != nil {
		return nil, err
	}
	name, err := stringKey(obj, "name")
	if err != nil {
		return nil, err
	}
	var srcName string
	_ = json.Unmarshal(obj["source"], &srcName)
	s, err := o.source(srcName)
	if err != nil {
		return nil, err
	}
	for _, t := range s.Tables {
		l := readList(t.Extra["event_triggers"], "name")
		if i := l.find(name); i >= 0 {
			l.items = slices.Delete(l.items, i, i+1)
			if r := l.raw(); r == nil {
				delete(t.Extra, "event_triggers")
			} else {
				t.Extra["event_triggers"] = r
			}
			o.changed, o.checked, o.base = true, nil, nil
			return successMsg, nil
		}
	}
	return nil, apierr.Newf(apierr.NotExists, "event trigger with name %q does not exist", name)
}

// opAddQueryToCollection and opDropQueryFromCollection edit a query
// collection's definition.queries.
func opAddQueryToCollection(o *opCtx, raw json.RawMessage) (any, error) {
	return editCollection(o, raw, true)
}

func opDropQueryFromCollection(o *opCtx, raw json.RawMessage) (any, error) {
	return editCollection(o, raw, false)
}

func editCollection(o *opCtx, raw json.RawMessage, add bool) (any, error) {
	obj, err := decodeObject(raw)
	if err != nil {
		return nil, err
	}
	coll, err := stringKey(obj, "collection_name")
	if err != nil {
		return nil, err
	}
	qname, err := stringKey(obj, "query_name")
	if err != nil {
		return nil, err
	}
	l := readList(o.md.Extra["query_collections"], "name")
	i := l.find(coll)
	if i < 0 {
		return nil, apierr.Newf(apierr.NotExists, "query collection with name %q does not exist", coll)
	}
	var def object
	_ = json.Unmarshal(l.items[i]["definition"], &def)
	if def == nil {
		def = object{}
	}
	queries := readList(def["queries"], "name")
	j := queries.find(qname)
	switch {
	case add && j >= 0:
		return nil, apierr.Newf(apierr.AlreadyExists, "query with name %q already exists in collection %q", qname, coll)
	case add:
		if obj["query"] == nil {
			return nil, required("query")
		}
		queries.items = append(queries.items, object{"name": obj["query_name"], "query": obj["query"]})
	case j < 0:
		return nil, apierr.Newf(apierr.NotExists, "query with name %q not found in collection %q", qname, coll)
	default:
		queries.items = slices.Delete(queries.items, j, j+1)
	}
	if queries.items == nil {
		queries.items = []object{}
	}
	def["queries"] = rawJSON(queries.items)
	l.items[i]["definition"] = rawJSON(def)
	o.setExtra("query_collections", l.raw())
	return successMsg, nil
}

// keptOps lists the operations on kept sections.
func keptOps() map[string]opFunc {
	return map[string]opFunc{
		"add_remote_schema":                        keptAdd("remote_schemas", "remote schema", "name", false),
		"update_remote_schema":                     keptUpdate("remote_schemas", "remote schema", "name"),
		"remove_remote_schema":                     keptDrop("remote_schemas", "remote schema", "name", "name"),
		"add_remote_schema_permissions":            keptSub("remote_schemas", "remote schema", "remote_schema", "permissions", "role", true),
		"drop_remote_schema_permissions":           keptSub("remote_schemas", "remote schema", "remote_schema", "permissions", "role", false),
		"create_action":                            keptAdd("actions", "action", "name", false),
		"update_action":                            keptUpdate("actions", "action", "name"),
		"drop_action":                              keptDrop("actions", "action", "name", "name"),
		"create_action_permission":                 keptSub("actions", "action", "action", "permissions", "role", true),
		"drop_action_permission":                   keptSub("actions", "action", "action", "permissions", "role", false),
		"set_custom_types":                         keptSet("custom_types"),
		"create_cron_trigger":                      keptAdd("cron_triggers", "cron trigger", "name", true),
		"delete_cron_trigger":                      keptDrop("cron_triggers", "cron trigger", "name", "name"),
		"create_query_collection":                  keptAdd("query_collections", "query collection", "name", false),
		"drop_query_collection":                    keptDrop("query_collections", "query collection", "name", "collection"),
		"add_query_to_collection":                  opAddQueryToCollection,
		"drop_query_from_collection":               opDropQueryFromCollection,
		"add_collection_to_allowlist":              keptAdd("allowlist", "collection in allowlist", "collection", false),
		"drop_collection_from_allowlist":           keptDrop("allowlist", "collection in allowlist", "collection", "collection"),
		"create_rest_endpoint":                     keptAdd("rest_endpoints", "endpoint", "name", false),
		"drop_rest_endpoint":                       keptDrop("rest_endpoints", "endpoint", "name", "name"),
		"set_api_limits":                           keptSet("api_limits"),
		"remove_api_limits":                        keptRemove("api_limits"),
		"set_graphql_schema_introspection_options": keptSet("graphql_schema_introspection"),
		"set_metrics_config":                       keptSet("metrics_config"),
		"remove_metrics_config":                    keptRemove("metrics_config"),
		"set_opentelemetry_config":                 keptSet("opentelemetry"),
		"pg_create_event_trigger":                  opCreateEventTrigger,
		"pg_delete_event_trigger":                  opDeleteEventTrigger,
	}
}
