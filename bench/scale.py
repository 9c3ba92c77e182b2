"""Generates the scale benchmark's schema and metadata (used by bench/scale.sh).

  scale.py sql N EXTRA        SQL for tables t0001..tN chained by foreign keys
                              (tK.parent_id -> t(K-1).id) and EXTRA untracked
                              tables x0001..xEXTRA, 10 rows each.
  scale.py metadata N SOURCE  replace_metadata body tracking t0001..tN with
                              both relationships per foreign key and select
                              permissions for roles user, editor and viewer;
                              SOURCE is export_metadata's output, whose
                              default source configuration is kept.
"""
import json
import sys

ROLES = {
    "user": {"columns": ["id", "name", "owner_id", "parent_id"], "filter": {"owner_id": {"_eq": "X-Hasura-User-Id"}}},
    "editor": {"columns": ["id", "name", "owner_id", "parent_id"], "filter": {}, "allow_aggregations": True},
    "viewer": {"columns": ["id", "name"], "filter": {"parent_id": {"_is_null": False}}, "limit": 100},
}


def t(i, prefix="t"):
    return "%s%04d" % (prefix, i)


def sql(n, extra):
    out = ["SET client_min_messages = warning;"]
    for i in range(1, n + 1):
        ref = " REFERENCES %s(id)" % t(i - 1) if i > 1 else ""
        out.append("CREATE TABLE %s (id integer PRIMARY KEY, name text NOT NULL, owner_id integer NOT NULL, parent_id integer%s);" % (t(i), ref))
        out.append("CREATE INDEX ON %s(parent_id);" % t(i))
        parent = "g" if i > 1 else "NULL"
        out.append("INSERT INTO %s SELECT g, 'row ' || g, g %% 3 + 1, %s FROM generate_series(1, 10) g;" % (t(i), parent))
    for i in range(1, extra + 1):
        out.append("CREATE TABLE %s (id integer PRIMARY KEY, name text NOT NULL, owner_id integer NOT NULL);" % t(i, "x"))
        out.append("INSERT INTO %s SELECT g, 'row ' || g, g %% 3 + 1 FROM generate_series(1, 10) g;" % t(i, "x"))
    out.append("ANALYZE;")
    return "\n".join(out)


def metadata(n, exported):
    src = exported.get("metadata", exported)
    sources = src.get("sources") or []
    default = next((s for s in sources if s.get("name") == "default"), None)
    if default is None:
        raise SystemExit("export_metadata has no default source")
    tables = []
    for i in range(1, n + 1):
        tab = {"table": {"schema": "public", "name": t(i)}}
        if i > 1:
            tab["object_relationships"] = [{"name": "parent", "using": {"foreign_key_constraint_on": "parent_id"}}]
        if i < n:
            tab["array_relationships"] = [{"name": "children", "using": {
                "foreign_key_constraint_on": {"table": {"schema": "public", "name": t(i + 1)}, "column": "parent_id"}}}]
        tab["select_permissions"] = [{"role": r, "permission": p} for r, p in ROLES.items()]
        tables.append(tab)
    new_source = dict(default)
    new_source["tables"] = tables
    new_source.pop("functions", None)
    return {"type": "replace_metadata", "args": {"version": 3, "sources": [new_source]}}


if __name__ == "__main__":
    if sys.argv[1] == "sql":
        print(sql(int(sys.argv[2]), int(sys.argv[3])))
    elif sys.argv[1] == "metadata":
        with open(sys.argv[3]) as f:
            print(json.dumps(metadata(int(sys.argv[2]), json.load(f))))
    else:
        raise SystemExit(__doc__)
