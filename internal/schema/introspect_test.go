package schema

import (
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/vektah/gqlparser/v2/ast"
	"github.com/vektah/gqlparser/v2/parser"
	"github.com/vektah/gqlparser/v2/validator"
)

// introspectionQuery is graphql-js getIntrospectionQuery() with every option
// on (descriptions, specifiedByUrl, directiveIsRepeatable,
// schemaDescription, inputValueDeprecation).
const introspectionQuery = `
    query IntrospectionQuery {
      __schema {
        description
        queryType { name }
        mutationType { name }
        subscriptionType { name }
        types {
          ...FullType
        }
        directives {
          name
          description
          isRepeatable
          locations
          args(includeDeprecated: true) {
            ...InputValue
          }
        }
      }
    }

    fragment FullType on __Type {
      kind
      name
      description
      specifiedByURL
      fields(includeDeprecated: true) {
        name
        description
        args(includeDeprecated: true) {
          ...InputValue
        }
        type {
          ...TypeRef
        }
        isDeprecated
        deprecationReason
      }
      inputFields(includeDeprecated: true) {
        ...InputValue
      }
      interfaces {
        ...TypeRef
      }
      enumValues(includeDeprecated: true) {
        name
        description
        isDeprecated
        deprecationReason
      }
      possibleTypes {
        ...TypeRef
      }
    }

    fragment InputValue on __InputValue {
      name
      description
      type { ...TypeRef }
      defaultValue
      isDeprecated
      deprecationReason
    }

    fragment TypeRef on __Type {
      kind
      name
      ofType {
        kind
        name
        ofType {
          kind
          name
          ofType {
            kind
            name
            ofType {
              kind
              name
              ofType {
                kind
                name
                ofType {
                  kind
                  name
                  ofType {
                    kind
                    name
                  }
                }
              }
            }
          }
        }
      }
    }
`

// introspect validates query against s and answers its root fields.
func introspect(t testing.TB, s *Schema, query string, vars map[string]any) map[string]json.RawMessage {
	t.Helper()
	doc, err := parser.ParseQuery(&ast.Source{Input: query})
	if err != nil {
		t.Fatal(err)
	}
	if errs := validator.Validate(s.AST, doc); len(errs) > 0 {
		t.Fatal(errs)
	}
	out := map[string]json.RawMessage{}
	for _, sel := range doc.Operations[0].SelectionSet {
		f := sel.(*ast.Field)
		key := f.Alias
		if key == "" {
			key = f.Name
		}
		raw, err := Introspect(s.AST, f, vars)
		if err != nil {
			t.Fatal(err)
		}
		if !json.Valid(raw) {
			t.Fatalf("invalid JSON: %s", raw)
		}
		out[key] = raw
	}
	return out
}

// introType is the part of an introspected type the invariants check.
type introType struct {
	Kind        string          `json:"kind"`
	Name        string          `json:"name"`
	Fields      []introField    `json:"fields"`
	InputFields []introInput    `json:"inputFields"`
	EnumValues  []struct{}      `json:"enumValues"`
	OfType      *introTypeRef   `json:"ofType"`
	Interfaces  json.RawMessage `json:"interfaces"`
}

type introField struct {
	Name string        `json:"name"`
	Args []introInput  `json:"args"`
	Type *introTypeRef `json:"type"`
}

type introInput struct {
	Name string        `json:"name"`
	Type *introTypeRef `json:"type"`
}

type introTypeRef struct {
	Kind   string        `json:"kind"`
	Name   *string       `json:"name"`
	OfType *introTypeRef `json:"ofType"`
}

