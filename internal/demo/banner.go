package demo

import (
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"fmt"
	"net/url"
	"strings"
)

// Query is the GraphQL query the banner's curl sends: the demo user sees
// only their own row.
const Query = `{ users { userId userName lastSeen } }`

// TokenCommand is a shell command that signs the demo user in with the
// password grant (through the CLI application) and prints the access token.
func (p *Project) TokenCommand() string {
	return fmt.Sprintf(`curl -s %s -d grant_type=password -d client_id=%s -d username=%s -d password=%s -d scope=openid --data-urlencode audience=%s | sed -E 's/.*"access_token":"([^"]+)".*/\1/'`,
		shellQuote(p.Issuer+"oauth/token"), shellQuote(p.CLIClientID), shellQuote(p.Email), shellQuote(p.Password), shellQuote(p.Audience))
}

// CurlCommand is a shell command that gets a token for the demo user and
// queries the GraphQL API with it; it prints the demo user's own row.
func (p *Project) CurlCommand() string {
	body := fmt.Sprintf(`{"query":%q}`, Query)
	return fmt.Sprintf("TOKEN=$(%s)\ncurl -s %s -H 'Content-Type: application/json' -H \"Authorization: Bearer $TOKEN\" -d %s",
		p.TokenCommand(), shellQuote(p.BaseURL+"/v1/graphql"), shellQuote(body))
}

// LoginURL is the login page as the demo SPA opens it: an authorization
// request with a PKCE challenge, the demo API as audience, and the SPA's
// callback.
func (p *Project) LoginURL() string {
	var b [32]byte
	_, _ = rand.Read(b[:])
	sum := sha256.Sum256([]byte(base64.RawURLEncoding.EncodeToString(b[:])))
	q := url.Values{"response_type": {"code"}, "client_id": {p.SPAClientID}, "redirect_uri": {SPAOrigin + "/callback"},
		"audience": {p.Audience}, "scope": {"openid profile email"}, "state": {"demo"},
		"code_challenge": {base64.RawURLEncoding.EncodeToString(sum[:])}, "code_challenge_method": {"S256"}}
	return p.Issuer + "authorize?" + q.Encode()
}

// Banner is what `postgate serve --demo` prints once the demo is installed.
func (p *Project) Banner() string {
	var b strings.Builder
	line := func(f string, a ...any) { fmt.Fprintf(&b, f+"\n", a...) }
	line("")
	line("Postgate demo project is ready.")
	line("")
	line("  GraphQL endpoint   %s/v1/graphql", p.BaseURL)
	line("  Admin secret       %s   (header x-hasura-admin-secret)", p.AdminSecret)
	line("  Login page         %s", p.LoginURL())
	line("                     (what the SPA at %s opens; the debugger below runs the whole flow for you)", SPAOrigin)
	line("  Token debugger     %sdebugger   (sign in with the admin secret)", p.Issuer)
	line("  OIDC discovery     %s.well-known/openid-configuration", p.Issuer)
	line("  Management API     %sapi/v2/", p.Issuer)
	line("")
	line("  API (audience)     %s", p.Audience)
	line("  SPA application    %s", p.SPAClientID)
	line("  CLI application    %s   (password and device grants)", p.CLIClientID)
	line("  Demo user          %s / %s", p.Email, p.Password)
	line("")
	line("The demo user's own row, through a token from the identity provider:")
	line("")
	for _, l := range strings.Split(p.CurlCommand(), "\n") {
		line("  %s", l)
	}
	line("")
	line("Or get a token with: postgate token --issuer %s --client-id %s --audience %s", p.Issuer, p.CLIClientID, p.Audience)
	line("")
	return b.String()
}

// shellQuote quotes s for a POSIX shell.
func shellQuote(s string) string {
	if s != "" && strings.Trim(s, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_./:@=") == "" {
		return s
	}
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}
