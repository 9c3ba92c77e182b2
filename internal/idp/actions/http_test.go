package actions

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/postgate/postgate/internal/idp"
	"github.com/postgate/postgate/internal/pgtest"
)

// mgmt is the management API behind an httptest server, mounted as the
// identity provider mounts it.
type mgmt struct {
	t     *testing.T
	srv   *httptest.Server
	store *Store
	rt    *Runtime
}

func newMgmt(t *testing.T, authorize Authorizer) *mgmt {
	t.Helper()
	pool := pgtest.Pool(t)
	ctx := context.Background()
	if _, err := OpenStore(ctx, pool, ""); err != nil {
		t.Fatal(err)
	}
	st, err := OpenStore(ctx, pool, "", WithSecretKey([]byte("test-secret-key"))) // idempotent
	if err != nil {
		t.Fatal(err)
	}
	rt := New(Config{FlowTimeout: 2 * time.Second, AllowedHosts: []string{"127.0.0.1"}})
	mux := http.NewServeMux()
	mux.Handle("/auth/api/v2/actions/", http.StripPrefix("/auth/api/v2/actions", NewHandler(st, rt, HandlerOptions{Authorize: authorize})))
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	return &mgmt{t: t, srv: srv, store: st, rt: rt}
}

// do sends a request and decodes the JSON answer into out (when not nil).
func (m *mgmt) do(method, path string, body any, wantStatus int, out any) string {
	m.t.Helper()
	var rd io.Reader
	if body != nil {
		b, _ := json.Marshal(body)
		rd = bytes.NewReader(b)
	}
	req, _ := http.NewRequest(method, m.srv.URL+"/auth/api/v2/actions"+path, rd)
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		m.t.Fatal(err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != wantStatus {
		m.t.Fatalf("%s %s: status %d, want %d: %s", method, path, resp.StatusCode, wantStatus, raw)
	}
	if out != nil && len(raw) > 0 {
		if err := json.Unmarshal(raw, out); err != nil {
			m.t.Fatalf("%s %s: %v: %s", method, path, err, raw)
		}
	}
	return string(raw)
}

func TestManagementAPIAndFlows(t *testing.T) {
	claimsCode := seedScript(t, "hasura-jwt-claims.js")
	syncCode := seedScript(t, "hasura-sync-users.js")
	const secret = "admin-secret-from-event-secrets"
	gql, seen := graphqlStandIn(t, secret)
	m := newMgmt(t, nil)
	ctx := context.Background()

	syncCode = strings.NewReplacer(`"YOUR_HASURA_GRAPHQL_ADMIN_SECRET"`, "event.secrets.HASURA_GRAPHQL_ADMIN_SECRET",
		`"YOUR_HASURA_GRAPHQL_ENDPOINT"`, "event.secrets.HASURA_GRAPHQL_ENDPOINT").Replace(syncCode)

	var claims, sync actionJSON
	m.do("POST", "/actions", map[string]any{"name": "Hasura JWT Claims", "code": claimsCode,
		"supported_triggers": []any{map[string]any{"id": "post-login", "version": "v3"}}, "runtime": "node22"}, 201, &claims)
	raw := m.do("POST", "/actions", map[string]any{"name": "Hasura Sync Users", "code": syncCode,
		"supported_triggers": []any{map[string]any{"id": "post-login", "version": "v3"}},
		"dependencies":       []any{map[string]any{"name": "node-fetch", "version": "2.6.7"}},
		"secrets": []any{map[string]any{"name": "HASURA_GRAPHQL_ADMIN_SECRET", "value": secret},
			map[string]any{"name": "HASURA_GRAPHQL_ENDPOINT", "value": gql.URL + "/v1/graphql"}}}, 201, &sync)
	if strings.Contains(raw, secret) || len(sync.Secrets) != 2 || sync.Secrets[0].Name != "HASURA_GRAPHQL_ADMIN_SECRET" {
		t.Fatalf("secrets must be listed without values: %s", raw)
	}
	if claims.Status != "built" || claims.AllChangesDeployed || claims.DeployedVersion != nil || claims.ID == "" {
		t.Fatalf("created action = %+v", claims)
	}

	t.Run("errors", func(t *testing.T) {
		var e apiError
		m.do("POST", "/actions", map[string]any{"name": "Pad", "code": "exports.onExecutePostLogin = async () => {}",
			"supported_triggers": []any{map[string]any{"id": "post-login"}},
			"dependencies":       []any{map[string]any{"name": "left-pad", "version": "1.3.0"}}}, 400, &e)
		if e.StatusCode != 400 || e.Error != "Bad Request" || !strings.Contains(e.Message, `"left-pad"`) {
			t.Fatalf("dependency error = %+v", e)
		}
		m.do("POST", "/actions", map[string]any{"name": "Hasura JWT Claims", "code": "",
			"supported_triggers": []any{map[string]any{"id": "post-login"}}}, 409, &e)
		m.do("POST", "/actions", map[string]any{"name": "X", "supported_triggers": []any{}, "colour": "blue"}, 400, &e)
		if e.Message != "Payload validation error: 'Additional properties not allowed: colour'." {
			t.Fatalf("unknown property: %+v", e)
		}
		m.do("GET", "/actions/nope", nil, 404, &e)
		if e.StatusCode != 404 || e.Error != "Not Found" {
			t.Fatalf("404 body = %+v", e)
		}
		m.do("PATCH", "/triggers/post-login/bindings", map[string]any{"bindings": []any{
			map[string]any{"ref": map[string]any{"type": "action_name", "value": "Hasura JWT Claims"}}}}, 400, &e)
		if !strings.Contains(e.Message, "has not been deployed") {
			t.Fatalf("binding an undeployed action: %+v", e)
		}
		m.do("GET", "/triggers/no-such-trigger/bindings", nil, 404, nil)
	})

	// Deploy both; a second deploy of the claims action makes version 2.
	var v versionJSON
	m.do("POST", "/actions/"+claims.ID+"/deploy", nil, 202, &v)
	if v.Number != 1 || !v.Deployed || v.Status != "built" || v.Action == nil || v.Action.ID != claims.ID {
		t.Fatalf("deploy = %+v", v)
	}
	m.do("POST", "/actions/"+sync.ID+"/deploy", nil, 202, &v)
	m.do("POST", "/actions/"+claims.ID+"/deploy", nil, 202, &v)
	var versions struct {
		Versions []versionJSON `json:"versions"`
		Total    int           `json:"total"`
	}
	m.do("GET", "/actions/"+claims.ID+"/versions", nil, 200, &versions)
	if versions.Total != 2 || versions.Versions[0].Number != 2 || !versions.Versions[0].Deployed || versions.Versions[1].Deployed {
		t.Fatalf("versions = %+v", versions)
	}
	m.do("GET", "/actions/"+claims.ID+"/versions/"+versions.Versions[1].ID, nil, 200, &v)
	// Roll back to version 1, then forward to version 2 again.
	m.do("POST", "/actions/"+claims.ID+"/versions/"+versions.Versions[1].ID+"/deploy", nil, 202, &v)
	if v.Number != 1 || !v.Deployed {
		t.Fatalf("rollback = %+v", v)
	}
	m.do("POST", "/actions/"+claims.ID+"/versions/"+versions.Versions[0].ID+"/deploy", nil, 202, &v)
	m.do("POST", "/actions/"+claims.ID+"/versions/nope/deploy", nil, 404, nil)
	// Secret values are sealed at rest.
	var stored string
	if err := m.store.pool.QueryRow(ctx, `SELECT secrets::text FROM postgate_auth.action_actions WHERE id = $1`, sync.ID).Scan(&stored); err != nil ||
		strings.Contains(stored, secret) || !strings.Contains(stored, sealedPrefix) {
		t.Fatalf("stored secrets = %s, %v", stored, err)
	}
	var got actionJSON
	m.do("GET", "/actions/"+claims.ID, nil, 200, &got)
	if !got.AllChangesDeployed || got.DeployedVersion == nil || got.DeployedVersion.Number != 2 {
		t.Fatalf("action after deploy = %+v", got)
	}

	// A draft change is not live until deployed.
	m.do("PATCH", "/actions/"+claims.ID, map[string]any{"code": claimsCode + "\n// edited"}, 200, &got)
	// An action fetched from the API can be sent back as it is (triggers
	// with Auth0's extra fields, dependencies with registry_url).
	m.do("PATCH", "/actions/"+sync.ID, map[string]any{
		"supported_triggers": []any{map[string]any{"id": "post-login", "version": "v3", "status": "CURRENT", "runtimes": []string{"node22"}}},
		"dependencies":       []any{map[string]any{"name": "node-fetch", "version": "2.6.7", "registry_url": ""}}}, 200, nil)
	// Secrets sent back by name only keep their values.
	m.do("PATCH", "/actions/"+sync.ID, map[string]any{"secrets": []any{map[string]any{"name": "HASURA_GRAPHQL_ADMIN_SECRET"},
		map[string]any{"name": "HASURA_GRAPHQL_ENDPOINT"}}}, 200, nil)
	if got.AllChangesDeployed {
		t.Fatal("all_changes_deployed after an edit")
	}

	var bindings struct {
		Bindings []bindingJSON `json:"bindings"`
	}
	m.do("PATCH", "/triggers/post-login/bindings", map[string]any{"bindings": []any{
		map[string]any{"ref": map[string]any{"type": "action_name", "value": "Hasura JWT Claims"}, "display_name": "Claims"},
		map[string]any{"ref": map[string]any{"type": "action_id", "value": sync.ID}},
	}}, 200, &bindings)
	if len(bindings.Bindings) != 2 || bindings.Bindings[0].DisplayName != "Claims" || bindings.Bindings[1].Action.Name != "Hasura Sync Users" {
		t.Fatalf("bindings = %+v", bindings)
	}
	m.do("GET", "/triggers/post-login/bindings", nil, 200, &bindings)
	if len(bindings.Bindings) != 2 || bindings.Bindings[0].Action.ID != claims.ID || bindings.Bindings[1].TriggerID != "post-login" {
		t.Fatalf("GET bindings = %+v", bindings)
	}

	// The identity provider's post-login hook runs both, in order.
	flows := &Flows{Store: m.store, Runtime: m.rt}
	ev := idp.PostLoginEvent{User: idp.EventUser{UserID: "auth0|alice", Username: "alice", Email: "alice@example.com"},
		Authorization: idp.EventAuthorization{Roles: []string{}}}
	before := len(*seen)
	res, err := flows.RunPostLogin(ctx, ev)
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]any{"x-hasura-default-role": "user", "x-hasura-allowed-roles": []any{"user"}, "x-hasura-user-id": "auth0|alice"}
	if !reflect.DeepEqual(res.AccessTokenClaims["https://hasura.io/jwt/claims"], want) || res.Denied {
		t.Fatalf("post-login result = %+v", res)
	}
	if len(*seen) != before+1 || (*seen)[before]["userId"] != "auth0|alice" || (*seen)[before]["userName"] != "alice" {
		t.Fatalf("sync requests = %v", *seen)
	}
	chain, err := m.store.Chain(ctx, PostLogin)
	if err != nil || len(chain) != 2 || chain[0].Name != "Hasura JWT Claims" || chain[1].Secrets["HASURA_GRAPHQL_ADMIN_SECRET"] != secret {
		t.Fatalf("chain = %+v, %v", chain, err)
	}
	if strings.Contains(chain[0].Code, "// edited") {
		t.Fatal("the undeployed draft runs")
	}

	// Order matters: a denying action first stops the chain.
	var deny actionJSON
	m.do("POST", "/actions", map[string]any{"name": "Deny", "deploy": true,
		"code":               `exports.onExecutePostLogin = async (event, api) => { api.access.deny("Blocked: " + event.user.user_id) }`,
		"supported_triggers": []any{map[string]any{"id": "post-login", "version": "v3"}}}, 201, &deny)
	m.do("PATCH", "/triggers/post-login/bindings", map[string]any{"bindings": []any{
		map[string]any{"ref": map[string]any{"type": "action_id", "value": deny.ID}},
		map[string]any{"ref": map[string]any{"type": "action_id", "value": claims.ID}},
	}}, 200, nil)
	res, err = flows.RunPostLogin(ctx, ev)
	if err != nil || !res.Denied || res.DenyReason != "Blocked: auth0|alice" || res.AccessTokenClaims != nil {
		t.Fatalf("denied login = %+v, %v", res, err)
	}
	// A throwing action denies the login with its message.
	m.do("PATCH", "/actions/"+deny.ID, map[string]any{"code": `exports.onExecutePostLogin = async () => { throw new Error("sync failed") }`}, 200, nil)
	m.do("POST", "/actions/"+deny.ID+"/deploy", nil, 202, nil)
	res, err = flows.RunPostLogin(ctx, ev)
	if err != nil || !res.Denied || res.DenyReason != "sync failed" {
		t.Fatalf("throwing login = %+v, %v", res, err)
	}

	t.Run("test endpoint", func(t *testing.T) {
		var out struct {
			Payload testResult `json:"payload"`
		}
		m.do("POST", "/actions/"+claims.ID+"/test", map[string]any{"payload": map[string]any{}}, 200, &out)
		c, _ := out.Payload.AccessTokenClaims["https://hasura.io/jwt/claims"].(map[string]any)
		if c["x-hasura-user-id"] != "auth0|5f7c8ec7c33c6c004bbafe82" || out.Payload.Error != nil || out.Payload.AccessDenied != nil {
			t.Fatalf("test with the default payload = %+v", out.Payload)
		}
		m.do("POST", "/actions/"+sync.ID+"/test", map[string]any{"payload": map[string]any{"user": map[string]any{"user_id": "auth0|bob", "username": "bob"}}}, 200, &out)
		if !strings.HasPrefix(out.Payload.Logs, `Response {"data":{"insert_users_one":{"userId":"auth0|bob"}}}`) || (*seen)[len(*seen)-1]["userName"] != "bob" {
			t.Fatalf("sync test = %+v", out.Payload)
		}
		m.do("POST", "/actions/"+deny.ID+"/test", nil, 200, &out)
		if out.Payload.Error == nil || out.Payload.Error.Msg != "sync failed" || out.Payload.Error.ID != "thrown" {
			t.Fatalf("throwing test = %+v", out.Payload)
		}
	})

	t.Run("list and delete", func(t *testing.T) {
		var list struct {
			Actions []actionJSON `json:"actions"`
			Total   int          `json:"total"`
		}
		m.do("GET", "/actions?triggerId=post-login&per_page=2&page=1", nil, 200, &list)
		if list.Total != 3 || len(list.Actions) != 1 || list.Actions[0].Name != "Deny" {
			t.Fatalf("list = %+v", list)
		}
		m.do("GET", "/actions?actionName=Hasura+Sync+Users", nil, 200, &list)
		if list.Total != 1 || list.Actions[0].ID != sync.ID {
			t.Fatalf("list by name = %+v", list)
		}
		m.do("DELETE", "/actions/"+deny.ID, nil, 409, nil)
		m.do("DELETE", "/actions/"+deny.ID+"?force=true", nil, 204, nil)
		m.do("GET", "/actions/"+deny.ID, nil, 404, nil)
		var b struct {
			Bindings []bindingJSON `json:"bindings"`
		}
		m.do("GET", "/triggers/post-login/bindings", nil, 200, &b)
		if len(b.Bindings) != 1 || b.Bindings[0].Action.ID != claims.ID {
			t.Fatalf("bindings after a forced delete = %+v", b)
		}
		var triggers struct {
			Triggers []map[string]any `json:"triggers"`
		}
		m.do("GET", "/triggers", nil, 200, &triggers)
		if len(triggers.Triggers) != 4 {
			t.Fatalf("triggers = %v", triggers)
		}
	})
}

