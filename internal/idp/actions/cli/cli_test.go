package cli_test

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/postgate/postgate/internal/idp/actions"
	"github.com/postgate/postgate/internal/idp/actions/cli"
	"github.com/postgate/postgate/internal/pgtest"
)

// server is the Actions Management API mounted as the identity provider
// mounts it, behind an admin-secret check.
func server(t *testing.T) string {
	t.Helper()
	pool := pgtest.Pool(t)
	st, err := actions.OpenStore(context.Background(), pool, "")
	if err != nil {
		t.Fatal(err)
	}
	h := actions.NewHandler(st, actions.New(actions.Config{}), actions.HandlerOptions{Authorize: func(r *http.Request, _ string) error {
		if r.Header.Get("Authorization") != "Bearer s3cret" {
			return http.ErrNoCookie
		}
		return nil
	}})
	mux := http.NewServeMux()
	mux.Handle("/auth/api/v2/actions/", http.StripPrefix("/auth/api/v2/actions", h))
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	return srv.URL + "/auth/"
}

func TestActionsCommands(t *testing.T) {
	issuer := server(t)
	env := map[string]string{"POSTGATE_AUTH_ISSUER": issuer, "HASURA_GRAPHQL_ADMIN_SECRET": "s3cret"}
	run := func(want int, args ...string) string {
		t.Helper()
		var out, errOut bytes.Buffer
		if code := cli.Run(context.Background(), args, func(k string) string { return env[k] }, &out, &errOut); code != want {
			t.Fatalf("%v: exit %d, want %d\nstdout: %s\nstderr: %s", args, code, want, out.String(), errOut.String())
		}
		return out.String() + errOut.String()
	}
	dir := t.TempDir()
	code := filepath.Join(dir, "claims.js")
	if err := os.WriteFile(code, []byte(`exports.onExecutePostLogin = async (event, api) => {
  console.log("hello", event.user.user_id, event.secrets.GREETING);
  api.accessToken.setCustomClaim("https://hasura.io/jwt/claims", {"x-hasura-user-id": event.user.user_id});
};`), 0o600); err != nil {
		t.Fatal(err)
	}

	var created struct {
		ID              string `json:"id"`
		DeployedVersion struct {
			ID     string `json:"id"`
			Number int    `json:"number"`
		} `json:"deployed_version"`
	}
	out := run(0, "create", "--name", "Claims", "--code-file", code, "--dependency", "node-fetch@2.6.7", "--secret", "GREETING=hi", "--deploy")
	if err := json.Unmarshal([]byte(out), &created); err != nil || created.ID == "" || created.DeployedVersion.Number != 1 {
		t.Fatalf("create: %v %s", err, out)
	}
	if strings.Contains(out, `"hi"`) {
		t.Fatalf("a secret value was printed: %s", out)
	}
	out = run(1, "create", "--name", "Pad", "--code-file", code, "--dependency", "left-pad@1.3.0")
	if !strings.Contains(out, `\"left-pad\"`) && !strings.Contains(out, `"left-pad"`) {
		t.Fatalf("an unknown dependency: %s", out)
	}
	run(0, "bind", "Claims")
	if out = run(0, "bindings"); !strings.Contains(out, `"display_name": "Claims"`) {
		t.Fatalf("bindings: %s", out)
	}
	out = run(0, "test", created.ID, "--payload", `{"user": {"user_id": "auth0|cli"}}`)
	if !strings.Contains(out, `"x-hasura-user-id": "auth0|cli"`) || !strings.Contains(out, `hello auth0|cli hi`) {
		t.Fatalf("test: %s", out)
	}
	run(0, "update", created.ID, "--name", "Hasura Claims")
	run(0, "deploy", created.ID)
	if out = run(0, "versions", created.ID); !strings.Contains(out, `"number": 2`) {
		t.Fatalf("versions: %s", out)
	}
	run(0, "rollback", created.ID, created.DeployedVersion.ID)
	if out = run(0, "list", "--trigger", "post-login"); !strings.Contains(out, `"name": "Hasura Claims"`) || !strings.Contains(out, `"total": 1`) {
		t.Fatalf("list: %s", out)
	}
	run(0, "triggers")
	run(1, "delete", created.ID)
	if out = run(0, "delete", created.ID, "--force"); strings.TrimSpace(out) != "ok" {
		t.Fatalf("delete: %s", out)
	}
	run(2, "get")
	run(2, "frobnicate")
	env["HASURA_GRAPHQL_ADMIN_SECRET"] = "wrong"
	run(1, "list")
}
