package cli

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

func TestAuthCommands(t *testing.T) {
	var got []string
	var bodies []map[string]any
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("Authorization") != "Bearer s3cret" {
			w.WriteHeader(401)
			_, _ = io.WriteString(w, `{"statusCode":401,"error":"Unauthorized","message":"Invalid admin secret"}`)
			return
		}
		got = append(got, r.Method+" "+r.URL.RequestURI())
		var b map[string]any
		_ = json.NewDecoder(r.Body).Decode(&b)
		bodies = append(bodies, b)
		_, _ = io.WriteString(w, `{"ok":true}`)
	}))
	defer srv.Close()
	env := map[string]string{"POSTGATE_AUTH_ISSUER": srv.URL + "/auth/", "HASURA_GRAPHQL_ADMIN_SECRET": "s3cret"}
	getenv := func(k string) string { return env[k] }
	run := func(args ...string) (int, string) {
		var out, errb bytes.Buffer
		code := Auth(context.Background(), args, getenv, &out, &errb)
		return code, out.String() + errb.String()
	}
	cases := []struct {
		args []string
		want string
	}{
		{[]string{"clients", "create", "--name", "My App", "--type", "spa", "--callback", "http://localhost:3000/cb", "--web-origin", "http://localhost:3000"}, "POST /auth/api/v2/clients"},
		{[]string{"apis", "create", "--identifier", "https://api", "--rbac", "--scope", "read:x"}, "POST /auth/api/v2/resource-servers"},
		{[]string{"users", "list", "--q", "email:a@b.c"}, "GET /auth/api/v2/users?q=email%3Aa%40b.c"},
		{[]string{"users", "block", "auth0|1"}, "PATCH /auth/api/v2/users/auth0%7C1"},
		{[]string{"grants", "create", "--client", "c1", "--audience", "https://api", "--scope", "read:x"}, "POST /auth/api/v2/client-grants"},
		{[]string{"keys", "rotate"}, "POST /auth/api/v2/keys/signing/rotate"},
	}
	for i, c := range cases {
		if code, out := run(c.args...); code != 0 || got[i] != c.want {
			t.Fatalf("%v: %d %s, request %v", c.args, code, out, got)
		}
	}
	if bodies[0]["app_type"] != "spa" || bodies[1]["enforce_policies"] != true || bodies[3]["blocked"] != true {
		t.Fatalf("bodies: %v", bodies)
	}
	env["HASURA_GRAPHQL_ADMIN_SECRET"] = "wrong"
	if code, out := run("clients", "list"); code != 1 || !strings.Contains(out, "Invalid admin secret") {
		t.Fatalf("error answer: %d %s", code, out)
	}
	if code, _ := run("clients", "frobnicate"); code != 2 {
		t.Fatal("unknown command accepted")
	}
}

// TestTokenCommand: `postgate auth token` is `postgate token` (one
// implementation): its flags (and the old ones as aliases), its grants and
// its output.
func TestTokenCommand(t *testing.T) {
	polls := 0
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_ = r.ParseForm()
		w.Header().Set("Content-Type", "application/json")
		switch r.URL.Path + " " + r.PostForm.Get("grant_type") {
		case "/auth/oauth/token password":
			if r.PostForm.Get("password") != "pw" {
				w.WriteHeader(403)
				_, _ = io.WriteString(w, `{"error":"invalid_grant","error_description":"Wrong email or password."}`)
				return
			}
			_, _ = io.WriteString(w, `{"access_token":"AT-password","token_type":"Bearer"}`)
		case "/auth/oauth/token client_credentials":
			_, _ = io.WriteString(w, `{"access_token":"AT-m2m","token_type":"Bearer"}`)
		case "/auth/oauth/device/code ":
			_, _ = io.WriteString(w, `{"device_code":"dc","user_code":"ABCD-EFGH","verification_uri_complete":"http://x/activate","interval":1}`)
		case "/auth/oauth/token urn:ietf:params:oauth:grant-type:device_code":
			polls++
			if polls < 2 {
				w.WriteHeader(400)
				_, _ = io.WriteString(w, `{"error":"authorization_pending"}`)
				return
			}
			_, _ = io.WriteString(w, `{"access_token":"AT-device","token_type":"Bearer"}`)
		default:
			w.WriteHeader(404)
		}
	}))
	defer srv.Close()
	getenv := func(k string) string { return map[string]string{"POSTGATE_AUTH_ISSUER": srv.URL + "/auth/"}[k] }
	run := func(args ...string) (int, string, string) {
		var out, errb bytes.Buffer
		code := Auth(context.Background(), append([]string{"token"}, args...), getenv, &out, &errb)
		return code, out.String(), errb.String()
	}
	if code, out, _ := run("--client", "c", "--username", "u", "--password", "pw", "--raw"); code != 0 || out != "AT-password\n" {
		t.Fatalf("password: %d %q", code, out)
	}
	if code, _, errs := run("--client-id", "c", "--username", "u", "--password", "bad"); code != 1 || !strings.Contains(errs, "Wrong email or password.") {
		t.Fatalf("wrong password: %d %q", code, errs)
	}
	if code, out, _ := run("--client-id", "c", "--client-secret", "s", "--audience", "https://api", "--header"); code != 0 || out != "Authorization: Bearer AT-m2m\n" {
		t.Fatalf("client credentials, postgate token's flags: %d %q", code, out)
	}
	if code, out, _ := run("--client", "c", "--secret", "s", "--audience", "https://api", "--raw"); code != 0 || out != "AT-m2m\n" {
		t.Fatalf("client credentials, the old flags: %d %q", code, out)
	}
	if code, out, errs := run("--client", "c", "--timeout", "30s"); code != 0 || out != "AT-device\n" || !strings.Contains(errs, "ABCD-EFGH") {
		t.Fatalf("device flow: %d %q %q", code, out, errs)
	}
	if code, _, errs := run("-h"); code != 2 || !strings.Contains(errs, "postgate auth token ...   (the same command)") {
		t.Fatalf("help: %d %q", code, errs)
	}
}