func TestManagementAuthorizer(t *testing.T) {
	m := newMgmt(t, func(r *http.Request, scope string) error {
		switch r.Header.Get("X-Test-Role") {
		case "admin":
			return nil
		case "reader":
			if scope == "read:actions" {
				return nil
			}
			return ErrForbidden
		}
		return errors.New("no credentials")
	})
	var e apiError
	m.do("GET", "/actions", nil, 401, &e)
	if e.StatusCode != 401 || e.Error != "Unauthorized" {
		t.Fatalf("401 body = %+v", e)
	}
	for role, want := range map[string]int{"reader": 200, "admin": 200} {
		req, _ := http.NewRequest("GET", m.srv.URL+"/auth/api/v2/actions/actions", nil)
		req.Header.Set("X-Test-Role", role)
		resp, err := http.DefaultClient.Do(req)
		if err != nil || resp.StatusCode != want {
			t.Fatalf("%s: %v %v", role, resp.StatusCode, err)
		}
		resp.Body.Close()
	}
	req, _ := http.NewRequest("POST", m.srv.URL+"/auth/api/v2/actions/actions", strings.NewReader(`{}`))
	req.Header.Set("X-Test-Role", "reader")
	resp, err := http.DefaultClient.Do(req)
	if err != nil || resp.StatusCode != 403 {
		t.Fatalf("reader create: %v %v", resp.StatusCode, err)
	}
	resp.Body.Close()
}

