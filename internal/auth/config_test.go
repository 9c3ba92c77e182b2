package auth

import (
	"encoding/json"
	"errors"
	"strings"
	"testing"
)

const hsKey = "an-hmac-secret-that-is-at-least-32-bytes-long"

func TestStartupRules(t *testing.T) {
	jwt := `{"type":"HS256","key":"` + hsKey + `"}`
	const requires = " requires --admin-secret (HASURA_GRAPHQL_ADMIN_SECRET) or  --access-key (HASURA_GRAPHQL_ACCESS_KEY) to be set"
	cases := []struct {
		name string
		c    Config
		want string
	}{
		{"jwt without admin secret", Config{JWTSecret: jwt}, "Fatal Error : --jwt-secret (HASURA_GRAPHQL_JWT_SECRET)" + requires},
		{"hook without admin secret", Config{AuthHook: "http://127.0.0.1:1/hook"}, "Fatal Error : --auth-hook (HASURA_GRAPHQL_AUTH_HOOK)" + requires},
		{"hook and jwt", Config{AdminSecret: "x", AuthHook: "http://127.0.0.1:1/hook", JWTSecret: jwt}, "Fatal Error: Both webhook and JWT mode cannot be enabled at the same time"},
		{"hook and jwt without secret", Config{AuthHook: "http://127.0.0.1:1/hook", JWTSecret: jwt}, "Fatal Error: Both webhook and JWT mode cannot be enabled at the same time"},
		{"unauthorized role with hook", Config{AdminSecret: "x", AuthHook: "http://127.0.0.1:1/hook", UnauthorizedRole: "anon"},
			"Fatal Error: --unauthorized-role (HASURA_GRAPHQL_UNAUTHORIZED_ROLE)" + requires + " and is not allowed when --auth-hook (HASURA_GRAPHQL_AUTH_HOOK) is set"},
		{"unauthorized role without secret", Config{UnauthorizedRole: "anon"},
			"Fatal Error: --unauthorized-role (HASURA_GRAPHQL_UNAUTHORIZED_ROLE)" + requires + " and is not allowed when --auth-hook (HASURA_GRAPHQL_AUTH_HOOK) is set"},
		{"bad hook mode", Config{AdminSecret: "x", AuthHook: "http://127.0.0.1:1/hook", AuthHookMode: "PUT"}, "HASURA_GRAPHQL_AUTH_HOOK_MODE: Only expecting GET / POST"},
		{"bad admin secrets", Config{AdminSecrets: `"one"`}, "HASURA_GRAPHQL_ADMIN_SECRETS: expected a JSON list of strings"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			_, err := New(tc.c)
			var ce *ConfigError
			if !errors.As(err, &ce) || ce.Message != tc.want {
				t.Fatalf("want %q, got %v", tc.want, err)
			}
		})
	}
}

func TestJWTSecretValidation(t *testing.T) {
	cases := []struct {
		secret string
		want   string
	}{
		{`{"type":"HS256"}`, "Error in $: key and jwk_url both cannot be empty"},
		{`{"type":"RS256","key":"x","jwk_url":"https://issuer/jwks"}`, "Error in $: key, jwk_url both cannot be present"},
		{`{"type":"PS256","key":"x"}`, "Error in $: Invalid JWK: Key type: PS256 is not supported"},
		{`{"key":"` + hsKey + `"}`, `Error in $: key "type" not found`},
		{`{"type":"HS256","key":"short"}`, "Error in $: Invalid JWK: Key size too small; should be atleast 32 characters"},
		{`{"type":"HS512","key":"` + hsKey + `"}`, "Error in $: Invalid JWK: Key size too small; should be atleast 64 characters"},
		{`{"type":"RS256","key":"not a pem"}`, "Error in $: Invalid JWK: Could not decode PEM: No pem found"},
		{`{"jwk_url":"https://i/jwks","claims_namespace":"a","claims_namespace_path":"$.a"}`, "Error in $: claims_namespace and claims_namespace_path both cannot be set"},
		{`{"jwk_url":"https://i/jwks","claims_namespace_path":"$.a b"}`, "Error in $: invalid JSON path claims_namespace_path error: invalid property name: $.a b. Accept letters, digits, underscore (_) or hyphen (-) only. Use quotes enclosed in bracket ([\"...\"]) if there is any other character"},
		{`{"jwk_url":"https://i/jwks","claims_map":{"x-hasura-default-role":"user"}}`, "Error in $.claims_map: x-hasura-allowed-roles is expected but not found"},
		{`{"jwk_url":"https://i/jwks","claims_map":{"x-hasura-allowed-roles":["user"]}}`, "Error in $.claims_map: x-hasura-default-role is expected but not found"},
		{`{"jwk_url":"https://i/jwks","claims_format":"xml"}`, "Error in $.claims_format: unexpected claims_format xml, expected json or stringified_json"},
		{`{"jwk_url":"https://i/jwks","header":{"type":"Cookie"}}`, `Error in $.header: key "name" not found`},
		{`{"jwk_url":"https://i/jwks","header":{"type":"Query"}}`, "Error in $.header: expected 'type' is 'Authorization' or 'Cookie' or 'CustomHeader'"},
		{`{"jwk_url":"ftp://i/jwks"}`, "Error in $.jwk_url: not a valid URI: ftp://i/jwks"},
		{`[]`, "Error in $: parsing JWTConfig failed, expected Object, but encountered Array"},
		{`{"type":"HS256",`, "Error in $: Failed reading: not a valid json value"},
	}
	for _, tc := range cases {
		_, err := New(Config{AdminSecret: "x", JWTSecret: tc.secret})
		want := "HASURA_GRAPHQL_JWT_SECRET: " + tc.want
		if err == nil || err.Error() != want {
			t.Errorf("%s:\n want %q\n got  %v", tc.secret, want, err)
		}
	}
	_, err := New(Config{AdminSecret: "x", JWTSecrets: `[{"type":"HS256","key":"` + hsKey + `"},{"type":"HS256"}]`})
	if err == nil || err.Error() != "HASURA_GRAPHQL_JWT_SECRETS: Error in $[1]: key and jwk_url both cannot be empty" {
		t.Errorf("secrets list: %v", err)
	}
}

