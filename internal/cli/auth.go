// Package cli holds postgate's client subcommands: they call a running
// server's APIs.
package cli

import (
	"context"
	"flag"
	"fmt"
	"io"
	"net/url"
	"strings"
	"time"

	actionscli "github.com/postgate/postgate/internal/idp/actions/cli"
	"github.com/postgate/postgate/internal/mgmtclient"
	"github.com/postgate/postgate/internal/tokencli"
)

// AuthUsage documents `postgate auth`.
const AuthUsage = `Usage: postgate auth <resource> <command> [flags]

Calls the running server's identity provider Management API (<issuer>api/v2/)
with the admin secret.

Resources and commands:
  clients list | get ID | delete ID | rotate-secret ID
  clients create --name N [--type spa|native|regular_web|non_interactive]
                 [--callback URL]... [--logout-url URL]... [--web-origin URL]... [--grant TYPE]...
  apis    list | get ID | delete ID
  apis    create --identifier AUDIENCE [--name N] [--lifetime SECONDS] [--offline] [--rbac] [--scope S]...
  grants  list | delete ID
  grants  create --client CLIENT_ID --audience AUDIENCE [--scope S]...
  users   list [--q QUERY] | get ID | delete ID | block ID | unblock ID
  users   create --email E --password P [--username U] [--name N]
  roles   list | create --name N [--description D]
  roles   assign --user USER_ID --role ROLE_ID
  tenant  get | set --audience A         (the default audience for requests that name none)
  keys    list | rotate | revoke KID   (only a previous key can be revoked)
  actions list | get | create | update | deploy | rollback | test | bind | bindings | versions | delete
          (postgate auth actions help)
  token   --client-id ID [...]   get tokens without an application: the same command as
                                 postgate token (see postgate token -h)

Common flags (before or after the command):
  --issuer URL          the issuer (POSTGATE_AUTH_ISSUER; default http://localhost:<HASURA_GRAPHQL_SERVER_PORT or 8080>/auth/)
  --admin-secret S      HASURA_GRAPHQL_ADMIN_SECRET
`

// multi is a repeatable string flag.
type multi []string

func (m *multi) String() string     { return strings.Join(*m, ",") }
func (m *multi) Set(s string) error { *m = append(*m, s); return nil }