// TestPayloadTypeErrors: wrong-typed or malformed bodies get Auth0's
// payload validation wording, never Go's decoder text.
func TestPayloadTypeErrors(t *testing.T) {
	m := newMgmt(t, nil)
	var a actionJSON
	m.do("POST", "/actions", map[string]any{"name": "Typed", "code": "exports.onExecutePostLogin = async () => {}",
		"supported_triggers": []any{map[string]any{"id": "post-login", "version": "v3"}}}, 201, &a)
	for _, c := range []struct {
		method, path, body, want string
	}{
		{"POST", "/actions", `{"name": 5, "supported_triggers": []}`,
			"Payload validation error: 'Expected type string but found type integer' on property name."},
		{"POST", "/actions", `{"name": 5.5}`, "Payload validation error: 'Expected type string but found type number' on property name."},
		{"PATCH", "/actions/" + a.ID, `{"code": true}`, "Payload validation error: 'Expected type string but found type boolean' on property code."},
		{"PATCH", "/actions/" + a.ID, `{"supported_triggers": "post-login"}`,
			"Payload validation error: 'Expected type array but found type string' on property supported_triggers."},
		{"PATCH", "/actions/" + a.ID, `{"secrets": [{"name": {"x": 1}}]}`,
			"Payload validation error: 'Expected type string but found type object' on property secrets.name."},
		{"PATCH", "/triggers/post-login/bindings", `{"bindings": [{"ref": {"type": 1}}]}`,
			"Payload validation error: 'Expected type string but found type integer' on property bindings.ref.type."},
		{"POST", "/actions/" + a.ID + "/test", `{"payload": [1]}`,
			"Payload validation error: 'Expected type object but found type array' on property payload."},
		{"POST", "/actions", `[1]`, "Payload validation error: 'Expected type object but found type array'."},
		{"POST", "/actions", `{"name": `, "Invalid request payload JSON format"},
	} {
		var e apiError
		m.do(c.method, c.path, json.RawMessage(c.body), 400, &e)
		if e.StatusCode != 400 || e.Error != "Bad Request" || e.Message != c.want {
			t.Errorf("%s %s %s: %+v, want message %q", c.method, c.path, c.body, e, c.want)
		}
		if strings.Contains(e.Message, "json:") || strings.Contains(e.Message, "Go ") || strings.Contains(e.Message, "unmarshal") {
			t.Errorf("Go's decoder text leaked: %q", e.Message)
		}
	}
}
