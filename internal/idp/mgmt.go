package idp

import (
	"context"
	"crypto/subtle"
	"crypto/x509"
	"encoding/json"
	"encoding/pem"
	"errors"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
)

// mgmtError is a Management API error, shaped like Auth0's
// {statusCode, error, message, errorCode}.
type mgmtError struct {
	StatusCode int    `json:"statusCode"`
	Err        string `json:"error"`
	Message    string `json:"message"`
	ErrorCode  string `json:"errorCode,omitempty"`
}

func (e *mgmtError) Error() string { return e.Message }

func merr(status int, msg, code string) *mgmtError {
	return &mgmtError{StatusCode: status, Err: http.StatusText(status), Message: msg, ErrorCode: code}
}

func (p *IdP) writeMgmtError(w http.ResponseWriter, err error) {
	var me *mgmtError
	var ue *userError
	switch {
	case errors.As(err, &me):
	case errors.As(err, &ue):
		me = merr(ue.Status, ue.Message, "")
		if ue.Status == http.StatusConflict {
			me.ErrorCode = "auth0_idp_error"
		}
	case errors.Is(err, errNotFound):
		me = merr(http.StatusNotFound, "Not found", "inexistent_resource")
	case strings.Contains(err.Error(), "23505"):
		me = merr(http.StatusConflict, "The resource already exists.", "already_exists")
	case tooLong(err):
		me = merr(http.StatusBadRequest, "Payload validation error: a value is too long.", "invalid_body")
	default:
		p.cfg.Logger.Error("management API error", "type", "auth", "error", err.Error())
		me = merr(http.StatusInternalServerError, "Internal error", "")
	}
	writeJSON(w, me.StatusCode, me)
}

// tooLong reports whether err is PostgreSQL refusing a value for its size:
// too long for its column (22001) or for an index entry (54000).
func tooLong(err error) bool {
	var pe *pgconn.PgError
	return errors.As(err, &pe) && (pe.Code == "22001" || pe.Code == "54000")
}

// mgmtHandler is a Management API handler returning its body or an error.
type mgmtHandler func(r *http.Request) (status int, body any, err error)

// management serves the Management API. Callers authenticate with the
// engine's admin secret (x-hasura-admin-secret header, or as the Bearer
// token) or with an access token for audience <issuer>api/v2/ whose scope
// holds "<read|create|update|delete>:<resource>".
func (p *IdP) management() http.Handler {
	mux := http.NewServeMux()
	h := func(pattern, scope string, f mgmtHandler) {
		mux.Handle(pattern, p.mgmtAuth(scope, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			status, body, err := f(r)
			if err != nil {
				p.writeMgmtError(w, err)
				return
			}
			if body == nil {
				w.WriteHeader(status)
				return
			}
			writeJSON(w, status, body)
		})))
	}
	h("GET /clients", "read:clients", p.listClients)
	h("POST /clients", "create:clients", p.createClient)
	h("GET /clients/{id}", "read:clients", p.getClient)
	h("PATCH /clients/{id}", "update:clients", p.patchClient)
	h("DELETE /clients/{id}", "delete:clients", p.deleteClient)
	h("POST /clients/{id}/rotate-secret", "update:clients", p.rotateSecret)
	h("GET /client-grants", "read:client_grants", p.listGrants)
	h("POST /client-grants", "create:client_grants", p.createGrant)
	h("PATCH /client-grants/{id}", "update:client_grants", p.patchGrant)
	h("DELETE /client-grants/{id}", "delete:client_grants", p.deleteGrant)
	h("GET /resource-servers", "read:resource_servers", p.listRS)
	h("POST /resource-servers", "create:resource_servers", p.createRS)
	h("GET /resource-servers/{id}", "read:resource_servers", p.getRS)
	h("PATCH /resource-servers/{id}", "update:resource_servers", p.patchRS)
	h("DELETE /resource-servers/{id}", "delete:resource_servers", p.deleteRS)
	h("GET /users", "read:users", p.listUsers)
	h("GET /users-by-email", "read:users", p.usersByEmail)
	h("POST /users", "create:users", p.postUser)
	h("GET /users/{id}", "read:users", p.getUser)
	h("PATCH /users/{id}", "update:users", p.patchUser)
	h("DELETE /users/{id}", "delete:users", p.deleteUser)
	h("GET /users/{id}/roles", "read:roles", p.listUserRoles)
	h("POST /users/{id}/roles", "update:users", p.addUserRoles)
	h("DELETE /users/{id}/roles", "update:users", p.removeUserRoles)
	h("GET /roles", "read:roles", p.listRoles)
	h("POST /roles", "create:roles", p.createRole)
	h("GET /roles/{id}", "read:roles", p.getRole)
	h("PATCH /roles/{id}", "update:roles", p.patchRole)
	h("DELETE /roles/{id}", "delete:roles", p.deleteRole)
	h("GET /roles/{id}/users", "read:roles", p.listRoleUsers)
	h("POST /roles/{id}/users", "update:roles", p.addRoleUsers)
	h("GET /users/{id}/permissions", "read:users", p.listUserPerms)
	h("GET /roles/{id}/permissions", "read:roles", p.listRolePerms)
	h("POST /roles/{id}/permissions", "update:roles", p.addRolePerms)
	h("DELETE /roles/{id}/permissions", "update:roles", p.removeRolePerms)
	h("GET /tenants/settings", "read:tenant_settings", p.getTenant)
	h("PATCH /tenants/settings", "update:tenant_settings", p.patchTenant)
	h("GET /keys/signing", "read:signing_keys", p.listKeys)
	h("POST /keys/signing/rotate", "create:signing_keys", p.rotateKeys)
	h("GET /keys/signing/{kid}", "read:signing_keys", p.getKey)
	h("PUT /keys/signing/{kid}/revoke", "update:signing_keys", p.revokeKey)
	if p.cfg.ActionsAPI != nil {
		mux.Handle("/actions/", p.mgmtAuth("", http.StripPrefix("/actions", p.cfg.ActionsAPI)))
	}
	mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		p.writeMgmtError(w, merr(http.StatusNotFound, "Not Found", ""))
	})
	return mux
}

