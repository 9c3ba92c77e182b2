package auth

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math"
	"net/url"
	"strings"
	"time"
)

// DefaultClaimsNamespace is where Hasura looks for its claims by default.
const DefaultClaimsNamespace = "https://hasura.io/jwt/claims"

// Claims formats of the claims_format setting.
const (
	FormatJSON            = "json"
	FormatStringifiedJSON = "stringified_json"
)

type headerKind int

const (
	headerAuthorization headerKind = iota
	headerCookie
	headerCustom
)

// tokenLocation says where a JWT is read from: the Authorization header,
// a named cookie or a named header (lower-cased).
type tokenLocation struct {
	kind headerKind
	name string
}

// jwtSpec is one validated entry of HASURA_GRAPHQL_JWT_SECRET(S).
type jwtSpec struct {
	keyType   string     // "type" when a static key is configured
	key       *verifyKey // static key, or nil with jwkURL
	jwkURL    string
	audience  []string // nil: no audience check
	issuer    string
	hasIssuer bool
	claims    claimsSpec
	skew      time.Duration
	header    tokenLocation
}

// claimsSpec says how Hasura's claims are found in a token.
type claimsSpec struct {
	namespace string   // claims_namespace, when path is nil
	path      jsonPath // claims_namespace_path
	format    string
	cmap      *claimsMap // claims_map; overrides namespace and format
	rawMap    json.RawMessage
}

// claimsMap is the claims_map setting: every session variable is either a
// literal or a JSON path into the token's claims with an optional default.
type claimsMap struct {
	allowedRoles mapValue
	defaultRole  mapValue
	others       map[string]mapValue // lower-cased session variable names
}

type mapValue struct {
	path       jsonPath // nil for a literal
	literal    any      // string or []string
	def        any      // default for a path; nil when absent
	hasDefault bool
}

// secretError is the aeson-style message Hasura prints for a bad JWT secret.
func secretError(where, msg string) error {
	return fmt.Errorf("Error in %s: %s", where, msg)
}

