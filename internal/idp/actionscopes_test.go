package idp

import (
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"
)

// TestActionsScopes: the Management API declares read/create/update/delete
// :actions, and a machine-to-machine token reaches each Actions route only
// with the scope Auth0 asks for it; the admin secret reaches them all.
func TestActionsScopes(t *testing.T) {
	var reached []string
	e := newEnv(t, func(c *Config) {
		c.ActionsAPI = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			reached = append(reached, r.Method+" "+r.URL.Path)
			w.WriteHeader(http.StatusOK)
		})
	})
	f := e.fixture()
	var rs ResourceServer
	e.mustAPI("GET", "resource-servers/"+url.PathEscape(e.issuer+"api/v2/"), nil, &rs)
	for _, s := range []string{"read:actions", "create:actions", "update:actions", "delete:actions"} {
		if !slices.ContainsFunc(rs.Scopes, func(x Scope) bool { return x.Value == s }) {
			t.Errorf("the Management API does not declare %s", s)
		}
	}
	tokenWith := func(scopes ...string) string {
		t.Helper()
		var grants []ClientGrant
		e.mustAPI("GET", "client-grants?client_id="+f.m2m.ClientID, nil, &grants)
		for _, g := range grants {
			e.mustAPI("DELETE", "client-grants/"+g.ID, nil, nil)
		}
		e.mustAPI("POST", "client-grants", map[string]any{"client_id": f.m2m.ClientID, "audience": e.issuer + "api/v2/", "scope": scopes}, nil)
		st, body := e.token(url.Values{"grant_type": {"client_credentials"}, "client_id": {f.m2m.ClientID},
			"client_secret": {f.m2m.ClientSecret}, "audience": {e.issuer + "api/v2/"}})
		if st != http.StatusOK {
			t.Fatalf("client credentials: %d %v", st, body)
		}
		return "Bearer " + body["access_token"].(string)
	}
	routes := []struct{ method, path, scope string }{
		{"GET", "actions/actions", "read:actions"},
		{"GET", "actions/actions/act_1/versions", "read:actions"},
		{"GET", "actions/triggers/post-login/bindings", "read:actions"},
		{"POST", "actions/actions", "create:actions"},
		{"POST", "actions/actions/act_1/deploy", "create:actions"},
		{"POST", "actions/actions/act_1/test", "create:actions"},
		{"PATCH", "actions/actions/act_1", "update:actions"},
		{"PATCH", "actions/triggers/post-login/bindings", "update:actions"},
		{"DELETE", "actions/actions/act_1", "delete:actions"},
	}
	for _, scope := range []string{"read:actions", "create:actions", "update:actions", "delete:actions", "read:users"} {
		authz := tokenWith(scope)
		for _, r := range routes {
			var me mgmtError
			st := e.apiAs(authz, r.method, r.path, map[string]any{}, &me)
			want := http.StatusForbidden
			if r.scope == scope {
				want = http.StatusOK
			}
			if st != want || (st == http.StatusForbidden && !strings.Contains(me.Message, r.scope)) {
				t.Errorf("%s %s with %s: %d %+v, want %d", r.method, r.path, scope, st, me, want)
			}
		}
	}
	reached = nil
	for _, r := range routes {
		if st := e.api(r.method, r.path, map[string]any{}, nil); st != http.StatusOK {
			t.Errorf("%s %s with the admin secret: %d", r.method, r.path, st)
		}
	}
	if len(reached) != len(routes) || reached[0] != "GET /actions" {
		t.Errorf("the admin secret reached %v", reached)
	}
}