// mgmtAuth checks the caller. An empty scope derives it from the method
// and the first path segment (e.g. "read:actions").
func (p *IdP) mgmtAuth(scope string, next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if s := r.Header.Get("X-Hasura-Admin-Secret"); s != "" {
			if !p.cfg.AdminSecret(s) {
				p.writeMgmtError(w, merr(http.StatusUnauthorized, "Invalid admin secret", ""))
				return
			}
			next.ServeHTTP(w, r)
			return
		}
		tok, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
		if !ok || tok == "" {
			p.writeMgmtError(w, merr(http.StatusUnauthorized, "Missing authentication", ""))
			return
		}
		if p.cfg.AdminSecret(tok) {
			next.ServeHTTP(w, r)
			return
		}
		claims, err := p.keys.verify(r.Context(), tok)
		if err != nil || claims["iss"] != p.cfg.Issuer || !audHas(claims["aud"], p.mgmtAudience()) || claims["gty"] != "client-credentials" {
			p.writeMgmtError(w, merr(http.StatusUnauthorized, "Invalid token", "invalid_token"))
			return
		}
		need := scope
		if need == "" {
			res, _, _ := strings.Cut(strings.Trim(r.URL.Path, "/"), "/")
			verb := map[string]string{http.MethodGet: "read", http.MethodPost: "create", http.MethodPatch: "update", http.MethodPut: "update", http.MethodDelete: "delete"}[r.Method]
			need = verb + ":" + res
		}
		sc, _ := claims["scope"].(string)
		if !contains(strings.Fields(sc), need) {
			p.writeMgmtError(w, merr(http.StatusForbidden, "Insufficient scope, expected any of: "+need, "insufficient_scope"))
			return
		}
		next.ServeHTTP(w, r)
	})
}

func audHas(aud any, want string) bool {
	switch a := aud.(type) {
	case string:
		return a == want
	case []any:
		for _, x := range a {
			if x == want {
				return true
			}
		}
	}
	return false
}

// decode reads a JSON body into v, answering Auth0's 400 on bad JSON.
func decode(r *http.Request, v any) error {
	r.Body = http.MaxBytesReader(nil, r.Body, 1<<20)
	if err := json.NewDecoder(r.Body).Decode(v); err != nil {
		return merr(http.StatusBadRequest, "Invalid request payload JSON format", "invalid_body")
	}
	return nil
}

// clientPatch holds the settable fields of an application.
type clientPatch struct {
	Name                    *string            `json:"name"`
	Description             *string            `json:"description"`
	AppType                 *string            `json:"app_type"`
	Callbacks               *[]string          `json:"callbacks"`
	AllowedLogoutURLs       *[]string          `json:"allowed_logout_urls"`
	WebOrigins              *[]string          `json:"web_origins"`
	AllowedOrigins          *[]string          `json:"allowed_origins"`
	GrantTypes              *[]string          `json:"grant_types"`
	TokenEndpointAuthMethod *string            `json:"token_endpoint_auth_method"`
	LogoURI                 *string            `json:"logo_uri"`
	ClientMetadata          *map[string]string `json:"client_metadata"`
}

var validGrants = map[string]bool{"authorization_code": true, "refresh_token": true, "client_credentials": true, "password": true,
	grantPasswordRealm: true, grantDeviceCode: true, "implicit": true}

func (cp *clientPatch) apply(c *Client) error {
	set := func(dst *[]string, src *[]string) {
		if src != nil {
			*dst = append([]string{}, (*src)...)
		}
	}
	if cp.Name != nil {
		c.Name = *cp.Name
	}
	if cp.Description != nil {
		c.Description = *cp.Description
	}
	if cp.AppType != nil {
		switch *cp.AppType {
		case "spa", "native", "regular_web", "non_interactive":
			c.AppType = *cp.AppType
		default:
			return merr(http.StatusBadRequest, "Payload validation error: 'Invalid value for app_type: "+*cp.AppType+"'", "invalid_body")
		}
	}
	set(&c.Callbacks, cp.Callbacks)
	set(&c.AllowedLogoutURLs, cp.AllowedLogoutURLs)
	set(&c.WebOrigins, cp.WebOrigins)
	set(&c.AllowedOrigins, cp.AllowedOrigins)
	set(&c.GrantTypes, cp.GrantTypes)
	for _, g := range c.GrantTypes {
		if !validGrants[g] {
			return merr(http.StatusBadRequest, "Payload validation error: 'Invalid grant type: "+g+"'", "invalid_body")
		}
	}
	if cp.TokenEndpointAuthMethod != nil {
		switch *cp.TokenEndpointAuthMethod {
		case "none", "client_secret_post", "client_secret_basic":
			c.TokenEndpointAuthMethod = *cp.TokenEndpointAuthMethod
		default:
			return merr(http.StatusBadRequest, "Payload validation error: 'Invalid token_endpoint_auth_method'", "invalid_body")
		}
	}
	if cp.LogoURI != nil {
		if *cp.LogoURI != "" && !strings.HasPrefix(*cp.LogoURI, "https://") {
			return merr(http.StatusBadRequest, "Payload validation error: 'logo_uri must be an https URL'", "invalid_body")
		}
		c.LogoURI = *cp.LogoURI
	}
	if cp.ClientMetadata != nil {
		c.ClientMetadata = *cp.ClientMetadata
	}
	return nil
}

func (p *IdP) listClients(r *http.Request) (int, any, error) {
	cs, err := p.st.clients(r.Context())
	if cs == nil {
		cs = []*Client{}
	}
	return http.StatusOK, cs, err
}

