package jwtconfig

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/postgate/postgate/internal/auth"
)

// offline is an HTTP client that never leaves the process.
var offline = &http.Client{Transport: roundTripFunc(func(*http.Request) (*http.Response, error) {
	return nil, errors.New("offline")
})}

type roundTripFunc func(*http.Request) (*http.Response, error)

func (f roundTripFunc) RoundTrip(r *http.Request) (*http.Response, error) { return f(r) }

func runArgs(t *testing.T, args ...string) (int, string, string) {
	t.Helper()
	var out, errOut bytes.Buffer
	code := run(context.Background(), args, &out, &errOut, http.DefaultClient)
	return code, out.String(), errOut.String()
}

func TestProviders(t *testing.T) {
	cases := []struct {
		args []string
		want string
	}{
		{[]string{"--provider", "auth0", "--domain", "tenant.eu.auth0.com", "--format", "json"},
			`{"type":"RS256","jwk_url":"https://tenant.eu.auth0.com/.well-known/jwks.json","issuer":"https://tenant.eu.auth0.com/"}`},
		{[]string{"--provider", "auth0", "--domain", "https://tenant.auth0.com/", "--audience", "https://api.example/", "--format", "json"},
			`{"type":"RS256","jwk_url":"https://tenant.auth0.com/.well-known/jwks.json","issuer":"https://tenant.auth0.com/","audience":"https://api.example/"}`},
		{[]string{"--provider=firebase", "--project=my-app", "--format=json"},
			`{"type":"RS256","jwk_url":"https://www.googleapis.com/service_accounts/v1/jwk/securetoken@system.gserviceaccount.com","issuer":"https://securetoken.google.com/my-app","audience":"my-app"}`},
		{[]string{"--provider", "cognito", "--region", "eu-west-1", "--user-pool", "eu-west-1_AbC123", "--format", "json"},
			`{"type":"RS256","jwk_url":"https://cognito-idp.eu-west-1.amazonaws.com/eu-west-1_AbC123/.well-known/jwks.json","issuer":"https://cognito-idp.eu-west-1.amazonaws.com/eu-west-1_AbC123","claims_format":"stringified_json"}`},
		{[]string{"--provider", "cognito", "--user-pool", "us-east-1_X9", "--audience", "client1,client2", "--format", "json"},
			`{"type":"RS256","jwk_url":"https://cognito-idp.us-east-1.amazonaws.com/us-east-1_X9/.well-known/jwks.json","issuer":"https://cognito-idp.us-east-1.amazonaws.com/us-east-1_X9","audience":["client1","client2"],"claims_format":"stringified_json"}`},
		{[]string{"--provider", "keycloak", "--url", "https://sso.example.com/", "--realm", "shop", "--format", "json"},
			`{"type":"RS256","jwk_url":"https://sso.example.com/realms/shop/protocol/openid-connect/certs","issuer":"https://sso.example.com/realms/shop"}`},
		{[]string{"--provider", "clerk", "--domain", "clerk.example.com", "--claims-namespace", "hasura", "--format", "json"},
			`{"type":"RS256","jwk_url":"https://clerk.example.com/.well-known/jwks.json","issuer":"https://clerk.example.com","claims_namespace":"hasura"}`},
	}
	for _, tc := range cases {
		code, out, errOut := runArgs(t, tc.args...)
		if code != 0 || strings.TrimSpace(out) != tc.want {
			t.Errorf("%v: code %d\n got  %s\n want %s\n%s", tc.args, code, out, tc.want, errOut)
			continue
		}
		// What is printed is accepted by the engine as it is.
		if _, err := auth.New(auth.Config{AdminSecret: "x", JWTSecret: strings.TrimSpace(out)}, auth.WithStartupWait(0), auth.WithHTTPClient(offline)); err != nil {
			t.Errorf("%v: engine refuses the output: %v", tc.args, err)
		}
	}
}

func TestEnvFormat(t *testing.T) {
	code, out, _ := runArgs(t, "--provider", "auth0", "--domain", "t.auth0.com", "--audience", "it's")
	want := `HASURA_GRAPHQL_JWT_SECRET='{"type":"RS256","jwk_url":"https://t.auth0.com/.well-known/jwks.json","issuer":"https://t.auth0.com/","audience":"it'\''s"}'` + "\n"
	if code != 0 || out != want {
		t.Fatalf("code %d\n got  %s want %s", code, out, want)
	}
}

