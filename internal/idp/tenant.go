package idp

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"strings"

	"github.com/jackc/pgx/v5"
)

// TenantSettings are the provider-wide settings of Auth0's
// /api/v2/tenants/settings that Postgate uses.
type TenantSettings struct {
	// DefaultAudience is the API used when a request names no audience,
	// so that clients configured only with the issuer get access tokens
	// for it.
	DefaultAudience string `json:"default_audience,omitempty"`
	// PictureURL (https) is the logo of pages that have no application
	// (password reset, device activation); FriendlyName and SupportEmail
	// are kept for Auth0 compatibility.
	FriendlyName string `json:"friendly_name,omitempty"`
	PictureURL   string `json:"picture_url,omitempty"`
	SupportEmail string `json:"support_email,omitempty"`
}

func (s *store) tenant(ctx context.Context) (TenantSettings, error) {
	var ts TenantSettings
	var b []byte
	err := s.pool.QueryRow(ctx, `SELECT settings FROM `+s.t("tenant_settings")).Scan(&b)
	if errors.Is(err, pgx.ErrNoRows) {
		return ts, nil
	}
	if err != nil {
		return ts, err
	}
	return ts, json.Unmarshal(b, &ts)
}

// defaultAudience returns aud, or the tenant's default audience when aud
// is empty.
func (p *IdP) defaultAudience(ctx context.Context, aud string) string {
	if aud != "" {
		return aud
	}
	ts, err := p.st.tenant(ctx)
	if err != nil {
		return ""
	}
	return ts.DefaultAudience
}

func (p *IdP) getTenant(r *http.Request) (int, any, error) {
	ts, err := p.st.tenant(r.Context())
	return http.StatusOK, ts, err
}

func (p *IdP) patchTenant(r *http.Request) (int, any, error) {
	ts, err := p.st.tenant(r.Context())
	if err != nil {
		return 0, nil, err
	}
	var patch map[string]*string
	if err := decode(r, &patch); err != nil {
		return 0, nil, err
	}
	for k, v := range patch {
		val := ""
		if v != nil {
			val = *v
		}
		switch k {
		case "default_audience":
			if val != "" {
				if _, err := p.st.resourceServer(r.Context(), val); err != nil || val == p.mgmtAudience() {
					return 0, nil, merr(http.StatusBadRequest, "default_audience must be the identifier of an API", "invalid_body")
				}
			}
			ts.DefaultAudience = val
		case "friendly_name":
			ts.FriendlyName = val
		case "picture_url":
			if val != "" && !strings.HasPrefix(val, "https://") {
				return 0, nil, merr(http.StatusBadRequest, "picture_url must be an https URL", "invalid_body")
			}
			ts.PictureURL = val
		case "support_email":
			ts.SupportEmail = val
		default:
			return 0, nil, merr(http.StatusBadRequest, "Payload validation error: 'Additional properties not allowed: "+k+"'.", "invalid_body")
		}
	}
	b, _ := json.Marshal(ts)
	_, err = p.st.pool.Exec(r.Context(), `INSERT INTO `+p.st.t("tenant_settings")+` (id, settings) VALUES (true, $1)
 ON CONFLICT (id) DO UPDATE SET settings = excluded.settings`, b)
	return http.StatusOK, ts, err
}