func (p *IdP) createClient(r *http.Request) (int, any, error) {
	var cp clientPatch
	if err := decode(r, &cp); err != nil {
		return 0, nil, err
	}
	if cp.Name == nil || *cp.Name == "" {
		return 0, nil, merr(http.StatusBadRequest, "Payload validation error: 'Missing required property: name'.", "invalid_body")
	}
	c := &Client{ClientID: randomAlnum(32), AppType: "regular_web", ClientMetadata: map[string]string{},
		Callbacks: []string{}, AllowedLogoutURLs: []string{}, WebOrigins: []string{}, AllowedOrigins: []string{}}
	if cp.AppType != nil {
		c.AppType = *cp.AppType
	}
	switch c.AppType {
	case "spa", "native":
		c.TokenEndpointAuthMethod = "none"
		c.GrantTypes = []string{"authorization_code", "implicit", "refresh_token"}
		if c.AppType == "native" {
			c.GrantTypes = append(c.GrantTypes, grantDeviceCode)
		}
	case "non_interactive":
		c.TokenEndpointAuthMethod = "client_secret_post"
		c.GrantTypes = []string{"client_credentials"}
	default:
		c.TokenEndpointAuthMethod = "client_secret_post"
		c.GrantTypes = []string{"authorization_code", "implicit", "refresh_token", "client_credentials"}
	}
	if err := cp.apply(c); err != nil {
		return 0, nil, err
	}
	if !c.public() {
		c.ClientSecret = randomID(48)
		c.secretHash = secretHash(c.ClientSecret)
	}
	if err := p.st.saveClient(r.Context(), c, true); err != nil {
		return 0, nil, err
	}
	c.IsFirstParty, c.OIDCConformant = true, true
	return http.StatusCreated, c, nil
}

// pathClient loads the application the path's {id} names, with Auth0's
// 404 when there is none.
func (p *IdP) pathClient(r *http.Request) (*Client, error) {
	c, err := p.st.client(r.Context(), r.PathValue("id"))
	if errors.Is(err, errNotFound) {
		return nil, merr(http.StatusNotFound, "The client does not exist", "inexistent_client")
	}
	return c, err
}

func (p *IdP) getClient(r *http.Request) (int, any, error) {
	c, err := p.pathClient(r)
	return http.StatusOK, c, err
}

func (p *IdP) patchClient(r *http.Request) (int, any, error) {
	c, err := p.pathClient(r)
	if err != nil {
		return 0, nil, err
	}
	var cp clientPatch
	if err := decode(r, &cp); err != nil {
		return 0, nil, err
	}
	wasPublic := c.public()
	if err := cp.apply(c); err != nil {
		return 0, nil, err
	}
	if wasPublic && !c.public() && c.secretHash == "" {
		c.ClientSecret = randomID(48)
		c.secretHash = secretHash(c.ClientSecret)
	}
	if err := p.st.saveClient(r.Context(), c, false); err != nil {
		return 0, nil, err
	}
	return http.StatusOK, c, nil
}

func (p *IdP) deleteClient(r *http.Request) (int, any, error) {
	_, err := p.st.pool.Exec(r.Context(), `DELETE FROM `+p.st.t("clients")+` WHERE client_id = $1`, r.PathValue("id"))
	if err == nil {
		_, err = p.st.pool.Exec(r.Context(), `UPDATE `+p.st.t("refresh_tokens")+` SET revoked = true WHERE client_id = $1`, r.PathValue("id"))
	}
	return http.StatusNoContent, nil, err
}

func (p *IdP) rotateSecret(r *http.Request) (int, any, error) {
	c, err := p.pathClient(r)
	if err != nil {
		return 0, nil, err
	}
	c.ClientSecret = randomID(48)
	c.secretHash = secretHash(c.ClientSecret)
	return http.StatusOK, c, p.st.saveClient(r.Context(), c, false)
}

func (p *IdP) listGrants(r *http.Request) (int, any, error) {
	q := `SELECT id, client_id, audience, scope FROM ` + p.st.t("client_grants") + ` WHERE ($1 = '' OR client_id = $1) AND ($2 = '' OR audience = $2) ORDER BY id`
	rows, err := p.st.pool.Query(r.Context(), q, r.URL.Query().Get("client_id"), r.URL.Query().Get("audience"))
	if err != nil {
		return 0, nil, err
	}
	out, err := pgx.CollectRows(rows, func(row pgx.CollectableRow) (ClientGrant, error) {
		var g ClientGrant
		return g, row.Scan(&g.ID, &g.ClientID, &g.Audience, &g.Scope)
	})
	if out == nil {
		out = []ClientGrant{}
	}
	return http.StatusOK, out, err
}

func (p *IdP) createGrant(r *http.Request) (int, any, error) {
	var g ClientGrant
	if err := decode(r, &g); err != nil {
		return 0, nil, err
	}
	if _, err := p.st.client(r.Context(), g.ClientID); err != nil {
		return 0, nil, merr(http.StatusNotFound, "The client does not exist", "inexistent_client")
	}
	rs, err := p.st.resourceServer(r.Context(), g.Audience)
	if err != nil {
		return 0, nil, merr(http.StatusNotFound, "No resource server found for audience: "+g.Audience, "inexistent_resource_server")
	}
	for _, s := range g.Scope {
		if !contains(scopeValues(rs), s) {
			return 0, nil, merr(http.StatusBadRequest, "Scope "+s+" is not defined by the API "+rs.Identifier, "invalid_body")
		}
	}
	if g.Scope == nil {
		g.Scope = []string{}
	}
	g.ID = "cgr_" + randomAlnum(16)
	_, err = p.st.pool.Exec(r.Context(), `INSERT INTO `+p.st.t("client_grants")+` (id, client_id, audience, scope) VALUES ($1,$2,$3,$4)`,
		g.ID, g.ClientID, rs.Identifier, g.Scope)
	if err != nil && strings.Contains(err.Error(), "23505") {
		return 0, nil, merr(http.StatusConflict, "A resource with the same identifier already exists.", "client_grant_conflict")
	}
	g.Audience = rs.Identifier
	return http.StatusCreated, g, err
}