func TestIntrospectionQueryInvariants(t *testing.T) {
	for _, role := range []string{AdminRole, "user", "nobody"} {
		s := build(t, role)
		res := introspect(t, s, introspectionQuery, nil)
		var schema struct {
			QueryType        struct{ Name string }  `json:"queryType"`
			SubscriptionType *struct{ Name string } `json:"subscriptionType"`
			MutationType     *struct{ Name string } `json:"mutationType"`
			Types            []introType            `json:"types"`
			Directives       []struct {
				Name      string   `json:"name"`
				Locations []string `json:"locations"`
			} `json:"directives"`
		}
		if err := json.Unmarshal(res["__schema"], &schema); err != nil {
			t.Fatal(err)
		}
		if schema.QueryType.Name != "query_root" || (role == "nobody") != (schema.MutationType == nil) {
			t.Errorf("%s: roots %+v %+v", role, schema.QueryType, schema.MutationType)
		}
		if role != "nobody" && (schema.SubscriptionType == nil || schema.SubscriptionType.Name != "subscription_root") {
			t.Errorf("%s: subscription root %+v", role, schema.SubscriptionType)
		}
		byName := map[string]introType{}
		for _, ty := range schema.Types {
			byName[ty.Name] = ty
		}
		var check func(where string, r *introTypeRef)
		check = func(where string, r *introTypeRef) {
			if r == nil {
				t.Errorf("%s: %s: missing type", role, where)
				return
			}
			switch r.Kind {
			case "LIST", "NON_NULL":
				if r.Name != nil {
					t.Errorf("%s: %s: wrapper with a name", role, where)
				}
				check(where, r.OfType)
			default:
				if r.Name == nil {
					t.Errorf("%s: %s: named type without name", role, where)
				} else if got, ok := byName[*r.Name]; !ok || got.Kind != r.Kind {
					t.Errorf("%s: %s: type %s (%s) not listed", role, where, *r.Name, r.Kind)
				}
			}
		}
		for _, ty := range schema.Types {
			switch ty.Kind {
			case "OBJECT":
				if len(ty.Fields) == 0 || ty.Interfaces == nil || string(ty.Interfaces) == "null" {
					t.Errorf("%s: object %s without fields or interfaces", role, ty.Name)
				}
			case "INPUT_OBJECT":
				if len(ty.InputFields) == 0 {
					t.Errorf("%s: input %s without fields", role, ty.Name)
				}
			case "ENUM":
				if len(ty.EnumValues) == 0 {
					t.Errorf("%s: enum %s without values", role, ty.Name)
				}
			}
			for _, f := range ty.Fields {
				check(ty.Name+"."+f.Name, f.Type)
				for _, a := range f.Args {
					check(ty.Name+"."+f.Name+"("+a.Name+")", a.Type)
				}
				if strings.HasPrefix(f.Name, "__") {
					t.Errorf("%s: %s lists meta field %s", role, ty.Name, f.Name)
				}
			}
			for _, f := range ty.InputFields {
				check(ty.Name+"."+f.Name, f.Type)
			}
		}
		for _, n := range []string{"__Schema", "__Type", "__TypeKind", "__Field", "__InputValue", "__EnumValue", "__Directive", "__DirectiveLocation", "String", "Boolean"} {
			if _, ok := byName[n]; !ok {
				t.Errorf("%s: type %s missing", role, n)
			}
		}
		// Only reachable types are listed: nothing uses ID, and the user
		// role has no Float (no avg, no float columns).
		if _, ok := byName["ID"]; ok {
			t.Errorf("%s: unused ID listed", role)
		}
		if _, ok := byName["Float"]; ok != (role == AdminRole) {
			t.Errorf("%s: Float listed = %v", role, ok)
		}
		var dirs []string
		for _, d := range schema.Directives {
			dirs = append(dirs, d.Name)
		}
		if got := strings.Join(dirs, ","); got != "cached,deprecated,include,skip,specifiedBy" {
			t.Errorf("%s: directives %s", role, got)
		}
	}
}

