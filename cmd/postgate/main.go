// Command postgate runs Postgate: a GraphQL API for PostgreSQL compatible
// with the Hasura GraphQL Engine v2.
//
//	postgate serve [flags]   run the server (see `postgate help`)
//	postgate version         print the version
//	postgate jwt-config      print a HASURA_GRAPHQL_JWT_SECRET for a provider
//	postgate auth ...        manage the identity provider (clients, apis, users, keys)
//	postgate token           get an access token (device flow, password grant or client
//	                         credentials); `postgate auth token` is an alias
//	postgate help            show usage
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"os"

	"github.com/postgate/postgate/internal/app"
	"github.com/postgate/postgate/internal/cli"
	"github.com/postgate/postgate/internal/config"
	"github.com/postgate/postgate/internal/demo"
	"github.com/postgate/postgate/internal/jwtconfig"
	"github.com/postgate/postgate/internal/logging"
	"github.com/postgate/postgate/internal/server"
	"github.com/postgate/postgate/internal/tokencli"
)

func main() {
	os.Exit(run(context.Background(), os.Args[1:], os.Getenv, os.Stdout, os.Stderr))
}

// run executes one command line and returns the exit status.
func run(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) int {
	if len(args) == 0 {
		fmt.Fprint(stderr, usage)
		return 2
	}
	switch args[0] {
	case "serve":
		return serve(ctx, args[1:], getenv, stdout, stderr)
	case "version", "--version":
		fmt.Fprintln(stdout, "postgate "+server.Version)
		return 0
	case "jwt-config":
		return jwtconfig.Run(args[1:], stdout, stderr)
	case "auth":
		return cli.Auth(ctx, args[1:], getenv, stdout, stderr)
	case "token":
		return tokencli.Run(ctx, args[1:], getenv, stdout, stderr)
	case "help", "-h", "--help":
		fmt.Fprint(stdout, usage)
		return 0
	default:
		fmt.Fprintf(stderr, "postgate: unknown command %q\n\n%s", args[0], usage)
		return 2
	}
}

// serve runs the server until ctx ends or a SIGTERM/SIGINT arrives.
func serve(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) int {
	cfg, warnings, err := config.Load(args, getenv)
	if errors.Is(err, flag.ErrHelp) {
		fmt.Fprint(stdout, usage)
		return 0
	}
	if err != nil {
		fmt.Fprintf(stderr, "postgate: %v\n", err)
		return 1
	}
	logger := logging.New(stdout, logging.Options{Types: cfg.LogTypes, Level: cfg.LogLevel})
	for _, w := range warnings {
		logging.Warn(logger, "unimplemented_setting", w)
	}
	a, err := app.New(ctx, cfg, logger)
	if err != nil {
		logger.Error(err.Error(), "type", "startup")
		fmt.Fprintf(stderr, "postgate: %v\n", err)
		return 1
	}
	if cfg.Demo {
		return serveDemo(ctx, a, logger, stderr)
	}
	if err := a.Run(ctx); err != nil {
		logger.Error(err.Error(), "type", "startup")
		fmt.Fprintf(stderr, "postgate: %v\n", err)
		return 1
	}
	return 0
}

// serveDemo installs the demo project (idempotently), prints its URLs and
// a curl command, and serves.
func serveDemo(ctx context.Context, a *app.App, logger *slog.Logger, stderr io.Writer) int {
	fail := func(err error) int {
		logger.Error(err.Error(), "type", "startup")
		fmt.Fprintf(stderr, "postgate: %v\n", err)
		return 1
	}
	ln, err := net.Listen("tcp", a.Config.ListenAddr())
	if err != nil {
		a.Close()
		return fail(fmt.Errorf("listen on %s: %w", a.Config.ListenAddr(), err))
	}
	p, err := demo.Install(ctx, demo.OptionsFor(a.Config, a.Handler()))
	if err != nil {
		ln.Close()
		a.Close()
		return fail(err)
	}
	logging.Startup(logger, "demo", map[string]any{"graphql": p.BaseURL + "/v1/graphql", "issuer": p.Issuer,
		"debugger": p.Issuer + "debugger", "spa_client_id": p.SPAClientID, "cli_client_id": p.CLIClientID, "audience": p.Audience,
		"demo_user": p.Email})
	fmt.Fprint(stderr, p.Banner())
	if err := a.Serve(ctx, ln); err != nil {
		return fail(err)
	}
	return 0
}

const usage = `Postgate: a GraphQL API for PostgreSQL, compatible with the Hasura GraphQL Engine v2.

Usage:
  postgate serve [flags]    run the server
  postgate version          print the version
  postgate jwt-config       print a JWT secret configuration for an identity provider
  postgate auth ...         manage the built-in identity provider (see postgate auth help)
  postgate token            get an access token: device flow or password grant for users, client
                            credentials for machines (see postgate token -h); also
                            postgate auth token
  postgate help             show this help

Serve flags (each also read from its environment variable; flags win):
  --database-url URL             HASURA_GRAPHQL_DATABASE_URL (default: the embedded database)
  --metadata-database-url URL    HASURA_GRAPHQL_METADATA_DATABASE_URL (default: the database URL)
  --server-port PORT             HASURA_GRAPHQL_SERVER_PORT (default 8080)
  --server-host HOST             HASURA_GRAPHQL_SERVER_HOST (default *, all interfaces)
  --admin-secret SECRET          HASURA_GRAPHQL_ADMIN_SECRET
  --jwt-secret JSON              HASURA_GRAPHQL_JWT_SECRET
  --auth-hook URL                HASURA_GRAPHQL_AUTH_HOOK (--auth-hook-mode GET|POST)
  --unauthorized-role ROLE       HASURA_GRAPHQL_UNAUTHORIZED_ROLE
  --cors-domain LIST             HASURA_GRAPHQL_CORS_DOMAIN (default *); --disable-cors
  --enabled-log-types LIST       HASURA_GRAPHQL_ENABLED_LOG_TYPES; --log-level LEVEL
  --dev-mode                     HASURA_GRAPHQL_DEV_MODE
  --enable-console               HASURA_GRAPHQL_ENABLE_CONSOLE
  --stringify-numeric-types      HASURA_GRAPHQL_STRINGIFY_NUMERIC_TYPES
  --connections N                HASURA_GRAPHQL_PG_CONNECTIONS (default 50); --timeout,
                                 --conn-lifetime, --pool-timeout (seconds), --use-prepared-statements
  --data-dir DIR                 POSTGATE_DATA_DIR: the embedded database (default ./postgate-data)
  --max-body-bytes N             POSTGATE_MAX_BODY_BYTES (default 10485760)
  --demo                         identity provider on, generated admin secret, and the demo project
                                 (users table, applications, API, Actions, demo user); prints URLs

With no database URL, serve starts a private PostgreSQL cluster in the data directory using the
server binaries installed on the machine ("apt-get install postgresql" on Debian/Ubuntu).
`