func (p *IdP) patchGrant(r *http.Request) (int, any, error) {
	var body struct {
		Scope []string `json:"scope"`
	}
	if err := decode(r, &body); err != nil {
		return 0, nil, err
	}
	var g ClientGrant
	err := p.st.pool.QueryRow(r.Context(), `UPDATE `+p.st.t("client_grants")+` SET scope = $2 WHERE id = $1 RETURNING id, client_id, audience, scope`,
		r.PathValue("id"), append([]string{}, body.Scope...)).Scan(&g.ID, &g.ClientID, &g.Audience, &g.Scope)
	if errors.Is(err, pgx.ErrNoRows) {
		return 0, nil, merr(http.StatusNotFound, "The grant does not exist", "inexistent_client_grant")
	}
	return http.StatusOK, g, err
}

func (p *IdP) deleteGrant(r *http.Request) (int, any, error) {
	_, err := p.st.pool.Exec(r.Context(), `DELETE FROM `+p.st.t("client_grants")+` WHERE id = $1`, r.PathValue("id"))
	return http.StatusNoContent, nil, err
}

func scopeValues(rs *ResourceServer) []string {
	out := make([]string, 0, len(rs.Scopes))
	for _, s := range rs.Scopes {
		out = append(out, s.Value)
	}
	return out
}

// rsPatch holds the settable fields of an API.
type rsPatch struct {
	Identifier          *string  `json:"identifier"`
	Name                *string  `json:"name"`
	SigningAlg          *string  `json:"signing_alg"`
	TokenLifetime       *int     `json:"token_lifetime"`
	TokenLifetimeForWeb *int     `json:"token_lifetime_for_web"`
	AllowOfflineAccess  *bool    `json:"allow_offline_access"`
	EnforcePolicies     *bool    `json:"enforce_policies"`
	TokenDialect        *string  `json:"token_dialect"`
	Scopes              *[]Scope `json:"scopes"`
}

func (rp *rsPatch) apply(rs *ResourceServer) error {
	if rp.Name != nil {
		rs.Name = *rp.Name
	}
	if rp.SigningAlg != nil {
		if *rp.SigningAlg != "RS256" {
			return merr(http.StatusBadRequest, "Payload validation error: only RS256 signing is supported", "invalid_body")
		}
		rs.SigningAlg = *rp.SigningAlg
	}
	if rp.TokenLifetime != nil {
		if *rp.TokenLifetime <= 0 || *rp.TokenLifetime > 2592000 {
			return merr(http.StatusBadRequest, "Payload validation error: 'Expected value to be between 1 and 2592000' on property token_lifetime", "invalid_body")
		}
		rs.TokenLifetime = *rp.TokenLifetime
	}
	if rp.TokenLifetimeForWeb != nil {
		rs.TokenLifetimeForWeb = *rp.TokenLifetimeForWeb
	}
	if rp.AllowOfflineAccess != nil {
		rs.AllowOfflineAccess = *rp.AllowOfflineAccess
	}
	if rp.EnforcePolicies != nil {
		rs.EnforcePolicies = *rp.EnforcePolicies
	}
	if rp.TokenDialect != nil {
		switch *rp.TokenDialect {
		case "access_token", "access_token_authz", "rfc9068_profile", "rfc9068_profile_authz":
			rs.TokenDialect = *rp.TokenDialect
		default:
			return merr(http.StatusBadRequest, "Payload validation error: 'Invalid value for token_dialect'", "invalid_body")
		}
	}
	if rp.Scopes != nil {
		rs.Scopes = append([]Scope{}, (*rp.Scopes)...)
	}
	return nil
}

func (p *IdP) listRS(r *http.Request) (int, any, error) {
	rss, err := p.st.resourceServers(r.Context())
	for _, rs := range rss {
		rs.IsSystem = rs.Identifier == p.mgmtAudience()
	}
	if rss == nil {
		rss = []*ResourceServer{}
	}
	return http.StatusOK, rss, err
}

func (p *IdP) createRS(r *http.Request) (int, any, error) {
	var rp rsPatch
	if err := decode(r, &rp); err != nil {
		return 0, nil, err
	}
	if rp.Identifier == nil || *rp.Identifier == "" {
		return 0, nil, merr(http.StatusBadRequest, "Payload validation error: 'Missing required property: identifier'.", "invalid_body")
	}
	rs := &ResourceServer{ID: randomAlnum(24), Identifier: *rp.Identifier, Name: *rp.Identifier, SigningAlg: "RS256",
		TokenLifetime: 86400, TokenLifetimeForWeb: 7200, TokenDialect: "access_token", Scopes: []Scope{}}
	if err := rp.apply(rs); err != nil {
		return 0, nil, err
	}
	if err := p.st.saveRS(r.Context(), rs, true); err != nil {
		if strings.Contains(err.Error(), "23505") {
			return 0, nil, merr(http.StatusConflict, "A resource server with the same identifier already exists", "resource_server_conflict")
		}
		return 0, nil, err
	}
	p.invalidateAudiences()
	return http.StatusCreated, rs, nil
}

// pathRS loads the API the path's {id} names (its id or identifier), with
// Auth0's 404 when there is none.
func (p *IdP) pathRS(r *http.Request) (*ResourceServer, error) {
	rs, err := p.st.resourceServer(r.Context(), r.PathValue("id"))
	if errors.Is(err, errNotFound) {
		return nil, merr(http.StatusNotFound, "The resource server does not exist", "inexistent_resource_server")
	}
	return rs, err
}

func (p *IdP) getRS(r *http.Request) (int, any, error) {
	rs, err := p.pathRS(r)
	return http.StatusOK, rs, err
}