// parseJWTSecret validates one JWT secret object. where is its JSON path
// ("$" or "$[i]") for messages.
func parseJWTSecret(raw []byte, where string) (*jwtSpec, error) {
	if !json.Valid(raw) {
		return nil, secretError(where, "Failed reading: not a valid json value")
	}
	var o map[string]json.RawMessage
	if err := json.Unmarshal(raw, &o); err != nil || o == nil {
		return nil, secretError(where, "parsing JWTConfig failed, expected Object, but encountered "+jsonKind(raw))
	}
	for k, v := range o {
		if bytes.Equal(bytes.TrimSpace(v), []byte("null")) {
			delete(o, k)
		}
	}
	s := &jwtSpec{claims: claimsSpec{namespace: DefaultClaimsNamespace, format: FormatJSON}}
	field := func(name string) string { return where + "." + name }

	var ns, nsPath *string
	if err := optString(o, "claims_namespace", &ns); err != nil {
		return nil, secretError(field("claims_namespace"), err.Error())
	}
	if err := optString(o, "claims_namespace_path", &nsPath); err != nil {
		return nil, secretError(field("claims_namespace_path"), err.Error())
	}
	var format *string
	if err := optString(o, "claims_format", &format); err != nil {
		return nil, secretError(field("claims_format"), err.Error())
	}
	if format != nil {
		if *format != FormatJSON && *format != FormatStringifiedJSON {
			return nil, secretError(field("claims_format"), "unexpected claims_format "+*format+", expected json or stringified_json")
		}
		s.claims.format = *format
	}
	if rawMap, ok := o["claims_map"]; ok {
		m, err := parseClaimsMap(rawMap, field("claims_map"))
		if err != nil {
			return nil, err
		}
		s.claims.cmap, s.claims.rawMap = m, rawMap
	}
	if rawSkew, ok := o["allowed_skew"]; ok {
		var secs float64
		if err := json.Unmarshal(rawSkew, &secs); err != nil || secs < 0 || math.IsInf(secs, 0) {
			return nil, secretError(field("allowed_skew"), "parsing NominalDiffTime failed, expected a non-negative Number")
		}
		s.skew = time.Duration(secs * float64(time.Second))
	}
	if rawHdr, ok := o["header"]; ok {
		loc, err := parseTokenLocation(rawHdr)
		if err != nil {
			return nil, secretError(field("header"), err.Error())
		}
		s.header = loc
	}
	if rawAud, ok := o["audience"]; ok {
		aud, err := stringOrList(rawAud)
		if err != nil {
			return nil, secretError(field("audience"), err.Error())
		}
		s.audience = aud
	}
	var iss *string
	if err := optString(o, "issuer", &iss); err != nil {
		return nil, secretError(field("issuer"), err.Error())
	}
	if iss != nil {
		s.issuer, s.hasIssuer = *iss, true
	}

	switch {
	case ns != nil && nsPath != nil:
		return nil, secretError(where, "claims_namespace and claims_namespace_path both cannot be set")
	case nsPath != nil:
		p, err := parseJSONPath(*nsPath)
		if err != nil {
			return nil, secretError(where, "invalid JSON path claims_namespace_path error: "+err.Error())
		}
		s.claims.path = p
	case ns != nil:
		s.claims.namespace = *ns
	}

	var key, jwkURL *string
	if err := optString(o, "key", &key); err != nil {
		return nil, secretError(field("key"), err.Error())
	}
	if err := optString(o, "jwk_url", &jwkURL); err != nil {
		return nil, secretError(field("jwk_url"), err.Error())
	}
	switch {
	case key == nil && jwkURL == nil:
		return nil, secretError(where, "key and jwk_url both cannot be empty")
	case key != nil && jwkURL != nil:
		return nil, secretError(where, "key, jwk_url both cannot be present")
	case key != nil:
		var typ *string
		if err := optString(o, "type", &typ); err != nil {
			return nil, secretError(field("type"), err.Error())
		}
		if typ == nil {
			return nil, secretError(where, `key "type" not found`)
		}
		k, err := parseStaticKey(*typ, *key)
		if err != nil {
			return nil, secretError(where, "Invalid JWK: "+err.Error())
		}
		s.keyType, s.key = *typ, k
	default:
		u, err := url.Parse(*jwkURL)
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			return nil, secretError(field("jwk_url"), "not a valid URI: "+*jwkURL)
		}
		s.jwkURL = *jwkURL
	}
	return s, nil
}

func optString(o map[string]json.RawMessage, name string, dst **string) error {
	raw, ok := o[name]
	if !ok {
		return nil
	}
	var v string
	if err := json.Unmarshal(raw, &v); err != nil {
		return fmt.Errorf("parsing Text failed, expected String, but encountered %s", jsonKind(raw))
	}
	*dst = &v
	return nil
}

func stringOrList(raw []byte) ([]string, error) {
	var one string
	if json.Unmarshal(raw, &one) == nil {
		return []string{one}, nil
	}
	var many []string
	if err := json.Unmarshal(raw, &many); err != nil {
		return nil, fmt.Errorf("parsing StringOrURI failed, expected String or Array of String, but encountered %s", jsonKind(raw))
	}
	return many, nil
}

func parseTokenLocation(raw []byte) (tokenLocation, error) {
	var h struct {
		Type *string `json:"type"`
		Name *string `json:"name"`
	}
	if err := json.Unmarshal(raw, &h); err != nil {
		return tokenLocation{}, fmt.Errorf("parsing JWTHeader failed, expected Object, but encountered %s", jsonKind(raw))
	}
	if h.Type == nil {
		return tokenLocation{}, fmt.Errorf(`key "type" not found`)
	}
	needName := func() (string, error) {
		if h.Name == nil || *h.Name == "" {
			return "", fmt.Errorf(`key "name" not found`)
		}
		return *h.Name, nil
	}
	switch strings.ToLower(*h.Type) {
	case "authorization":
		return tokenLocation{kind: headerAuthorization}, nil
	case "cookie":
		n, err := needName()
		return tokenLocation{kind: headerCookie, name: n}, err
	case "customheader":
		n, err := needName()
		return tokenLocation{kind: headerCustom, name: strings.ToLower(n)}, err
	}
	return tokenLocation{}, fmt.Errorf("expected 'type' is 'Authorization' or 'Cookie' or 'CustomHeader'")
}

