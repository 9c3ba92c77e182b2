// Package tokencli is `postgate token`: it gets an access token from an
// OAuth 2.0 / OpenID Connect provider without writing an application — the
// command-line counterpart of the token debugger page.
//
// Users sign in with the device flow (RFC 8628): the command prints a link
// and a code, the user confirms them in any browser, and the command prints
// the token; or with the password grant when a username and password are
// given. Machine-to-machine applications use client credentials.
// `postgate auth token` is an alias that runs this same code. The
// endpoints come from the provider's discovery document, so the command
// works with Postgate's identity provider and with Auth0 or any other OIDC
// provider alike.
//
// Standard output carries only the result (the token, the header line, or
// the JSON answer), so that TOKEN=$(postgate token ...) works; prompts and
// decoded claims go to standard error.
package tokencli

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"time"
)

// Usage documents `postgate token` (also run as `postgate auth token`).
const Usage = `Usage: postgate token --client-id ID [flags]
       postgate auth token ...   (the same command)

Gets an access token from the identity provider and prints it.

  with --username/--password  the password grant (the application must allow it)
  with --client-secret only   client credentials (a machine-to-machine application)
  otherwise                   the device flow: open the printed link in a browser, sign in,
                              confirm the code; the token is printed when you have

Flags:
  --issuer URL            the provider's issuer (POSTGATE_AUTH_ISSUER; default
                          http://localhost:<HASURA_GRAPHQL_SERVER_PORT or 8080>/auth/)
  --client-id ID          the application's client ID (POSTGATE_TOKEN_CLIENT_ID; alias --client)
  --client-secret S       the application's secret (POSTGATE_TOKEN_CLIENT_SECRET; alias --secret)
  --audience AUD          the API identifier the token is for (POSTGATE_TOKEN_AUDIENCE)
  --scope S               scopes (default "openid profile email" for users, none for machines)
  --username U, --password P
                          sign a user in with the password grant instead of the device flow
  --header                print "Authorization: Bearer <token>" instead of the bare token
  --json                  print the token endpoint's whole JSON answer
  --decode                also print the tokens' decoded header and claims (to standard error)
  --raw                   print only the access token (the default)
  --timeout DURATION      give up waiting for the device flow after this long (default 10m)
`

