package cli

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/postgate/postgate/internal/mgmtclient"
)

// TokenUsage documents `postgate auth token`.
const TokenUsage = `Usage: postgate auth token --client CLIENT_ID [flags]

Gets tokens from the identity provider without writing an application:
  with --username and --password   the password grant (the application must allow it)
  with --secret only               client credentials (machine-to-machine)
  otherwise                        the device flow: open the printed link, confirm the code, wait

Flags:
  --client ID        application client_id (required)
  --secret S         client secret (confidential applications)
  --audience A       API identifier (the access token's audience)
  --scope S          scopes (default "openid profile email")
  --username U, --password P
  --issuer URL       as for the other auth commands
  --raw              print only the access token
`

// token runs `postgate auth token`.
func token(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("postgate auth token", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() { fmt.Fprint(stderr, TokenUsage) }
	issuer := fs.String("issuer", getenv("POSTGATE_AUTH_ISSUER"), "")
	client := fs.String("client", "", "")
	secret := fs.String("secret", "", "")
	audience := fs.String("audience", "", "")
	scope := fs.String("scope", "openid profile email", "")
	username := fs.String("username", "", "")
	password := fs.String("password", "", "")
	raw := fs.Bool("raw", false, "")
	if err := fs.Parse(args); err != nil {
		return 2
	}
	if *client == "" {
		fmt.Fprint(stderr, TokenUsage)
		return 2
	}
	iss := mgmtclient.Issuer(*issuer, getenv)
	form := url.Values{"client_id": {*client}, "scope": {*scope}}
	if *audience != "" {
		form.Set("audience", *audience)
	}
	if *secret != "" {
		form.Set("client_secret", *secret)
	}
	var status int
	var body map[string]any
	var err error
	switch {
	case *username != "":
		form.Set("grant_type", "password")
		form.Set("username", *username)
		form.Set("password", *password)
		status, body, err = postForm(ctx, iss+"oauth/token", form)
	case *secret != "":
		form.Set("grant_type", "client_credentials")
		form.Del("scope")
		status, body, err = postForm(ctx, iss+"oauth/token", form)
	default:
		status, body, err = deviceFlow(ctx, iss, form, stderr)
	}
	if err != nil {
		fmt.Fprintf(stderr, "postgate auth token: %v\n", err)
		return 1
	}
	if status != http.StatusOK {
		fmt.Fprintf(stderr, "postgate auth token: %d %v: %v\n", status, body["error"], body["error_description"])
		return 1
	}
	if *raw {
		fmt.Fprintln(stdout, body["access_token"])
		return 0
	}
	out, _ := json.MarshalIndent(body, "", "  ")
	fmt.Fprintln(stdout, string(out))
	return 0
}

func postForm(ctx context.Context, u string, form url.Values) (int, map[string]any, error) {
	ctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, u, strings.NewReader(form.Encode()))
	if err != nil {
		return 0, nil, err
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return 0, nil, err
	}
	defer resp.Body.Close()
	var m map[string]any
	if err := json.NewDecoder(io.LimitReader(resp.Body, 1<<20)).Decode(&m); err != nil {
		return resp.StatusCode, nil, fmt.Errorf("%s answered %s", u, resp.Status)
	}
	return resp.StatusCode, m, nil
}

// deviceFlow starts a device authorization, prints where to confirm it
// and polls until the user has answered.
func deviceFlow(ctx context.Context, iss string, form url.Values, stderr io.Writer) (int, map[string]any, error) {
	st, dc, err := postForm(ctx, iss+"oauth/device/code", form)
	if err != nil {
		return 0, nil, err
	}
	if st != http.StatusOK {
		return st, dc, nil
	}
	fmt.Fprintf(stderr, "Open %v\nand confirm the code %v\n", dc["verification_uri_complete"], dc["user_code"])
	interval := 5 * time.Second
	if n, ok := dc["interval"].(float64); ok && n > 0 {
		interval = time.Duration(n) * time.Second
	}
	poll := url.Values{"grant_type": {"urn:ietf:params:oauth:grant-type:device_code"}, "client_id": {form.Get("client_id")},
		"device_code": {fmt.Sprint(dc["device_code"])}}
	if s := form.Get("client_secret"); s != "" {
		poll.Set("client_secret", s)
	}
	for {
		select {
		case <-ctx.Done():
			return 0, nil, ctx.Err()
		case <-time.After(interval):
		}
		st, body, err := postForm(ctx, iss+"oauth/token", poll)
		if err != nil {
			return 0, nil, err
		}
		switch body["error"] {
		case "authorization_pending":
			continue
		case "slow_down":
			interval += 5 * time.Second
			continue
		}
		return st, body, nil
	}
}
