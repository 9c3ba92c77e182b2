package jwtconfig

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"regexp"
	"slices"
	"strings"
)

// auth0: RS256 tokens, keys at /.well-known/jwks.json, issuer with a
// trailing slash.
func auth0(o options) (*Secret, error) {
	if err := require("auth0", "domain", o.domain); err != nil {
		return nil, err
	}
	d, err := host("auth0", o.domain)
	if err != nil {
		return nil, err
	}
	return &Secret{Type: "RS256", JWKURL: "https://" + d + "/.well-known/jwks.json", Issuer: "https://" + d + "/"}, nil
}

// firebase: Firebase Authentication ID tokens (Google's securetoken keys).
func firebase(o options) (*Secret, error) {
	if err := require("firebase", "project", o.project); err != nil {
		return nil, err
	}
	p := strings.TrimSpace(o.project)
	if strings.ContainsAny(p, "/ ") {
		return nil, usageError{fmt.Sprintf("--project must be a Firebase project id, not %q", o.project)}
	}
	return &Secret{
		Type:     "RS256",
		JWKURL:   "https://www.googleapis.com/service_accounts/v1/jwk/securetoken@system.gserviceaccount.com",
		Issuer:   "https://securetoken.google.com/" + p,
		Audience: p,
	}, nil
}

var (
	cognitoPool   = regexp.MustCompile(`^([a-z]{2}(?:-[a-z]+)+-\d+)_[0-9A-Za-z]+$`)
	cognitoRegion = regexp.MustCompile(`^[a-z]{2}(?:-[a-z]+)+-\d+$`)
)

// cognito: Amazon Cognito user pools. A pre-token-generation trigger can
// only add string claims, so the Hasura claims arrive as stringified JSON.
func cognito(o options) (*Secret, error) {
	if err := require("cognito", "user-pool", o.userPool); err != nil {
		return nil, err
	}
	pool := strings.TrimSpace(o.userPool)
	m := cognitoPool.FindStringSubmatch(pool)
	if m == nil {
		return nil, usageError{fmt.Sprintf("--user-pool must look like us-east-1_AbC123, not %q", o.userPool)}
	}
	region := strings.TrimSpace(o.region)
	switch {
	case region == "":
		region = m[1]
	case !cognitoRegion.MatchString(region):
		return nil, usageError{fmt.Sprintf("--region must look like eu-west-1, not %q", o.region)}
	case region != m[1]:
		return nil, usageError{fmt.Sprintf("--user-pool %s is not in --region %s", pool, region)}
	}
	iss := "https://cognito-idp." + region + ".amazonaws.com/" + pool
	return &Secret{Type: "RS256", JWKURL: iss + "/.well-known/jwks.json", Issuer: iss, ClaimsFormat: "stringified_json"}, nil
}

// keycloak: a realm's certs endpoint; --url is the server base URL
// (include "/auth" for Keycloak versions before 17).
func keycloak(o options) (*Secret, error) {
	if err := require("keycloak", "url", o.url, "realm", o.realm); err != nil {
		return nil, err
	}
	base, err := baseURL("--url", o.url)
	if err != nil {
		return nil, err
	}
	realm := strings.TrimSpace(o.realm)
	if strings.ContainsAny(realm, "/?# ") {
		return nil, usageError{fmt.Sprintf("--realm must be a realm name, not %q", o.realm)}
	}
	iss := base + "/realms/" + url.PathEscape(realm)
	return &Secret{Type: "RS256", JWKURL: iss + "/protocol/openid-connect/certs", Issuer: iss}, nil
}

// clerk: the instance's Frontend API domain; its issuer has no trailing slash.
func clerk(o options) (*Secret, error) {
	if err := require("clerk", "domain", o.domain); err != nil {
		return nil, err
	}
	d, err := host("clerk", o.domain)
	if err != nil {
		return nil, err
	}
	return &Secret{Type: "RS256", JWKURL: "https://" + d + "/.well-known/jwks.json", Issuer: "https://" + d}, nil
}

func baseURL(flagName, raw string) (string, error) {
	u, err := url.Parse(strings.TrimSpace(raw))
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || u.RawQuery != "" || u.Fragment != "" {
		return "", usageError{fmt.Sprintf("%s must be an http(s) URL, not %q", flagName, raw)}
	}
	return strings.TrimRight(u.String(), "/"), nil
}

// maxDiscovery bounds a discovery document.
const maxDiscovery = 1 << 20

// discover reads <issuer>/.well-known/openid-configuration and uses its
// jwks_uri and issuer.
func discover(ctx context.Context, o options, client *http.Client) (*Secret, error) {
	if err := require("oidc", "issuer", o.issuer); err != nil {
		return nil, err
	}
	base, err := baseURL("--issuer", o.issuer)
	if err != nil {
		return nil, err
	}
	where := base + "/.well-known/openid-configuration"
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, where, nil)
	if err != nil {
		return nil, fmt.Errorf("reading %s: %v", where, err)
	}
	req.Header.Set("Accept", "application/json")
	resp, err := client.Do(req)
	if err != nil {
		return nil, fmt.Errorf("reading %s: %v", where, err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, maxDiscovery))
	if err != nil {
		return nil, fmt.Errorf("reading %s: %v", where, err)
	}
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("reading %s: HTTP status %d", where, resp.StatusCode)
	}
	var doc struct {
		Issuer  string   `json:"issuer"`
		JWKSURI string   `json:"jwks_uri"`
		Algs    []string `json:"id_token_signing_alg_values_supported"`
	}
	if err := json.Unmarshal(body, &doc); err != nil {
		return nil, fmt.Errorf("reading %s: not an OpenID Provider configuration: %v", where, err)
	}
	if doc.JWKSURI == "" || doc.Issuer == "" {
		return nil, fmt.Errorf("reading %s: the document has no jwks_uri or issuer", where)
	}
	if strings.TrimRight(doc.Issuer, "/") != base {
		return nil, fmt.Errorf("reading %s: it names issuer %q, not %q", where, doc.Issuer, o.issuer)
	}
	if u, err := url.Parse(doc.JWKSURI); err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
		return nil, fmt.Errorf("reading %s: jwks_uri %q is not an http(s) URL", where, doc.JWKSURI)
	}
	typ := "RS256"
	if len(doc.Algs) > 0 && !slices.Contains(doc.Algs, "RS256") {
		typ = doc.Algs[0]
	}
	return &Secret{Type: typ, JWKURL: doc.JWKSURI, Issuer: doc.Issuer}, nil
}