func TestOIDCDiscovery(t *testing.T) {
	var srv *httptest.Server
	srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/auth/.well-known/openid-configuration":
			_ = json.NewEncoder(w).Encode(map[string]any{
				"issuer": srv.URL + "/auth/", "jwks_uri": srv.URL + "/auth/.well-known/jwks.json",
				"id_token_signing_alg_values_supported": []string{"RS256"},
			})
		case "/es/.well-known/openid-configuration":
			_ = json.NewEncoder(w).Encode(map[string]any{
				"issuer": srv.URL + "/es", "jwks_uri": srv.URL + "/es/keys",
				"id_token_signing_alg_values_supported": []string{"ES256"},
			})
		case "/liar/.well-known/openid-configuration":
			_ = json.NewEncoder(w).Encode(map[string]any{"issuer": "https://elsewhere/", "jwks_uri": srv.URL + "/keys"})
		case "/html/.well-known/openid-configuration":
			_, _ = w.Write([]byte("<html>"))
		default:
			http.NotFound(w, r)
		}
	}))
	defer srv.Close()

	code, out, errOut := runArgs(t, "--provider", "oidc", "--issuer", srv.URL+"/auth/", "--audience", "api", "--format", "json")
	want := `{"type":"RS256","jwk_url":"` + srv.URL + `/auth/.well-known/jwks.json","issuer":"` + srv.URL + `/auth/","audience":"api"}`
	if code != 0 || strings.TrimSpace(out) != want {
		t.Fatalf("code %d %s\n got  %s\n want %s", code, errOut, out, want)
	}
	code, out, _ = runArgs(t, "--provider", "oidc", "--issuer", srv.URL+"/es", "--format", "json")
	if code != 0 || !strings.Contains(out, `"type":"ES256"`) || !strings.Contains(out, `"issuer":"`+srv.URL+`/es"`) {
		t.Fatalf("ES256 issuer: %d %s", code, out)
	}
	for path, msg := range map[string]string{
		"/liar":    `it names issuer "https://elsewhere/"`,
		"/html":    "not an OpenID Provider configuration",
		"/missing": "HTTP status 404",
	} {
		code, out, errOut := runArgs(t, "--provider", "oidc", "--issuer", srv.URL+path)
		if code != 1 || out != "" || !strings.Contains(errOut, msg) {
			t.Errorf("%s: code %d out %q err %q", path, code, out, errOut)
		}
	}
}

func TestUsageErrors(t *testing.T) {
	cases := []struct {
		args []string
		msg  string
	}{
		{nil, "--provider is required"},
		{[]string{"--provider", "okta"}, `unknown provider "okta"`},
		{[]string{"--provider", "auth0"}, "--domain is required for --provider auth0"},
		{[]string{"--provider", "auth0", "--domain", "a.com/path"}, "must be a host name"},
		{[]string{"--provider", "firebase"}, "--project is required for --provider firebase"},
		{[]string{"--provider", "cognito", "--region", "eu-west-1"}, "--user-pool is required for --provider cognito"},
		{[]string{"--provider", "cognito", "--user-pool", "pool"}, "--user-pool must look like"},
		{[]string{"--provider", "cognito", "--user-pool", "us-east-1_X", "--region", "eu-west-1"}, "is not in --region eu-west-1"},
		{[]string{"--provider", "keycloak", "--url", "https://sso"}, "--realm is required for --provider keycloak"},
		{[]string{"--provider", "keycloak", "--url", "sso.example.com", "--realm", "r"}, "--url must be an http(s) URL"},
		{[]string{"--provider", "clerk"}, "--domain is required for --provider clerk"},
		{[]string{"--provider", "oidc"}, "--issuer is required for --provider oidc"},
		{[]string{"--provider", "auth0", "--domain", "d", "--format", "yaml"}, "--format must be env or json"},
		{[]string{"--provider", "auth0", "--domain", "d", "extra"}, `unexpected argument "extra"`},
		{[]string{"--nope"}, "flag provided but not defined: -nope"},
	}
	for _, tc := range cases {
		code, out, errOut := runArgs(t, tc.args...)
		if code != 2 || out != "" || !strings.Contains(errOut, tc.msg) || !strings.Contains(errOut, "usage: postgate jwt-config") {
			t.Errorf("%v: code %d out %q err %q", tc.args, code, out, errOut)
		}
	}
	code, out, _ := runArgs(t, "--help")
	if code != 0 || !strings.Contains(out, "usage:") {
		t.Errorf("--help: %d %q", code, out)
	}
}