// Run executes `postgate token` (and its alias `postgate auth token`) with
// args and returns the exit status.
func Run(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("postgate token", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() { fmt.Fprint(stderr, Usage) }
	issuer := fs.String("issuer", getenv("POSTGATE_AUTH_ISSUER"), "")
	var clientID, secret string
	fs.StringVar(&clientID, "client-id", getenv("POSTGATE_TOKEN_CLIENT_ID"), "")
	fs.StringVar(&clientID, "client", getenv("POSTGATE_TOKEN_CLIENT_ID"), "")
	fs.StringVar(&secret, "client-secret", getenv("POSTGATE_TOKEN_CLIENT_SECRET"), "")
	fs.StringVar(&secret, "secret", getenv("POSTGATE_TOKEN_CLIENT_SECRET"), "")
	audience := fs.String("audience", getenv("POSTGATE_TOKEN_AUDIENCE"), "")
	scope := fs.String("scope", "", "")
	username := fs.String("username", "", "")
	password := fs.String("password", "", "")
	header := fs.Bool("header", false, "")
	asJSON := fs.Bool("json", false, "")
	decode := fs.Bool("decode", false, "")
	fs.Bool("raw", false, "")
	timeout := fs.Duration("timeout", 10*time.Minute, "")
	if err := fs.Parse(args); err != nil {
		return 2
	}
	if fs.NArg() > 0 || clientID == "" {
		if clientID == "" {
			fmt.Fprintln(stderr, "postgate token: --client-id is required")
		}
		fmt.Fprint(stderr, Usage)
		return 2
	}
	c := &Client{Issuer: IssuerURL(*issuer, getenv), ClientID: clientID, ClientSecret: secret, Audience: *audience, Scope: *scope,
		Prompt: stderr}
	ctx, cancel := context.WithTimeout(ctx, *timeout)
	defer cancel()
	var tok *Token
	var err error
	switch {
	case *username != "":
		tok, err = c.Password(ctx, *username, *password)
	case secret != "":
		tok, err = c.ClientCredentials(ctx)
	default:
		tok, err = c.Device(ctx)
	}
	if err != nil {
		fmt.Fprintf(stderr, "postgate token: %v\n", err)
		return 1
	}
	if *decode {
		for _, t := range []struct{ name, jwt string }{{"access token", tok.AccessToken}, {"ID token", tok.IDToken}} {
			if t.jwt == "" {
				continue
			}
			h, cl, err := Decode(t.jwt)
			if err != nil {
				fmt.Fprintf(stderr, "%s: not a JWT (%v)\n", t.name, err)
				continue
			}
			fmt.Fprintf(stderr, "%s header: %s\n%s claims: %s\n", t.name, indent(h), t.name, indent(cl))
		}
	}
	switch {
	case *asJSON:
		fmt.Fprintln(stdout, indent(tok.Raw))
	case *header:
		fmt.Fprintln(stdout, "Authorization: Bearer "+tok.AccessToken)
	default:
		fmt.Fprintln(stdout, tok.AccessToken)
	}
	return 0
}

// IssuerURL is the issuer given, or the local identity provider's default;
// it always ends in a slash.
func IssuerURL(issuer string, getenv func(string) string) string {
	issuer = strings.TrimSpace(issuer)
	if issuer == "" {
		port := getenv("HASURA_GRAPHQL_SERVER_PORT")
		if port == "" {
			port = "8080"
		}
		issuer = "http://localhost:" + port + "/auth/"
	}
	if !strings.HasSuffix(issuer, "/") {
		issuer += "/"
	}
	return issuer
}

// Client gets tokens from one provider for one application.
type Client struct {
	// Issuer is the provider's issuer URL, ending in a slash.
	Issuer string
	// ClientID and ClientSecret identify the application (no secret for
	// public applications).
	ClientID, ClientSecret string
	// Audience is the API identifier the token is for.
	Audience string
	// Scope overrides the default scopes.
	Scope string
	// Prompt receives the device flow's instructions (nil: discarded).
	Prompt io.Writer
	// HTTP is the HTTP client (default: one with a 30 s timeout).
	HTTP *http.Client

	endpoints *endpoints
}

// Token is the token endpoint's answer.
type Token struct {
	AccessToken string `json:"access_token"`
	IDToken     string `json:"id_token,omitempty"`
	TokenType   string `json:"token_type"`
	ExpiresIn   int    `json:"expires_in"`
	Scope       string `json:"scope,omitempty"`
	// Raw is the whole answer.
	Raw json.RawMessage `json:"-"`
}

// OAuthError is an OAuth 2.0 error answer.
type OAuthError struct {
	// Status is the HTTP status.
	Status int
	// Code is the OAuth error code (invalid_client, access_denied, …).
	Code string `json:"error"`
	// Description is the provider's explanation.
	Description string `json:"error_description"`
}

func (e *OAuthError) Error() string {
	if e.Description != "" {
		return fmt.Sprintf("%s: %s (HTTP %d)", e.Code, e.Description, e.Status)
	}
	return fmt.Sprintf("%s (HTTP %d)", e.Code, e.Status)
}

type endpoints struct {
	Token  string `json:"token_endpoint"`
	Device string `json:"device_authorization_endpoint"`
}

// discover reads the provider's discovery document; a provider without one
// is assumed to use Auth0's paths under the issuer.
func (c *Client) discover(ctx context.Context) (*endpoints, error) {
	if c.endpoints != nil {
		return c.endpoints, nil
	}
	e := &endpoints{}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, c.Issuer+".well-known/openid-configuration", nil)
	if err != nil {
		return nil, err
	}
	resp, err := c.http().Do(req)
	if err != nil {
		return nil, fmt.Errorf("reaching the provider at %s: %w", c.Issuer, err)
	}
	if resp.StatusCode == http.StatusOK {
		err = json.NewDecoder(io.LimitReader(resp.Body, 1<<20)).Decode(e)
	}
	resp.Body.Close()
	if err != nil {
		return nil, fmt.Errorf("the provider's discovery document: %w", err)
	}
	if e.Token == "" {
		e.Token = c.Issuer + "oauth/token"
	}
	if e.Device == "" {
		e.Device = c.Issuer + "oauth/device/code"
	}
	c.endpoints = e
	return e, nil
}

func (c *Client) http() *http.Client {
	if c.HTTP != nil {
		return c.HTTP
	}
	return &http.Client{Timeout: 30 * time.Second}
}

// form adds the application's identity to f.
func (c *Client) form(f url.Values) url.Values {
	f.Set("client_id", c.ClientID)
	if c.ClientSecret != "" {
		f.Set("client_secret", c.ClientSecret)
	}
	if c.Audience != "" {
		f.Set("audience", c.Audience)
	}
	return f
}

// post sends a form and decodes a JSON object answer into out, or returns
// the OAuth error.
func (c *Client) post(ctx context.Context, u string, f url.Values, out any) (json.RawMessage, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, u, strings.NewReader(f.Encode()))
	if err != nil {
		return nil, err
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Accept", "application/json")
	resp, err := c.http().Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	if err != nil {
		return nil, err
	}
	if resp.StatusCode != http.StatusOK {
		oe := &OAuthError{Status: resp.StatusCode}
		if json.Unmarshal(raw, oe) != nil || oe.Code == "" {
			oe.Code, oe.Description = "http_error", strings.TrimSpace(string(raw))
		}
		return nil, oe
	}
	if err := json.Unmarshal(raw, out); err != nil {
		return nil, fmt.Errorf("%s: %w", u, err)
	}
	return raw, nil
}

