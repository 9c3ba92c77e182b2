"""Prints a GraphQL response in a shape-neutral form, so that engines whose
schemas name things differently can be compared: the root field's value,
with each object replaced by the sorted list of its values (field names and
their order differ between engines) and each Relay connection
({"nodes": [...]}) by its list of nodes. Lists keep their order."""
import json
import sys


def norm(v):
    if isinstance(v, dict):
        if list(v.keys()) == ["nodes"]:
            return norm(v["nodes"])
        return sorted((norm(x) for x in v.values()), key=lambda x: json.dumps(x, sort_keys=True))
    if isinstance(v, list):
        return [norm(x) for x in v]
    return v


doc = json.load(sys.stdin)
if "errors" in doc or not isinstance(doc.get("data"), dict) or len(doc["data"]) != 1:
    print("unexpected response: " + json.dumps(doc)[:300])
    sys.exit(1)
print(json.dumps(norm(next(iter(doc["data"].values())))))
