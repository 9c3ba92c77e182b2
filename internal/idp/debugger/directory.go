package debugger

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"strings"
)

// ManagementDirectory lists applications and APIs through the identity
// provider's Management API, called in-process on handler h (the provider's
// handler, mounted at the issuer's path) with an admin secret.
func ManagementDirectory(h http.Handler, issuer, adminSecret string) Directory {
	return &mgmtDirectory{h: h, issuer: issuer, secret: adminSecret}
}

type mgmtDirectory struct {
	h      http.Handler
	issuer string
	secret string
}

func (m *mgmtDirectory) get(ctx context.Context, path string, out any) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, m.issuer+"api/v2/"+path, http.NoBody)
	if err != nil {
		return err
	}
	req.RemoteAddr = "127.0.0.1:0"
	req.Header.Set("X-Hasura-Admin-Secret", m.secret)
	rec := &recorder{header: http.Header{}}
	m.h.ServeHTTP(rec, req)
	if rec.status != 0 && rec.status != http.StatusOK {
		return fmt.Errorf("management API %s: HTTP %d", path, rec.status)
	}
	return json.Unmarshal(rec.body, out)
}

// Applications lists the applications, by name.
func (m *mgmtDirectory) Applications(ctx context.Context) ([]Application, error) {
	var list []struct {
		ClientID                string   `json:"client_id"`
		Name                    string   `json:"name"`
		AppType                 string   `json:"app_type"`
		Callbacks               []string `json:"callbacks"`
		GrantTypes              []string `json:"grant_types"`
		TokenEndpointAuthMethod string   `json:"token_endpoint_auth_method"`
	}
	if err := m.get(ctx, "clients", &list); err != nil {
		return nil, err
	}
	out := make([]Application, 0, len(list))
	for _, c := range list {
		out = append(out, Application{ClientID: c.ClientID, Name: c.Name, AppType: c.AppType, Callbacks: c.Callbacks,
			GrantTypes: c.GrantTypes, Public: c.TokenEndpointAuthMethod == "none"})
	}
	return out, nil
}

// APIs lists the APIs a user token may be for (not the Management API).
func (m *mgmtDirectory) APIs(ctx context.Context) ([]API, error) {
	var list []struct {
		Identifier string `json:"identifier"`
		Name       string `json:"name"`
		IsSystem   bool   `json:"is_system"`
	}
	if err := m.get(ctx, "resource-servers", &list); err != nil {
		return nil, err
	}
	out := make([]API, 0, len(list))
	for _, r := range list {
		if r.IsSystem || strings.HasPrefix(r.Identifier, m.issuer+"api/v2") {
			continue
		}
		out = append(out, API{Identifier: r.Identifier, Name: r.Name})
	}
	return out, nil
}

// mountPaths are the server mount keys for a debugger under issuer.
func mountPaths(issuer string) (exact, prefix string) {
	u, _ := url.Parse(issuer)
	return u.Path + "debugger", u.Path + "debugger/"
}

// Mounts returns the debugger keyed by the paths it serves, for a server
// whose mounts take exact paths and prefixes ending in "/".
func (d *Debugger) Mounts() map[string]http.Handler {
	exact, prefix := mountPaths(d.cfg.Issuer)
	return map[string]http.Handler{exact: d, prefix: d}
}