func (c *Client) token(ctx context.Context, f url.Values) (*Token, error) {
	e, err := c.discover(ctx)
	if err != nil {
		return nil, err
	}
	var t Token
	raw, err := c.post(ctx, e.Token, c.form(f), &t)
	if err != nil {
		return nil, err
	}
	if t.AccessToken == "" {
		return nil, errors.New("the provider answered without an access token")
	}
	t.Raw = raw
	return &t, nil
}

// ClientCredentials gets a machine-to-machine token.
func (c *Client) ClientCredentials(ctx context.Context) (*Token, error) {
	f := url.Values{"grant_type": {"client_credentials"}}
	if c.Scope != "" {
		f.Set("scope", c.Scope)
	}
	return c.token(ctx, f)
}

// Password signs a user in with the password grant (the application must
// allow it).
func (c *Client) Password(ctx context.Context, username, password string) (*Token, error) {
	scope := c.Scope
	if scope == "" {
		scope = "openid profile email"
	}
	return c.token(ctx, url.Values{"grant_type": {"password"}, "username": {username}, "password": {password}, "scope": {scope}})
}

// deviceAuthorization is the device authorization endpoint's answer.
type deviceAuthorization struct {
	DeviceCode              string `json:"device_code"`
	UserCode                string `json:"user_code"`
	VerificationURI         string `json:"verification_uri"`
	VerificationURIComplete string `json:"verification_uri_complete"`
	ExpiresIn               int    `json:"expires_in"`
	Interval                int    `json:"interval"`
}

// Device runs the device flow: it prints where to sign in and which code
// to confirm, then polls until the user has answered (or ctx ends).
func (c *Client) Device(ctx context.Context) (*Token, error) {
	e, err := c.discover(ctx)
	if err != nil {
		return nil, err
	}
	scope := c.Scope
	if scope == "" {
		scope = "openid profile email"
	}
	var da deviceAuthorization
	if _, err := c.post(ctx, e.Device, c.form(url.Values{"scope": {scope}}), &da); err != nil {
		return nil, fmt.Errorf("starting the device flow: %w", err)
	}
	if da.DeviceCode == "" || da.UserCode == "" {
		return nil, errors.New("the provider's device authorization answer lacks a device or user code")
	}
	if c.Prompt != nil {
		link := da.VerificationURIComplete
		if link == "" {
			link = da.VerificationURI
		}
		fmt.Fprintf(c.Prompt, "To sign in, open\n\n  %s\n\nand confirm the code %s\n\nWaiting...\n", link, da.UserCode)
	}
	interval := time.Duration(da.Interval) * time.Second
	if interval <= 0 {
		interval = 5 * time.Second
	}
	poll := url.Values{"grant_type": {"urn:ietf:params:oauth:grant-type:device_code"}, "device_code": {da.DeviceCode}}
	for {
		select {
		case <-ctx.Done():
			return nil, fmt.Errorf("waiting for the sign-in: %w", ctx.Err())
		case <-time.After(interval):
		}
		t, err := c.token(ctx, poll)
		var oe *OAuthError
		switch {
		case err == nil:
			return t, nil
		case errors.As(err, &oe) && oe.Code == "authorization_pending":
		case errors.As(err, &oe) && oe.Code == "slow_down":
			interval += 5 * time.Second
		default:
			return nil, err
		}
	}
}

// Decode returns a JWT's header and claims (without checking the
// signature: this is for reading, not for trusting).
func Decode(jwt string) (header, claims json.RawMessage, err error) {
	parts := strings.Split(jwt, ".")
	if len(parts) != 3 {
		return nil, nil, errors.New("not a compact JWS (three dot-separated parts)")
	}
	h, err := base64.RawURLEncoding.DecodeString(parts[0])
	if err != nil {
		return nil, nil, fmt.Errorf("header: %w", err)
	}
	cl, err := base64.RawURLEncoding.DecodeString(parts[1])
	if err != nil {
		return nil, nil, fmt.Errorf("claims: %w", err)
	}
	if !json.Valid(h) || !json.Valid(cl) {
		return nil, nil, errors.New("the header or the claims are not JSON")
	}
	return h, cl, nil
}

// indent pretty-prints JSON (or returns it as it is).
func indent(raw json.RawMessage) string {
	var b strings.Builder
	var v any
	if json.Unmarshal(raw, &v) != nil {
		return string(raw)
	}
	enc := json.NewEncoder(&b)
	enc.SetIndent("", "  ")
	_ = enc.Encode(v)
	return strings.TrimSpace(b.String())
}