func TestIntrospectTypeAliasesFragmentsDirectives(t *testing.T) {
	s := build(t, "user")
	q := `query($skip: Boolean!) {
	  t: __type(name: "author") {
	    __typename
	    n: name
	    kind
	    ... on __Type { description }
	    fields @skip(if: $skip) { name }
	    fields { type { kind ofType { name } } }
	  }
	  missing: __type(name: "nope") { name }
	  enum: __type(name: "order_by") { enumValues { name } inputFields { name } }
	  __typename
	}`
	res := introspect(t, s, q, map[string]any{"skip": true})
	want := map[string]string{
		"t":          `{"__typename":"__Type","n":"author","kind":"OBJECT","description":"Writers of articles","fields":[{"type":{"kind":"NON_NULL","ofType":{"name":null}}},{"type":{"kind":"NON_NULL","ofType":{"name":null}}},{"type":{"kind":"NON_NULL","ofType":{"name":"Int"}}},{"type":{"kind":"NON_NULL","ofType":{"name":"String"}}}]}`,
		"missing":    `null`,
		"enum":       `{"enumValues":[{"name":"asc"},{"name":"asc_nulls_first"},{"name":"asc_nulls_last"},{"name":"desc"},{"name":"desc_nulls_first"},{"name":"desc_nulls_last"}],"inputFields":null}`,
		"__typename": `"query_root"`,
	}
	for k, w := range want {
		if string(res[k]) != w {
			t.Errorf("%s:\n got %s\nwant %s", k, res[k], w)
		}
	}
	// With $skip false the skipped "fields { name }" merges with the other
	// "fields" selection.
	res = introspect(t, s, q, map[string]any{"skip": false})
	if !strings.Contains(string(res["t"]), `"fields":[{"name":"articles","type":`) {
		t.Errorf("merged fields: %s", res["t"])
	}
}

func TestIntrospectionWithGraphQLJS(t *testing.T) {
	// graphql-js's buildClientSchema must accept our introspection result,
	// and printSchema must print the types we generate.
	if _, err := exec.LookPath("npm"); err != nil {
		if os.Getenv("CI") != "" {
			t.Fatal("npm is required in CI")
		}
		t.Skip("npm not available")
	}
	dir := os.Getenv("POSTGATE_GRAPHQLJS_DIR")
	if dir == "" {
		dir = filepath.Join(os.TempDir(), "postgate-graphqljs")
	}
	if _, err := os.Stat(filepath.Join(dir, "node_modules", "graphql")); err != nil {
		if err := os.MkdirAll(dir, 0o755); err != nil {
			t.Fatal(err)
		}
		cmd := exec.Command("npm", "install", "--silent", "--no-audit", "--no-fund", "--prefix", dir, "graphql@16")
		if out, err := cmd.CombinedOutput(); err != nil {
			if os.Getenv("CI") != "" {
				t.Fatalf("npm install graphql: %v\n%s", err, out)
			}
			t.Skipf("npm install graphql failed: %v", err)
		}
	}
	s := build(t, AdminRole)
	res := introspect(t, s, introspectionQuery, nil)
	data := `{"__schema":` + string(res["__schema"]) + `}`
	in := filepath.Join(t.TempDir(), "introspection.json")
	if err := os.WriteFile(in, []byte(data), 0o644); err != nil {
		t.Fatal(err)
	}
	script := `
const { buildClientSchema, printSchema, validateSchema } = require('graphql');
const fs = require('fs');
const schema = buildClientSchema(JSON.parse(fs.readFileSync(process.argv[1], 'utf8')));
const errs = validateSchema(schema);
if (errs.length) { console.error(errs.map(String).join('\n')); process.exit(1); }
process.stdout.write(printSchema(schema));
`
	cmd := exec.Command("node", "-e", script, in)
	cmd.Env = append(os.Environ(), "NODE_PATH="+filepath.Join(dir, "node_modules"))
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("graphql-js: %v\n%s", err, out)
	}
	sdl := string(out)
	for _, want := range []string{
		"type query_root {",
		"type subscription_root {",
		"author_by_pk(id: Int!): author",
		"input author_bool_exp {",
		"enum article_status_enum {",
		`directive @cached(`,
		"count(columns: [author_select_column!], distinct: Boolean): Int!",
	} {
		if !strings.Contains(sdl, want) {
			t.Errorf("graphql-js schema lacks %q", want)
		}
	}
}