func TestInfo(t *testing.T) {
	cases := []struct {
		c    Config
		want string
	}{
		{Config{}, `{"is_admin_secret_set":false,"is_auth_hook_set":false,"is_jwt_set":false,"jwt":[]}`},
		{Config{AdminSecret: "x", AuthHook: "http://127.0.0.1:1/"}, `{"is_admin_secret_set":true,"is_auth_hook_set":true,"is_jwt_set":false,"jwt":[]}`},
		{Config{AdminSecret: "x", JWTSecrets: `[{"type":"HS256","key":"` + hsKey + `"},` +
			`{"type":"HS256","key":"` + hsKey + `","claims_namespace_path":"$.hasura['claims']","claims_format":"stringified_json"},` +
			`{"type":"HS256","key":"` + hsKey + `","claims_map":{"x-hasura-allowed-roles":["user"],"x-hasura-default-role":"user"}}]`},
			`{"is_admin_secret_set":true,"is_auth_hook_set":false,"is_jwt_set":true,"jwt":[` +
				`{"claims_namespace":"https://hasura.io/jwt/claims","claims_format":"json"},` +
				`{"claims_namespace":"$.hasura.claims","claims_format":"stringified_json"},` +
				`{"claims_namespace":"https://hasura.io/jwt/claims","claims_format":"json","claims_map":{"x-hasura-allowed-roles":["user"],"x-hasura-default-role":"user"}}]}`},
	}
	for _, tc := range cases {
		got, err := json.Marshal(mustNew(t, tc.c).Info())
		if err != nil || string(got) != tc.want {
			t.Errorf("\nwant %s\ngot  %s", tc.want, got)
		}
	}
}

func TestJSONPath(t *testing.T) {
	doc := map[string]any{"a": map[string]any{"b c": []any{"x", map[string]any{"d": "found"}}}}
	cases := []struct{ path, str, want string }{
		{"$", "$", ""},
		{"$.a['b c'][1].d", "$.a['b c'][1].d", "found"},
		{`$["a"]["b c"][0]`, "$.a['b c'][0]", "x"},
		{"a.b-c", "$.a['b-c']", ""},
	}
	for _, tc := range cases {
		p, err := parseJSONPath(tc.path)
		if err != nil {
			t.Fatalf("%s: %v", tc.path, err)
		}
		if p.String() != tc.str {
			t.Errorf("%s renders as %s", tc.path, p.String())
		}
		v, ok := p.lookup(doc)
		if tc.want != "" && (!ok || v != tc.want) {
			t.Errorf("%s: got %v %v", tc.path, v, ok)
		}
	}
	for _, bad := range []string{"$.", "$[", "$['a'", "$[x]", "$.a..b", "$a b"} {
		if _, err := parseJSONPath(bad); err == nil || !strings.Contains(err.Error(), "invalid property name") {
			t.Errorf("%q should not parse: %v", bad, err)
		}
	}
}
