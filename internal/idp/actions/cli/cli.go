// Package cli is `postgate auth actions`: it manages Actions through a
// running server's Management API (<issuer>api/v2/actions/) with the admin
// secret — create from a file, deploy, bind to a trigger in order, and test
// on a default or given event.
package cli

import (
	"bytes"
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"net/url"
	"os"
	"strings"
	"time"

	"github.com/postgate/postgate/internal/mgmtclient"
)

// Usage documents `postgate auth actions`.
const Usage = `Usage: postgate auth actions <command> [flags]

Manages Actions through the running server's Management API
(<issuer>api/v2/actions/) with the admin secret.

Commands:
  list [--trigger T]                      the actions (optionally those supporting trigger T)
  get ID | versions ID | delete ID [--force]
  create --name N --code-file FILE [--trigger post-login] [--runtime node22]
         [--dependency NAME@VERSION]... [--secret NAME=VALUE]... [--deploy]
  update ID [--name N] [--code-file FILE] [--dependency NAME@VERSION]... [--secret NAME=VALUE]...
  deploy ID                               make the current code live (a new version)
  rollback ID VERSION_ID                  deploy an earlier version again
  test ID [--payload JSON | --payload-file FILE]
                                          run the action on the default event (fields given override it)
  bindings [--trigger post-login]         the actions bound to a trigger, in order
  bind [--trigger post-login] NAME_OR_ID...
                                          replace a trigger's bound actions with these, in this order
  triggers                                the triggers Actions can bind to

Triggers: post-login, credentials-exchange, pre-user-registration, post-user-registration.
Dependencies Postgate provides: node-fetch, axios.

Common flags:
  --issuer URL          the issuer (POSTGATE_AUTH_ISSUER; default http://localhost:<HASURA_GRAPHQL_SERVER_PORT or 8080>/auth/)
  --admin-secret S      HASURA_GRAPHQL_ADMIN_SECRET
`

// multi is a repeatable string flag.
type multi []string

func (m *multi) String() string     { return strings.Join(*m, ",") }
func (m *multi) Set(s string) error { *m = append(*m, s); return nil }

