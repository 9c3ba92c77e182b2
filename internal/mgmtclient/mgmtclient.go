// Package mgmtclient is the HTTP client postgate's client subcommands use
// to call a running server's identity provider Management API
// (<issuer>api/v2/) with the admin secret.
package mgmtclient

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"
	"time"
)

// Issuer returns the issuer URL ending in a slash: issuer as given, or
// the local server's /auth/ on HASURA_GRAPHQL_SERVER_PORT (8080 by
// default) when it is empty.
func Issuer(issuer string, getenv func(string) string) string {
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

// Client sends Management API requests and prints their answers.
type Client struct {
	// Issuer is the identity provider's issuer URL, ending in a slash.
	Issuer string
	// Secret is the admin secret, sent as a bearer token.
	Secret string
	// Timeout bounds one request.
	Timeout time.Duration
	// Command prefixes error messages, e.g. "postgate auth".
	Command string
}

// Call sends one request to path under <issuer>api/v2/, with body as
// JSON when it is not nil, and prints the JSON answer indented to stdout
// ("ok" when it is empty) or the failure to stderr. It returns the exit
// status: 0, or 1 on any failure.
func (c Client) Call(ctx context.Context, method, path string, body any, stdout, stderr io.Writer) int {
	u := c.Issuer + "api/v2/" + path
	var rd io.Reader
	if body != nil {
		b, _ := json.Marshal(body)
		rd = bytes.NewReader(b)
	}
	ctx, cancel := context.WithTimeout(ctx, c.Timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, method, u, rd)
	if err != nil {
		fmt.Fprintf(stderr, "%s: %v\n", c.Command, err)
		return 1
	}
	req.Header.Set("Authorization", "Bearer "+c.Secret)
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		fmt.Fprintf(stderr, "%s: %v (is the server running with POSTGATE_AUTH_ENABLED=true?)\n", c.Command, err)
		return 1
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(io.LimitReader(resp.Body, 10<<20))
	var pretty bytes.Buffer
	if json.Indent(&pretty, raw, "", "  ") == nil {
		raw = append(pretty.Bytes(), '\n')
	}
	if resp.StatusCode >= 300 {
		fmt.Fprintf(stderr, "%s: %s %s: %s\n%s", c.Command, method, u, resp.Status, raw)
		return 1
	}
	if len(bytes.TrimSpace(raw)) == 0 {
		fmt.Fprintln(stdout, "ok")
		return 0
	}
	_, _ = stdout.Write(raw)
	return 0
}