func (p *IdP) patchRS(r *http.Request) (int, any, error) {
	rs, err := p.pathRS(r)
	if err != nil {
		return 0, nil, err
	}
	var rp rsPatch
	if err := decode(r, &rp); err != nil {
		return 0, nil, err
	}
	if rp.Identifier != nil && *rp.Identifier != rs.Identifier {
		return 0, nil, merr(http.StatusBadRequest, "Payload validation error: 'Additional properties not allowed: identifier'.", "invalid_body")
	}
	if err := rp.apply(rs); err != nil {
		return 0, nil, err
	}
	return http.StatusOK, rs, p.st.saveRS(r.Context(), rs, false)
}

func (p *IdP) deleteRS(r *http.Request) (int, any, error) {
	rs, err := p.st.resourceServer(r.Context(), r.PathValue("id"))
	if err == nil && rs.Identifier == p.mgmtAudience() {
		return 0, nil, merr(http.StatusForbidden, "The Management API cannot be deleted", "operation_not_supported")
	}
	if err == nil {
		err = pgx.BeginFunc(r.Context(), p.st.pool, func(tx pgx.Tx) error {
			for _, q := range []string{
				`DELETE FROM ` + p.st.t("client_grants") + ` WHERE audience = $1`,
				`DELETE FROM ` + p.st.t("role_permissions") + ` WHERE resource_server_identifier = $1`,
				`UPDATE ` + p.st.t("refresh_tokens") + ` SET revoked = true WHERE audience = $1`,
				`DELETE FROM ` + p.st.t("resource_servers") + ` WHERE identifier = $1`,
			} {
				if _, err := tx.Exec(r.Context(), q, rs.Identifier); err != nil {
					return err
				}
			}
			return nil
		})
	}
	if errors.Is(err, errNotFound) {
		err = nil
	}
	p.invalidateAudiences()
	return http.StatusNoContent, nil, err
}

// userBody holds the settable fields of a user.
type userBody struct {
	UserID        *string        `json:"user_id"`
	Email         *string        `json:"email"`
	Username      *string        `json:"username"`
	Password      *string        `json:"password"`
	Connection    *string        `json:"connection"`
	EmailVerified *bool          `json:"email_verified"`
	Name          *string        `json:"name"`
	Nickname      *string        `json:"nickname"`
	GivenName     *string        `json:"given_name"`
	FamilyName    *string        `json:"family_name"`
	Picture       *string        `json:"picture"`
	Blocked       *bool          `json:"blocked"`
	AppMetadata   map[string]any `json:"app_metadata"`
	UserMetadata  map[string]any `json:"user_metadata"`
}

func (b *userBody) apply(u *User) {
	str := func(dst *string, src *string) {
		if src != nil {
			*dst = *src
		}
	}
	if b.Email != nil {
		e := strings.TrimSpace(*b.Email)
		u.Email = &e
	}
	if b.Username != nil {
		n := strings.TrimSpace(*b.Username)
		u.Username = &n
	}
	if b.EmailVerified != nil {
		u.EmailVerified = *b.EmailVerified
	}
	str(&u.Name, b.Name)
	str(&u.Nickname, b.Nickname)
	str(&u.GivenName, b.GivenName)
	str(&u.FamilyName, b.FamilyName)
	str(&u.Picture, b.Picture)
	if b.Blocked != nil {
		u.Blocked = *b.Blocked
	}
}

func (p *IdP) postUser(r *http.Request) (int, any, error) {
	var b userBody
	if err := decode(r, &b); err != nil {
		return 0, nil, err
	}
	if b.Connection != nil && *b.Connection != connectionName {
		return 0, nil, merr(http.StatusBadRequest, "The connection does not exist.", "inexistent_connection")
	}
	if b.Password == nil {
		return 0, nil, merr(http.StatusBadRequest, "Payload validation error: 'Missing required property: password'.", "invalid_body")
	}
	u := &User{AppMetadata: b.AppMetadata, UserMetadata: b.UserMetadata}
	if b.UserID != nil {
		u.UserID = *b.UserID
	}
	b.apply(u)
	created, err := p.createUser(r.Context(), r, u, *b.Password, nil)
	if err != nil {
		return 0, nil, err
	}
	return http.StatusCreated, created, nil
}

// pathUser loads the user the path's {id} names, with Auth0's 404 when
// there is none.
func (p *IdP) pathUser(r *http.Request) (*User, error) {
	u, err := p.st.user(r.Context(), r.PathValue("id"))
	if errors.Is(err, errNotFound) {
		return nil, merr(http.StatusNotFound, "The user does not exist.", "inexistent_user")
	}
	return u, err
}

func (p *IdP) getUser(r *http.Request) (int, any, error) {
	u, err := p.pathUser(r)
	return http.StatusOK, u, err
}

func (p *IdP) patchUser(r *http.Request) (int, any, error) {
	ctx := r.Context()
	u, err := p.pathUser(r)
	if err != nil {
		return 0, nil, err
	}
	var b userBody
	if err := decode(r, &b); err != nil {
		return 0, nil, err
	}
	b.apply(u)
	if b.Password != nil {
		if len(*b.Password) < 8 {
			return 0, nil, merr(http.StatusBadRequest, "PasswordStrengthError: Password is too weak", "invalid_body")
		}
		u.passwordHash = hashPassword(p.cfg.Password, *b.Password)
	}
	u.AppMetadata = mergeMetadata(u.AppMetadata, b.AppMetadata)
	u.UserMetadata = mergeMetadata(u.UserMetadata, b.UserMetadata)
	if err := p.st.updateUser(ctx, u); err != nil {
		if strings.Contains(err.Error(), "23505") {
			return 0, nil, errUserExists
		}
		return 0, nil, err
	}
	if u.Blocked || b.Password != nil {
		// Blocking or a new password ends the user's sessions.
		_, _ = p.st.pool.Exec(ctx, `UPDATE `+p.st.t("sessions")+` SET revoked = true WHERE user_id = $1`, u.UserID)
	}
	if b.Blocked != nil && !*b.Blocked {
		_, _ = p.st.pool.Exec(ctx, `DELETE FROM `+p.st.t("login_failures")+` WHERE key = $1 OR key = $2`,
			"account:"+strings.ToLower(deref(u.Email)), "account:"+strings.ToLower(deref(u.Username)))
	}
	u, err = p.st.user(ctx, u.UserID)
	return http.StatusOK, u, err
}