// Run runs `postgate auth actions <args>` and returns the exit status.
func Run(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) int {
	if len(args) == 0 || args[0] == "help" || args[0] == "-h" || args[0] == "--help" {
		fmt.Fprint(stderr, Usage)
		return 2
	}
	command := args[0]
	fs := flag.NewFlagSet("postgate auth actions", flag.ContinueOnError)
	fs.SetOutput(stderr)
	issuer := fs.String("issuer", getenv("POSTGATE_AUTH_ISSUER"), "")
	secret := fs.String("admin-secret", getenv("HASURA_GRAPHQL_ADMIN_SECRET"), "")
	name := fs.String("name", "", "")
	codeFile := fs.String("code-file", "", "")
	trigger := fs.String("trigger", "", "")
	runtime := fs.String("runtime", "", "")
	payload := fs.String("payload", "", "")
	payloadFile := fs.String("payload-file", "", "")
	deploy := fs.Bool("deploy", false, "")
	force := fs.Bool("force", false, "")
	var deps, secrets multi
	fs.Var(&deps, "dependency", "")
	fs.Var(&secrets, "secret", "")
	// Flags may come before or after the positional arguments.
	var pos []string
	rest := args[1:]
	for {
		if err := fs.Parse(rest); err != nil {
			return 2
		}
		if fs.NArg() == 0 {
			break
		}
		pos = append(pos, fs.Arg(0))
		rest = fs.Args()[1:]
	}
	*issuer = mgmtclient.Issuer(*issuer, getenv)
	if *secret == "" {
		fmt.Fprintln(stderr, "postgate auth actions: the admin secret is required (--admin-secret or HASURA_GRAPHQL_ADMIN_SECRET)")
		return 2
	}
	fail := func(format string, a ...any) int {
		fmt.Fprintf(stderr, "postgate auth actions %s: %s\n", command, fmt.Sprintf(format, a...))
		return 2
	}
	arg := func(i int) (string, bool) {
		if len(pos) <= i || pos[i] == "" {
			return "", false
		}
		return pos[i], true
	}
	trig := *trigger
	if trig == "" {
		trig = "post-login"
	}
	esc := url.PathEscape
	var method, path string
	var body any
	switch command {
	case "list":
		method, path = "GET", "actions/actions"
		if *trigger != "" {
			path += "?triggerId=" + url.QueryEscape(*trigger)
		}
	case "get", "versions", "delete", "deploy":
		id, ok := arg(0)
		if !ok {
			return fail("an action id is required")
		}
		method, path = map[string]string{"get": "GET", "versions": "GET", "delete": "DELETE", "deploy": "POST"}[command], "actions/actions/"+esc(id)
		switch command {
		case "versions", "deploy":
			path += "/" + command
		case "delete":
			if *force {
				path += "?force=true"
			}
		}
	case "rollback":
		id, ok1 := arg(0)
		vid, ok2 := arg(1)
		if !ok1 || !ok2 {
			return fail("an action id and a version id are required")
		}
		method, path = "POST", "actions/actions/"+esc(id)+"/versions/"+esc(vid)+"/deploy"
	case "create", "update":
		b := map[string]any{}
		if *name != "" {
			b["name"] = *name
		}
		if *codeFile != "" {
			code, err := os.ReadFile(*codeFile)
			if err != nil {
				return fail("%v", err)
			}
			b["code"] = string(code)
		}
		if *runtime != "" {
			b["runtime"] = *runtime
		}
		if len(deps) > 0 {
			list := []map[string]string{}
			for _, d := range deps {
				n, v, _ := strings.Cut(strings.TrimPrefix(d, "@"), "@")
				if strings.HasPrefix(d, "@") {
					n = "@" + n // a scoped package: @scope/name@version
				}
				if v == "" {
					v = "latest"
				}
				list = append(list, map[string]string{"name": n, "version": v})
			}
			b["dependencies"] = list
		}
		if len(secrets) > 0 {
			list := []map[string]string{}
			for _, s := range secrets {
				n, v, ok := strings.Cut(s, "=")
				if !ok || n == "" {
					return fail("--secret wants NAME=VALUE, got %q", s)
				}
				list = append(list, map[string]string{"name": n, "value": v})
			}
			b["secrets"] = list
		}
		if command == "create" {
			if *name == "" || *codeFile == "" {
				return fail("--name and --code-file are required")
			}
			b["supported_triggers"] = []map[string]string{{"id": trig}}
			if *deploy {
				b["deploy"] = true
			}
			method, path, body = "POST", "actions/actions", b
		} else {
			id, ok := arg(0)
			if !ok {
				return fail("an action id is required")
			}
			if *trigger != "" {
				b["supported_triggers"] = []map[string]string{{"id": trig}}
			}
			method, path, body = "PATCH", "actions/actions/"+esc(id), b
		}
	case "test":
		id, ok := arg(0)
		if !ok {
			return fail("an action id is required")
		}
		raw := []byte(*payload)
		if *payloadFile != "" {
			b, err := os.ReadFile(*payloadFile)
			if err != nil {
				return fail("%v", err)
			}
			raw = b
		}
		p := map[string]any{}
		if len(bytes.TrimSpace(raw)) > 0 {
			if err := json.Unmarshal(raw, &p); err != nil {
				return fail("the payload is not a JSON object: %v", err)
			}
		}
		method, path, body = "POST", "actions/actions/"+esc(id)+"/test", map[string]any{"payload": p}
	case "bindings":
		method, path = "GET", "actions/triggers/"+esc(trig)+"/bindings"
	case "bind":
		list := []map[string]any{}
		for _, ref := range pos {
			list = append(list, map[string]any{"ref": map[string]string{"type": refType(ref), "value": ref}, "display_name": ref})
		}
		method, path, body = "PATCH", "actions/triggers/"+esc(trig)+"/bindings", map[string]any{"bindings": list}
	case "triggers":
		method, path = "GET", "actions/triggers"
	default:
		fmt.Fprintf(stderr, "postgate auth actions: unknown command %q\n\n%s", command, Usage)
		return 2
	}
	c := mgmtclient.Client{Issuer: *issuer, Secret: *secret, Timeout: 60 * time.Second, Command: "postgate auth actions"}
	return c.Call(ctx, method, path, body, stdout, stderr)
}

// refType tells an action id (a UUID) from a name.
func refType(ref string) string {
	if len(ref) == 36 && strings.Count(ref, "-") == 4 {
		return "action_id"
	}
	return "action_name"
}