const (
	claimAllowedRoles = "x-hasura-allowed-roles"
	claimDefaultRole  = "x-hasura-default-role"
)

func parseClaimsMap(raw []byte, where string) (*claimsMap, error) {
	var o map[string]json.RawMessage
	if err := json.Unmarshal(raw, &o); err != nil || o == nil {
		return nil, secretError(where, "parsing JWTClaimsMap failed, expected Object, but encountered "+jsonKind(raw))
	}
	for _, req := range []string{claimAllowedRoles, claimDefaultRole} {
		if _, ok := o[req]; !ok {
			return nil, secretError(where, req+" is expected but not found")
		}
	}
	m := &claimsMap{others: map[string]mapValue{}}
	var err error
	if m.allowedRoles, err = parseMapValue(o[claimAllowedRoles], true); err != nil {
		return nil, secretError(where+"['"+claimAllowedRoles+"']", err.Error())
	}
	if m.defaultRole, err = parseMapValue(o[claimDefaultRole], false); err != nil {
		return nil, secretError(where+"['"+claimDefaultRole+"']", err.Error())
	}
	for k, v := range o {
		if k == claimAllowedRoles || k == claimDefaultRole {
			continue
		}
		mv, err := parseMapValue(v, false)
		if err != nil {
			return nil, secretError(where+"['"+k+"']", err.Error())
		}
		m.others[strings.ToLower(k)] = mv
	}
	return m, nil
}

// parseMapValue parses a claims_map entry: {"path": ..., "default": ...} or
// a literal (a list of roles when list is set, else a string).
func parseMapValue(raw []byte, list bool) (mapValue, error) {
	decode := func(b []byte) (any, error) {
		if list {
			var roles []string
			if err := json.Unmarshal(b, &roles); err != nil {
				return nil, fmt.Errorf("parsing [] failed, expected Array, but encountered %s", jsonKind(b))
			}
			return roles, nil
		}
		var s string
		if err := json.Unmarshal(b, &s); err != nil {
			return nil, fmt.Errorf("parsing Text failed, expected String, but encountered %s", jsonKind(b))
		}
		return s, nil
	}
	var obj map[string]json.RawMessage
	if json.Unmarshal(raw, &obj) == nil && obj != nil {
		rawPath, ok := obj["path"]
		if !ok {
			return mapValue{}, fmt.Errorf(`key "path" not found`)
		}
		var ps string
		if err := json.Unmarshal(rawPath, &ps); err != nil {
			return mapValue{}, fmt.Errorf("parsing Text failed, expected String, but encountered %s", jsonKind(rawPath))
		}
		p, err := parseJSONPath(ps)
		if err != nil {
			return mapValue{}, err
		}
		mv := mapValue{path: p}
		if d, ok := obj["default"]; ok && !bytes.Equal(bytes.TrimSpace(d), []byte("null")) {
			if mv.def, err = decode(d); err != nil {
				return mapValue{}, err
			}
			mv.hasDefault = true
		}
		return mv, nil
	}
	lit, err := decode(raw)
	if err != nil {
		return mapValue{}, err
	}
	return mapValue{literal: lit}, nil
}

// jsonKind names the JSON type of raw the way aeson does in its errors.
func jsonKind(raw []byte) string {
	raw = bytes.TrimSpace(raw)
	if len(raw) == 0 {
		return "Nothing"
	}
	switch raw[0] {
	case '{':
		return "Object"
	case '[':
		return "Array"
	case '"':
		return "String"
	case 't', 'f':
		return "Boolean"
	case 'n':
		return "Null"
	}
	return "Number"
}

// valueKind names the JSON type of a decoded value the way aeson does.
func valueKind(v any) string {
	switch v.(type) {
	case map[string]any:
		return "Object"
	case []any:
		return "Array"
	case string:
		return "String"
	case bool:
		return "Boolean"
	case nil:
		return "Null"
	}
	return "Number"
}