// Auth runs `postgate auth ...` and returns the exit status.
func Auth(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) int {
	if len(args) > 0 && args[0] == "actions" {
		return actionscli.Run(ctx, args[1:], getenv, stdout, stderr)
	}
	if len(args) > 0 && args[0] == "token" {
		// An alias of `postgate token`: one implementation.
		return tokencli.Run(ctx, args[1:], getenv, stdout, stderr)
	}
	if len(args) < 2 || args[0] == "help" || args[0] == "-h" || args[0] == "--help" {
		fmt.Fprint(stderr, AuthUsage)
		return 2
	}
	resource, command := args[0], args[1]
	fs := flag.NewFlagSet("postgate auth", flag.ContinueOnError)
	fs.SetOutput(stderr)
	issuer := fs.String("issuer", getenv("POSTGATE_AUTH_ISSUER"), "")
	secret := fs.String("admin-secret", getenv("HASURA_GRAPHQL_ADMIN_SECRET"), "")
	name := fs.String("name", "", "")
	typ := fs.String("type", "", "")
	identifier := fs.String("identifier", "", "")
	lifetime := fs.Int("lifetime", 0, "")
	offline := fs.Bool("offline", false, "")
	rbac := fs.Bool("rbac", false, "")
	client := fs.String("client", "", "")
	audience := fs.String("audience", "", "")
	q := fs.String("q", "", "")
	email := fs.String("email", "", "")
	password := fs.String("password", "", "")
	username := fs.String("username", "", "")
	description := fs.String("description", "", "")
	user := fs.String("user", "", "")
	role := fs.String("role", "", "")
	var callbacks, logoutURLs, origins, grants, scopes multi
	fs.Var(&callbacks, "callback", "")
	fs.Var(&logoutURLs, "logout-url", "")
	fs.Var(&origins, "web-origin", "")
	fs.Var(&grants, "grant", "")
	fs.Var(&scopes, "scope", "")
	if err := fs.Parse(args[2:]); err != nil {
		return 2
	}
	id := fs.Arg(0)
	*issuer = mgmtclient.Issuer(*issuer, getenv)
	if *secret == "" {
		fmt.Fprintln(stderr, "postgate auth: the admin secret is required (--admin-secret or HASURA_GRAPHQL_ADMIN_SECRET)")
		return 2
	}
	needID := func() bool {
		if id == "" {
			fmt.Fprintf(stderr, "postgate auth %s %s: an id is required\n", resource, command)
			return false
		}
		return true
	}
	var method, path string
	var body any
	esc := url.PathEscape
	switch resource + " " + command {
	case "clients list":
		method, path = "GET", "clients"
	case "clients get", "clients delete", "clients rotate-secret":
		if !needID() {
			return 2
		}
		method, path = map[string]string{"get": "GET", "delete": "DELETE", "rotate-secret": "POST"}[command], "clients/"+esc(id)
		if command == "rotate-secret" {
			path += "/rotate-secret"
		}
	case "clients create":
		b := map[string]any{"name": *name}
		if *typ != "" {
			b["app_type"] = *typ
		}
		if len(callbacks) > 0 {
			b["callbacks"] = callbacks
		}
		if len(logoutURLs) > 0 {
			b["allowed_logout_urls"] = logoutURLs
		}
		if len(origins) > 0 {
			b["web_origins"], b["allowed_origins"] = origins, origins
		}
		if len(grants) > 0 {
			b["grant_types"] = grants
		}
		method, path, body = "POST", "clients", b
	case "apis list":
		method, path = "GET", "resource-servers"
	case "apis get", "apis delete":
		if !needID() {
			return 2
		}
		method, path = map[string]string{"get": "GET", "delete": "DELETE"}[command], "resource-servers/"+esc(id)
	case "apis create":
		b := map[string]any{"identifier": *identifier, "signing_alg": "RS256", "allow_offline_access": *offline, "enforce_policies": *rbac}
		if *name != "" {
			b["name"] = *name
		}
		if *lifetime > 0 {
			b["token_lifetime"] = *lifetime
		}
		var sc []map[string]string
		for _, s := range scopes {
			sc = append(sc, map[string]string{"value": s, "description": s})
		}
		if sc != nil {
			b["scopes"] = sc
		}
		method, path, body = "POST", "resource-servers", b
	case "grants list":
		method, path = "GET", "client-grants"
	case "grants delete":
		if !needID() {
			return 2
		}
		method, path = "DELETE", "client-grants/"+esc(id)
	case "grants create":
		method, path, body = "POST", "client-grants", map[string]any{"client_id": *client, "audience": *audience, "scope": append([]string{}, scopes...)}
	case "users list":
		method, path = "GET", "users"
		if *q != "" {
			path += "?q=" + url.QueryEscape(*q)
		}
	case "users get", "users delete":
		if !needID() {
			return 2
		}
		method, path = map[string]string{"get": "GET", "delete": "DELETE"}[command], "users/"+esc(id)
	case "users block", "users unblock":
		if !needID() {
			return 2
		}
		method, path, body = "PATCH", "users/"+esc(id), map[string]any{"blocked": command == "block"}
	case "users create":
		b := map[string]any{"email": *email, "password": *password, "connection": "Username-Password-Authentication"}
		if *username != "" {
			b["username"] = *username
		}
		if *name != "" {
			b["name"] = *name
		}
		method, path, body = "POST", "users", b
	case "roles list":
		method, path = "GET", "roles"
	case "roles create":
		method, path, body = "POST", "roles", map[string]any{"name": *name, "description": *description}
	case "roles assign":
		method, path, body = "POST", "users/"+esc(*user)+"/roles", map[string]any{"roles": []string{*role}}
	case "tenant get":
		method, path = "GET", "tenants/settings"
	case "tenant set":
		b := map[string]any{}
		fs.Visit(func(fl *flag.Flag) {
			if fl.Name == "audience" {
				b["default_audience"] = *audience
			}
		})
		method, path, body = "PATCH", "tenants/settings", b
	case "keys list":
		method, path = "GET", "keys/signing"
	case "keys rotate":
		method, path = "POST", "keys/signing/rotate"
	case "keys revoke":
		if !needID() {
			return 2
		}
		method, path = "PUT", "keys/signing/"+esc(id)+"/revoke"
	default:
		fmt.Fprintf(stderr, "postgate auth: unknown command %q\n\n%s", resource+" "+command, AuthUsage)
		return 2
	}
	c := mgmtclient.Client{Issuer: *issuer, Secret: *secret, Timeout: 30 * time.Second, Command: "postgate auth"}
	return c.Call(ctx, method, path, body, stdout, stderr)
}
