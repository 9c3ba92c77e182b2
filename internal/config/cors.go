package config

import (
	"net/url"
	"strings"
)

// validOrigin checks one HASURA_GRAPHQL_CORS_DOMAIN entry: scheme://host[:port],
// where the host may start with one "*." wildcard label.
func validOrigin(d string) error {
	u, err := url.Parse(strings.Replace(d, "*.", "wildcard.", 1))
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" ||
		(u.Path != "" && u.Path != "/") || u.RawQuery != "" || u.User != nil {
		return errOrigin
	}
	if strings.Count(d, "*") > 1 || (strings.Contains(d, "*") && !strings.Contains(d, "://*.")) {
		return errOrigin
	}
	return nil
}

// Allows reports whether a browser origin ("https://app.example.com") may call
// the server under this policy.
func (c CORS) Allows(origin string) bool {
	if c.AllowAll {
		return true
	}
	o := strings.ToLower(strings.TrimSuffix(origin, "/"))
	for _, d := range c.Domains {
		if d == o {
			return true
		}
		if i := strings.Index(d, "://*."); i >= 0 {
			scheme, rest := d[:i+3], d[i+4:] // rest = ".example.com[:port]"
			if strings.HasPrefix(o, scheme) {
				host := o[len(scheme):]
				if len(host) > len(rest) && strings.HasSuffix(host, rest) && !strings.Contains(host[:len(host)-len(rest)], "/") {
					return true
				}
			}
		}
	}
	return false
}
