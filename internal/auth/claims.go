package auth

import (
	"bytes"
	"encoding/json"
	"strings"

	"github.com/postgate/postgate/internal/apierr"
	"github.com/postgate/postgate/internal/session"
)

// hasuraClaims are the claims a verified token grants: its allowed roles,
// default role and other x-hasura-* session variables.
type hasuraClaims struct {
	allowedRoles []string
	defaultRole  string
	vars         map[string]string
}

// extractClaims finds Hasura's claims in a verified token's claims as the
// secret's claims settings say (Hasura's parseClaimsMap and
// parseHasuraClaims).
func extractClaims(spec claimsSpec, claims map[string]any) (hasuraClaims, *apierr.Error) {
	var m map[string]any
	if spec.cmap != nil {
		var err *apierr.Error
		if m, err = applyClaimsMap(spec.cmap, claims); err != nil {
			return hasuraClaims{}, err
		}
	} else {
		obj, err := namespaceObject(spec, claims)
		if err != nil {
			return hasuraClaims{}, err
		}
		m = map[string]any{}
		for k, v := range obj {
			if session.IsSessionVar(k) {
				m[strings.ToLower(k)] = v
			}
		}
	}
	var hc hasuraClaims
	rawAllowed, ok := m[claimAllowedRoles]
	if !ok {
		return hc, missingRoleClaim("JWT claim does not contain " + claimAllowedRoles)
	}
	roles, err := roleList(rawAllowed)
	if err != nil {
		return hc, invalidClaims("invalid " + claimAllowedRoles + "; should be a list of roles: " + err.Error())
	}
	rawDefault, ok := m[claimDefaultRole]
	if !ok {
		return hc, missingRoleClaim("JWT claim does not contain " + claimDefaultRole)
	}
	def, err := roleName(rawDefault)
	if err != nil {
		return hc, invalidClaims("invalid " + claimDefaultRole + "; should be a single role name: " + err.Error())
	}
	hc.allowedRoles, hc.defaultRole, hc.vars = roles, def, map[string]string{}
	for k, v := range m {
		if k == claimAllowedRoles || k == claimDefaultRole {
			continue
		}
		s, ok := v.(string)
		if !ok {
			return hc, invalidClaims("x-hasura-* claims: parsing Text failed, expected String, but encountered " + valueKind(v))
		}
		hc.vars[k] = s
	}
	return hc, nil
}

// namespaceObject reads the claims object at claims_namespace(_path),
// decoding it from a string with claims_format stringified_json.
func namespaceObject(spec claimsSpec, claims map[string]any) (map[string]any, *apierr.Error) {
	var v any
	var found bool
	var where string
	if spec.path != nil {
		unregistered := make(map[string]any, len(claims))
		for k, val := range claims {
			if !isRegisteredClaim(k) {
				unregistered[k] = val
			}
		}
		v, found = spec.path.lookup(unregistered)
		if !found {
			return nil, invalidClaims("claims not found at claims_namespace_path: '" + spec.path.String() + "'")
		}
		where = "claims_namespace_path " + spec.path.String()
	} else {
		if !isRegisteredClaim(spec.namespace) {
			v, found = claims[spec.namespace]
		}
		if !found {
			return nil, invalidClaims("claims key: '" + spec.namespace + "' not found")
		}
		where = "claims_namespace " + spec.namespace
	}
	if spec.format == FormatStringifiedJSON {
		s, ok := v.(string)
		if !ok {
			return nil, invalidClaims("expecting a string when claims_format is stringified_json")
		}
		dec := json.NewDecoder(bytes.NewReader([]byte(s)))
		dec.UseNumber()
		var obj map[string]any
		if err := dec.Decode(&obj); err != nil || obj == nil {
			return nil, invalidClaims("expecting stringified json at: '" + where + "', but found: " + s)
		}
		return obj, nil
	}
	obj, ok := v.(map[string]any)
	if !ok {
		return nil, invalidClaims("expecting a json object when claims_format is json")
	}
	return obj, nil
}

func isRegisteredClaim(k string) bool {
	switch k {
	case "iss", "sub", "aud", "exp", "nbf", "iat", "jti":
		return true
	}
	return false
}

// applyClaimsMap evaluates claims_map against all of the token's claims.
func applyClaimsMap(cm *claimsMap, claims map[string]any) (map[string]any, *apierr.Error) {
	out := map[string]any{}
	resolve := func(mv mapValue) (any, bool) {
		if mv.path == nil {
			return mv.literal, true
		}
		if v, ok := mv.path.lookup(claims); ok {
			return v, true
		}
		if mv.hasDefault {
			return mv.def, true
		}
		return nil, false
	}
	if v, ok := resolve(cm.allowedRoles); ok {
		out[claimAllowedRoles] = toAny(v)
	}
	if v, ok := resolve(cm.defaultRole); ok {
		out[claimDefaultRole] = v
	}
	for name, mv := range cm.others {
		v, ok := resolve(mv)
		if !ok {
			return nil, invalidClaims("JWT claim from claims_map, " + name + " not found")
		}
		out[name] = v
	}
	return out, nil
}

// toAny turns a []string default into the []any shape decoded JSON has.
func toAny(v any) any {
	if ss, ok := v.([]string); ok {
		out := make([]any, len(ss))
		for i, s := range ss {
			out[i] = s
		}
		return out
	}
	return v
}

type claimError string

func (e claimError) Error() string { return string(e) }

func roleList(v any) ([]string, error) {
	arr, ok := v.([]any)
	if !ok {
		return nil, claimError("parsing [] failed, expected Array, but encountered " + valueKind(v))
	}
	roles := make([]string, 0, len(arr))
	for _, e := range arr {
		r, err := roleName(e)
		if err != nil {
			return nil, err
		}
		roles = append(roles, r)
	}
	return roles, nil
}

func roleName(v any) (string, error) {
	s, ok := v.(string)
	if !ok {
		return "", claimError("parsing RoleName failed, expected String, but encountered " + valueKind(v))
	}
	if strings.TrimSpace(s) == "" {
		return "", claimError("empty string not allowed")
	}
	return s, nil
}