func (p *IdP) deleteUser(r *http.Request) (int, any, error) {
	_, err := p.st.pool.Exec(r.Context(), `DELETE FROM `+p.st.t("users")+` WHERE user_id = $1`, r.PathValue("id"))
	if err == nil {
		_, err = p.st.pool.Exec(r.Context(), `UPDATE `+p.st.t("refresh_tokens")+` SET revoked = true WHERE user_id = $1`, r.PathValue("id"))
	}
	return http.StatusNoContent, nil, err
}

// listUsers supports Auth0's page/per_page/include_totals and a q search:
// field:value terms (email, username, name, user_id, blocked) or free
// text matched against email, username and name.
func (p *IdP) listUsers(r *http.Request) (int, any, error) {
	q := r.URL.Query()
	page, _ := strconv.Atoi(q.Get("page"))
	per, _ := strconv.Atoi(q.Get("per_page"))
	if per <= 0 || per > 100 {
		per = 50
	}
	where := []string{"true"}
	args := []any{}
	for _, term := range strings.Fields(q.Get("q")) {
		if term == "AND" {
			continue // terms are always combined with AND
		}
		field, val, ok := strings.Cut(term, ":")
		if !ok {
			field, val = "", term
		}
		val = strings.Trim(val, `"`)
		wildcard := strings.Contains(val, "*")
		if wildcard {
			val = strings.ReplaceAll(strings.NewReplacer(`\`, `\\`, "%", `\%`, "_", `\_`).Replace(val), "*", "%")
		}
		args = append(args, val)
		n := "$" + strconv.Itoa(len(args))
		switch field {
		case "email", "username", "user_id":
			if wildcard {
				where = append(where, field+" ILIKE "+n)
			} else {
				where = append(where, "lower("+field+") = lower("+n+")")
			}
		case "name":
			where = append(where, "name ILIKE '%' || "+n+" || '%'")
		case "blocked":
			where = append(where, "blocked = ("+n+" = 'true')")
		case "":
			where = append(where, "(email ILIKE '%' || "+n+" || '%' OR username ILIKE '%' || "+n+" || '%' OR name ILIKE '%' || "+n+" || '%')")
		default:
			return 0, nil, merr(http.StatusBadRequest, "Unsupported search field: "+field, "invalid_query_string")
		}
	}
	cond := strings.Join(where, " AND ")
	var total int
	if err := p.st.pool.QueryRow(r.Context(), `SELECT count(*) FROM `+p.st.t("users")+` WHERE `+cond, args...).Scan(&total); err != nil {
		return 0, nil, err
	}
	args = append(args, per, page*per)
	rows, err := p.st.pool.Query(r.Context(), `SELECT `+userCols+` FROM `+p.st.t("users")+` WHERE `+cond+
		` ORDER BY created_at, user_id LIMIT $`+strconv.Itoa(len(args)-1)+` OFFSET $`+strconv.Itoa(len(args)), args...)
	if err != nil {
		return 0, nil, err
	}
	defer rows.Close()
	users := []*User{}
	for rows.Next() {
		u, err := scanUser(rows)
		if err != nil {
			return 0, nil, err
		}
		users = append(users, u)
	}
	if q.Get("include_totals") == "true" {
		return http.StatusOK, map[string]any{"start": page * per, "limit": per, "length": len(users), "total": total, "users": users}, rows.Err()
	}
	return http.StatusOK, users, rows.Err()
}

func (p *IdP) usersByEmail(r *http.Request) (int, any, error) {
	u, err := p.st.userByLogin(r.Context(), r.URL.Query().Get("email"))
	if errors.Is(err, errNotFound) || (err == nil && (u.Email == nil || !strings.EqualFold(*u.Email, r.URL.Query().Get("email")))) {
		return http.StatusOK, []*User{}, nil
	}
	if err != nil {
		return 0, nil, err
	}
	return http.StatusOK, []*User{u}, nil
}

func (p *IdP) listUserRoles(r *http.Request) (int, any, error) {
	return p.queryRoles(r.Context(), `SELECT r.id, r.name, r.description FROM `+p.st.t("user_roles")+` ur JOIN `+p.st.t("roles")+
		` r ON r.id = ur.role_id WHERE ur.user_id = $1 ORDER BY r.name`, r.PathValue("id"))
}

func (p *IdP) queryRoles(ctx context.Context, q string, args ...any) (int, any, error) {
	rows, err := p.st.pool.Query(ctx, q, args...)
	if err != nil {
		return 0, nil, err
	}
	out, err := pgx.CollectRows(rows, func(row pgx.CollectableRow) (Role, error) {
		var ro Role
		return ro, row.Scan(&ro.ID, &ro.Name, &ro.Description)
	})
	if out == nil {
		out = []Role{}
	}
	return http.StatusOK, out, err
}

func (p *IdP) addUserRoles(r *http.Request) (int, any, error) {
	var b struct {
		Roles []string `json:"roles"`
	}
	if err := decode(r, &b); err != nil {
		return 0, nil, err
	}
	for _, id := range b.Roles {
		if err := p.assignRole(r.Context(), r.PathValue("id"), id); err != nil {
			return 0, nil, err
		}
	}
	return http.StatusNoContent, nil, nil
}

// assignRole gives a user a role (which it may have already), with Auth0's
// 404 when either does not exist.
func (p *IdP) assignRole(ctx context.Context, userID, roleID string) error {
	_, err := p.st.pool.Exec(ctx, `INSERT INTO `+p.st.t("user_roles")+` (user_id, role_id) VALUES ($1,$2) ON CONFLICT DO NOTHING`, userID, roleID)
	if err != nil && strings.Contains(err.Error(), "23503") {
		return merr(http.StatusNotFound, "The user or role does not exist.", "inexistent_role")
	}
	return err
}

func (p *IdP) removeUserRoles(r *http.Request) (int, any, error) {
	var b struct {
		Roles []string `json:"roles"`
	}
	if err := decode(r, &b); err != nil {
		return 0, nil, err
	}
	_, err := p.st.pool.Exec(r.Context(), `DELETE FROM `+p.st.t("user_roles")+` WHERE user_id = $1 AND role_id = ANY($2)`, r.PathValue("id"), b.Roles)
	return http.StatusNoContent, nil, err
}

func (p *IdP) listRoles(r *http.Request) (int, any, error) {
	return p.queryRoles(r.Context(), `SELECT id, name, description FROM `+p.st.t("roles")+` WHERE ($1 = '' OR name ILIKE '%' || $1 || '%') ORDER BY name`,
		r.URL.Query().Get("name_filter"))
}

func (p *IdP) createRole(r *http.Request) (int, any, error) {
	var ro Role
	if err := decode(r, &ro); err != nil {
		return 0, nil, err
	}
	if ro.Name == "" {
		return 0, nil, merr(http.StatusBadRequest, "Payload validation error: 'Missing required property: name'.", "invalid_body")
	}
	ro.ID = "rol_" + randomAlnum(16)
	_, err := p.st.pool.Exec(r.Context(), `INSERT INTO `+p.st.t("roles")+` (id, name, description) VALUES ($1,$2,$3)`, ro.ID, ro.Name, ro.Description)
	if err != nil && strings.Contains(err.Error(), "23505") {
		return 0, nil, merr(http.StatusConflict, "Role name already exists", "role_conflict")
	}
	return http.StatusOK, ro, err
}

func (p *IdP) getRole(r *http.Request) (int, any, error) {
	var ro Role
	err := p.st.pool.QueryRow(r.Context(), `SELECT id, name, description FROM `+p.st.t("roles")+` WHERE id = $1`, r.PathValue("id")).
		Scan(&ro.ID, &ro.Name, &ro.Description)
	if errors.Is(err, pgx.ErrNoRows) {
		return 0, nil, merr(http.StatusNotFound, "The role does not exist.", "inexistent_role")
	}
	return http.StatusOK, ro, err
}

func (p *IdP) patchRole(r *http.Request) (int, any, error) {
	var b struct {
		Name        *string `json:"name"`
		Description *string `json:"description"`
	}
	if err := decode(r, &b); err != nil {
		return 0, nil, err
	}
	var ro Role
	err := p.st.pool.QueryRow(r.Context(), `UPDATE `+p.st.t("roles")+` SET name = coalesce($2, name), description = coalesce($3, description)
 WHERE id = $1 RETURNING id, name, description`, r.PathValue("id"), b.Name, b.Description).Scan(&ro.ID, &ro.Name, &ro.Description)
	if errors.Is(err, pgx.ErrNoRows) {
		return 0, nil, merr(http.StatusNotFound, "The role does not exist.", "inexistent_role")
	}
	return http.StatusOK, ro, err
}

func (p *IdP) deleteRole(r *http.Request) (int, any, error) {
	_, err := p.st.pool.Exec(r.Context(), `DELETE FROM `+p.st.t("roles")+` WHERE id = $1`, r.PathValue("id"))
	return http.StatusNoContent, nil, err
}

// permission is Auth0's role permission.
type permission struct {
	ResourceServerIdentifier string `json:"resource_server_identifier"`
	PermissionName           string `json:"permission_name"`
}

func (p *IdP) listRolePerms(r *http.Request) (int, any, error) {
	return p.queryPerms(r.Context(), `SELECT resource_server_identifier, permission_name FROM `+p.st.t("role_permissions")+
		` WHERE role_id = $1 ORDER BY 1, 2`, r.PathValue("id"))
}

// queryPerms answers with the permissions q selects as
// (resource_server_identifier, permission_name).
func (p *IdP) queryPerms(ctx context.Context, q string, args ...any) (int, any, error) {
	rows, err := p.st.pool.Query(ctx, q, args...)
	if err != nil {
		return 0, nil, err
	}
	out, err := pgx.CollectRows(rows, func(row pgx.CollectableRow) (permission, error) {
		var x permission
		return x, row.Scan(&x.ResourceServerIdentifier, &x.PermissionName)
	})
	if out == nil {
		out = []permission{}
	}
	return http.StatusOK, out, err
}

func (p *IdP) addRolePerms(r *http.Request) (int, any, error) {
	var b struct {
		Permissions []permission `json:"permissions"`
	}
	if err := decode(r, &b); err != nil {
		return 0, nil, err
	}
	for _, x := range b.Permissions {
		rs, err := p.st.resourceServer(r.Context(), x.ResourceServerIdentifier)
		if err != nil || !contains(scopeValues(rs), x.PermissionName) {
			return 0, nil, merr(http.StatusBadRequest, "Permission "+x.PermissionName+" is not defined on the API "+x.ResourceServerIdentifier, "invalid_body")
		}
		if _, err := p.st.pool.Exec(r.Context(), `INSERT INTO `+p.st.t("role_permissions")+` VALUES ($1,$2,$3) ON CONFLICT DO NOTHING`,
			r.PathValue("id"), rs.Identifier, x.PermissionName); err != nil {
			if strings.Contains(err.Error(), "23503") {
				return 0, nil, merr(http.StatusNotFound, "The role does not exist.", "inexistent_role")
			}
			return 0, nil, err
		}
	}
	return http.StatusCreated, map[string]any{}, nil
}

func (p *IdP) removeRolePerms(r *http.Request) (int, any, error) {
	var b struct {
		Permissions []permission `json:"permissions"`
	}
	if err := decode(r, &b); err != nil {
		return 0, nil, err
	}
	for _, x := range b.Permissions {
		if _, err := p.st.pool.Exec(r.Context(), `DELETE FROM `+p.st.t("role_permissions")+` WHERE role_id = $1 AND resource_server_identifier = $2 AND permission_name = $3`,
			r.PathValue("id"), x.ResourceServerIdentifier, x.PermissionName); err != nil {
			return 0, nil, err
		}
	}
	return http.StatusNoContent, nil, nil
}

// signingKeyView is Auth0's signing key listing.
type signingKeyView struct {
	KID          string     `json:"kid"`
	PEM          string     `json:"pem"`
	Current      bool       `json:"current"`
	Next         bool       `json:"next"`
	Previous     bool       `json:"previous"`
	Revoked      bool       `json:"revoked"`
	CurrentSince *time.Time `json:"current_since,omitempty"`
	CurrentUntil *time.Time `json:"current_until,omitempty"`
}

func (p *IdP) listKeys(r *http.Request) (int, any, error) {
	out, err := p.keyViews(r)
	return http.StatusOK, out, err
}

func (p *IdP) getKey(r *http.Request) (int, any, error) {
	keys, err := p.keyViews(r)
	if err != nil {
		return 0, nil, err
	}
	for _, k := range keys {
		if k.KID == r.PathValue("kid") {
			return http.StatusOK, k, nil
		}
	}
	return 0, nil, merr(http.StatusNotFound, "The key does not exist.", "inexistent_key")
}

// revokeKey withdraws a previous key at once (a leaked key): tokens it
// signed stop verifying.
func (p *IdP) revokeKey(r *http.Request) (int, any, error) {
	tag, err := p.st.pool.Exec(r.Context(), `UPDATE `+p.st.t("signing_keys")+` SET state = 'revoked', retire_at = $2 WHERE kid = $1 AND state = 'previous'`,
		r.PathValue("kid"), p.cfg.Now())
	if err != nil {
		return 0, nil, err
	}
	if tag.RowsAffected() == 0 {
		return 0, nil, merr(http.StatusBadRequest, "Only a previous key can be revoked; rotate the current key first.", "invalid_key_state")
	}
	p.keys.invalidate()
	return http.StatusOK, map[string]any{"kid": r.PathValue("kid"), "revoked": true, "revoked_at": p.cfg.Now().UTC()}, nil
}

func (p *IdP) keyViews(r *http.Request) ([]signingKeyView, error) {
	p.keys.invalidate()
	keys, err := p.keys.all(r.Context())
	if err != nil {
		return nil, err
	}
	out := make([]signingKeyView, 0, len(keys))
	for _, k := range keys {
		der, _ := x509.MarshalPKIXPublicKey(&k.priv.PublicKey)
		v := signingKeyView{KID: k.KID, PEM: string(pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: der})),
			Current: k.State == keyCurrent, Next: k.State == keyNext, Previous: k.State == keyPrevious}
		if k.State == keyCurrent || k.State == keyPrevious {
			v.CurrentSince = k.RotatedAt
			if v.CurrentSince == nil {
				v.CurrentSince = &k.CreatedAt
			}
		}
		if k.State == keyPrevious {
			v.CurrentUntil = k.RotatedAt
		}
		out = append(out, v)
	}
	return out, nil
}

func (p *IdP) rotateKeys(r *http.Request) (int, any, error) {
	if err := p.RotateSigningKey(r.Context()); err != nil {
		return 0, nil, err
	}
	k, err := p.keys.current(r.Context())
	if err != nil {
		return 0, nil, err
	}
	return http.StatusCreated, map[string]string{"kid": k.KID}, nil
}

// checkAdminSecret compares s with the configured secrets in constant time.
func checkAdminSecret(secrets []string) func(string) bool {
	return func(s string) bool {
		ok := false
		for _, x := range secrets {
			if x != "" && subtle.ConstantTimeCompare([]byte(x), []byte(s)) == 1 {
				ok = true
			}
		}
		return ok
	}
}

// AdminSecretChecker returns a Config.AdminSecret for the given secrets.
func AdminSecretChecker(secrets ...string) func(string) bool { return checkAdminSecret(secrets) }

func (p *IdP) listRoleUsers(r *http.Request) (int, any, error) {
	rows, err := p.st.pool.Query(r.Context(), `SELECT u.user_id, coalesce(u.email, ''), u.name, u.picture FROM `+p.st.t("user_roles")+
		` ur JOIN `+p.st.t("users")+` u ON u.user_id = ur.user_id WHERE ur.role_id = $1 ORDER BY u.created_at`, r.PathValue("id"))
	if err != nil {
		return 0, nil, err
	}
	type roleUser struct {
		UserID  string `json:"user_id"`
		Email   string `json:"email"`
		Name    string `json:"name"`
		Picture string `json:"picture"`
	}
	out, err := pgx.CollectRows(rows, func(row pgx.CollectableRow) (roleUser, error) {
		var x roleUser
		return x, row.Scan(&x.UserID, &x.Email, &x.Name, &x.Picture)
	})
	if out == nil {
		out = []roleUser{}
	}
	return http.StatusOK, out, err
}

func (p *IdP) addRoleUsers(r *http.Request) (int, any, error) {
	var b struct {
		Users []string `json:"users"`
	}
	if err := decode(r, &b); err != nil {
		return 0, nil, err
	}
	for _, uid := range b.Users {
		if err := p.assignRole(r.Context(), uid, r.PathValue("id")); err != nil {
			return 0, nil, err
		}
	}
	return http.StatusOK, map[string]any{}, nil
}

func (p *IdP) listUserPerms(r *http.Request) (int, any, error) {
	return p.queryPerms(r.Context(), `SELECT DISTINCT rp.resource_server_identifier, rp.permission_name FROM `+p.st.t("user_roles")+
		` ur JOIN `+p.st.t("role_permissions")+` rp ON rp.role_id = ur.role_id WHERE ur.user_id = $1 ORDER BY 1, 2`, r.PathValue("id"))
}
