// Package jwtconfig implements "postgate jwt-config": it prints a ready
// HASURA_GRAPHQL_JWT_SECRET for a named identity provider, reading an OIDC
// issuer's discovery document when asked to.
package jwtconfig

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/http"
	"strings"
	"time"
)

// Secret is the JSON of HASURA_GRAPHQL_JWT_SECRET, in the order printed.
type Secret struct {
	Type            string `json:"type,omitempty"`
	JWKURL          string `json:"jwk_url"`
	Issuer          string `json:"issuer,omitempty"`
	Audience        any    `json:"audience,omitempty"` // string or []string
	ClaimsNamespace string `json:"claims_namespace,omitempty"`
	ClaimsFormat    string `json:"claims_format,omitempty"`
}

const usage = `usage: postgate jwt-config --provider NAME [options]

Prints HASURA_GRAPHQL_JWT_SECRET for an identity provider.

providers and their options:
  auth0     --domain DOMAIN [--audience API]
  firebase  --project PROJECT_ID
  cognito   --user-pool POOL_ID [--region REGION] [--audience APP_CLIENT_ID]
  keycloak  --url BASE_URL --realm REALM [--audience CLIENT]
  clerk     --domain FRONTEND_API_DOMAIN [--audience AUD]
  oidc      --issuer ISSUER_URL [--audience AUD]

common options:
  --claims-namespace NS   where the Hasura claims are (default https://hasura.io/jwt/claims)
  --format env|json       print an environment assignment (default) or the bare JSON
`

// usageError is a mistake on the command line.
type usageError struct{ msg string }

func (e usageError) Error() string { return e.msg }

// Run executes the command with args (those after "jwt-config") and returns
// the process exit code: 0, 1 when the provider could not be read, 2 for
// usage errors.
func Run(args []string, stdout, stderr io.Writer) int {
	return run(context.Background(), args, stdout, stderr, &http.Client{Timeout: 15 * time.Second})
}

func run(ctx context.Context, args []string, stdout, stderr io.Writer, client *http.Client) int {
	fs := flag.NewFlagSet("jwt-config", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	var o options
	fs.StringVar(&o.provider, "provider", "", "")
	fs.StringVar(&o.domain, "domain", "", "")
	fs.StringVar(&o.project, "project", "", "")
	fs.StringVar(&o.region, "region", "", "")
	fs.StringVar(&o.userPool, "user-pool", "", "")
	fs.StringVar(&o.url, "url", "", "")
	fs.StringVar(&o.realm, "realm", "", "")
	fs.StringVar(&o.issuer, "issuer", "", "")
	fs.Func("audience", "", func(v string) error {
		for _, a := range strings.Split(v, ",") {
			if a = strings.TrimSpace(a); a != "" {
				o.audience = append(o.audience, a)
			}
		}
		return nil
	})
	fs.StringVar(&o.namespace, "claims-namespace", "", "")
	fs.StringVar(&o.format, "format", "env", "")
	help := fs.Bool("help", false, "")
	if err := fs.Parse(args); err != nil {
		fmt.Fprintf(stderr, "jwt-config: %v\n\n%s", err, usage)
		return 2
	}
	if *help {
		fmt.Fprint(stdout, usage)
		return 0
	}
	if fs.NArg() > 0 {
		fmt.Fprintf(stderr, "jwt-config: unexpected argument %q\n\n%s", fs.Arg(0), usage)
		return 2
	}
	if o.format != "env" && o.format != "json" {
		fmt.Fprintf(stderr, "jwt-config: --format must be env or json, not %q\n\n%s", o.format, usage)
		return 2
	}
	secret, err := build(ctx, o, client)
	var ue usageError
	switch {
	case errors.As(err, &ue):
		fmt.Fprintf(stderr, "jwt-config: %v\n\n%s", err, usage)
		return 2
	case err != nil:
		fmt.Fprintf(stderr, "jwt-config: %v\n", err)
		return 1
	}
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(secret); err != nil {
		fmt.Fprintf(stderr, "jwt-config: %v\n", err)
		return 1
	}
	out := strings.TrimSpace(buf.String())
	if o.format == "env" {
		out = "HASURA_GRAPHQL_JWT_SECRET='" + strings.ReplaceAll(out, "'", `'\''`) + "'"
	}
	fmt.Fprintln(stdout, out)
	return 0
}

type options struct {
	provider, domain, project, region, userPool, url, realm, issuer string
	audience                                                        []string
	namespace, format                                               string
}

func build(ctx context.Context, o options, client *http.Client) (*Secret, error) {
	var s *Secret
	var err error
	switch o.provider {
	case "":
		return nil, usageError{"--provider is required"}
	case "auth0":
		s, err = auth0(o)
	case "firebase":
		s, err = firebase(o)
	case "cognito":
		s, err = cognito(o)
	case "keycloak":
		s, err = keycloak(o)
	case "clerk":
		s, err = clerk(o)
	case "oidc":
		s, err = discover(ctx, o, client)
	default:
		return nil, usageError{fmt.Sprintf("unknown provider %q (auth0, firebase, cognito, keycloak, clerk, oidc)", o.provider)}
	}
	if err != nil {
		return nil, err
	}
	if s.Audience == nil {
		switch len(o.audience) {
		case 0:
		case 1:
			s.Audience = o.audience[0]
		default:
			s.Audience = o.audience
		}
	}
	s.ClaimsNamespace = o.namespace
	return s, nil
}

func require(provider string, pairs ...string) error {
	for i := 0; i < len(pairs); i += 2 {
		if strings.TrimSpace(pairs[i+1]) == "" {
			return usageError{fmt.Sprintf("--%s is required for --provider %s", pairs[i], provider)}
		}
	}
	return nil
}

// host reduces "https://tenant.eu.auth0.com/" to "tenant.eu.auth0.com".
func host(provider, domain string) (string, error) {
	d := strings.TrimSpace(domain)
	d = strings.TrimPrefix(strings.TrimPrefix(d, "https://"), "http://")
	d = strings.TrimRight(d, "/")
	if d == "" || strings.ContainsAny(d, "/?# ") {
		return "", usageError{fmt.Sprintf("--domain for --provider %s must be a host name such as tenant.auth0.com, not %q", provider, domain)}
	}
	return d, nil
}
