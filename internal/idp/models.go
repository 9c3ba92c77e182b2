package idp

import (
	"context"
	"encoding/json"
	"errors"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
)

// errNotFound is returned when a row does not exist.
var errNotFound = errors.New("not found")

// Client is an application, with Auth0's Management API field names.
type Client struct {
	ClientID                string            `json:"client_id"`
	Name                    string            `json:"name"`
	Description             string            `json:"description"`
	AppType                 string            `json:"app_type"`
	ClientSecret            string            `json:"client_secret,omitempty"` // only when created or rotated
	Callbacks               []string          `json:"callbacks"`
	AllowedLogoutURLs       []string          `json:"allowed_logout_urls"`
	WebOrigins              []string          `json:"web_origins"`
	AllowedOrigins          []string          `json:"allowed_origins"`
	GrantTypes              []string          `json:"grant_types"`
	TokenEndpointAuthMethod string            `json:"token_endpoint_auth_method"`
	LogoURI                 string            `json:"logo_uri,omitempty"`
	ClientMetadata          map[string]string `json:"client_metadata"`
	IsFirstParty            bool              `json:"is_first_party"`
	OIDCConformant          bool              `json:"oidc_conformant"`

	secretHash string
}

// public reports whether the client has no secret (SPA, native).
func (c *Client) public() bool { return c.TokenEndpointAuthMethod == "none" }

// ResourceServer is an API: its identifier is the access token audience.
type ResourceServer struct {
	ID                  string  `json:"id"`
	Identifier          string  `json:"identifier"`
	Name                string  `json:"name"`
	SigningAlg          string  `json:"signing_alg"`
	TokenLifetime       int     `json:"token_lifetime"`
	TokenLifetimeForWeb int     `json:"token_lifetime_for_web"`
	AllowOfflineAccess  bool    `json:"allow_offline_access"`
	EnforcePolicies     bool    `json:"enforce_policies"`
	TokenDialect        string  `json:"token_dialect"`
	Scopes              []Scope `json:"scopes"`
	IsSystem            bool    `json:"is_system,omitempty"`
}

// Scope is one permission an API defines.
type Scope struct {
	Value       string `json:"value"`
	Description string `json:"description"`
}

// ClientGrant lets an application get client-credentials tokens for an API.
type ClientGrant struct {
	ID       string   `json:"id"`
	ClientID string   `json:"client_id"`
	Audience string   `json:"audience"`
	Scope    []string `json:"scope"`
}

// User is a database-connection user.
type User struct {
	UserID        string         `json:"user_id"`
	Email         *string        `json:"email,omitempty"`
	Username      *string        `json:"username,omitempty"`
	EmailVerified bool           `json:"email_verified"`
	Name          string         `json:"name,omitempty"`
	Nickname      string         `json:"nickname,omitempty"`
	GivenName     string         `json:"given_name,omitempty"`
	FamilyName    string         `json:"family_name,omitempty"`
	Picture       string         `json:"picture,omitempty"`
	Blocked       bool           `json:"blocked"`
	AppMetadata   map[string]any `json:"app_metadata"`
	UserMetadata  map[string]any `json:"user_metadata"`
	LoginsCount   int            `json:"logins_count"`
	LastLogin     *time.Time     `json:"last_login,omitempty"`
	LastIP        string         `json:"last_ip,omitempty"`
	CreatedAt     time.Time      `json:"created_at"`
	UpdatedAt     time.Time      `json:"updated_at"`
	Identities    []Identity     `json:"identities"`

	passwordHash string
}

// Role is an RBAC role.
type Role struct {
	ID          string `json:"id"`
	Name        string `json:"name"`
	Description string `json:"description"`
}

const connectionName = "Username-Password-Authentication"

const clientCols = `client_id, name, description, app_type, secret_hash, callbacks, allowed_logout_urls, web_origins,
 allowed_origins, grant_types, token_endpoint_auth_method, logo_uri, client_metadata`

func scanClient(row pgx.Row) (*Client, error) {
	var c Client
	var md []byte
	err := row.Scan(&c.ClientID, &c.Name, &c.Description, &c.AppType, &c.secretHash, &c.Callbacks, &c.AllowedLogoutURLs,
		&c.WebOrigins, &c.AllowedOrigins, &c.GrantTypes, &c.TokenEndpointAuthMethod, &c.LogoURI, &md)
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, errNotFound
	}
	if err != nil {
		return nil, err
	}
	_ = json.Unmarshal(md, &c.ClientMetadata)
	if c.ClientMetadata == nil {
		c.ClientMetadata = map[string]string{}
	}
	c.IsFirstParty, c.OIDCConformant = true, true
	return &c, nil
}

func (s *store) client(ctx context.Context, id string) (*Client, error) {
	return scanClient(s.pool.QueryRow(ctx, `SELECT `+clientCols+` FROM `+s.t("clients")+` WHERE client_id = $1`, id))
}

func (s *store) clients(ctx context.Context) ([]*Client, error) {
	rows, err := s.pool.Query(ctx, `SELECT `+clientCols+` FROM `+s.t("clients")+` ORDER BY created_at, client_id`)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []*Client
	for rows.Next() {
		c, err := scanClient(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, c)
	}
	return out, rows.Err()
}

func (s *store) saveClient(ctx context.Context, c *Client, insert bool) error {
	md, _ := json.Marshal(c.ClientMetadata)
	q := `INSERT INTO ` + s.t("clients") + ` (` + clientCols + `) VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9,$10,$11,$12,$13)`
	if !insert {
		q = `UPDATE ` + s.t("clients") + ` SET name=$2, description=$3, app_type=$4, secret_hash=$5, callbacks=$6,
 allowed_logout_urls=$7, web_origins=$8, allowed_origins=$9, grant_types=$10, token_endpoint_auth_method=$11, logo_uri=$12,
 client_metadata=$13 WHERE client_id=$1`
	}
	_, err := s.pool.Exec(ctx, q, c.ClientID, c.Name, c.Description, c.AppType, c.secretHash, c.Callbacks, c.AllowedLogoutURLs, c.WebOrigins,
		c.AllowedOrigins, c.GrantTypes, c.TokenEndpointAuthMethod, c.LogoURI, md)
	return err
}

const rsCols = `id, identifier, name, signing_alg, token_lifetime, token_lifetime_for_web, allow_offline_access,
 enforce_policies, token_dialect, scopes`

func scanRS(row pgx.Row) (*ResourceServer, error) {
	var r ResourceServer
	var scopes []byte
	err := row.Scan(&r.ID, &r.Identifier, &r.Name, &r.SigningAlg, &r.TokenLifetime, &r.TokenLifetimeForWeb,
		&r.AllowOfflineAccess, &r.EnforcePolicies, &r.TokenDialect, &scopes)
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, errNotFound
	}
	if err != nil {
		return nil, err
	}
	_ = json.Unmarshal(scopes, &r.Scopes)
	if r.Scopes == nil {
		r.Scopes = []Scope{}
	}
	return &r, nil
}

// resourceServer finds an API by id or identifier.
func (s *store) resourceServer(ctx context.Context, idOrIdentifier string) (*ResourceServer, error) {
	return scanRS(s.pool.QueryRow(ctx, `SELECT `+rsCols+` FROM `+s.t("resource_servers")+` WHERE id = $1 OR identifier = $1`, idOrIdentifier))
}

func (s *store) resourceServers(ctx context.Context) ([]*ResourceServer, error) {
	rows, err := s.pool.Query(ctx, `SELECT `+rsCols+` FROM `+s.t("resource_servers")+` ORDER BY created_at, id`)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []*ResourceServer
	for rows.Next() {
		r, err := scanRS(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, r)
	}
	return out, rows.Err()
}

func (s *store) saveRS(ctx context.Context, r *ResourceServer, insert bool) error {
	scopes, _ := json.Marshal(r.Scopes)
	q := `INSERT INTO ` + s.t("resource_servers") + ` (` + rsCols + `) VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9,$10)`
	if !insert {
		q = `UPDATE ` + s.t("resource_servers") + ` SET identifier=$2, name=$3, signing_alg=$4, token_lifetime=$5,
 token_lifetime_for_web=$6, allow_offline_access=$7, enforce_policies=$8, token_dialect=$9, scopes=$10 WHERE id=$1`
	}
	_, err := s.pool.Exec(ctx, q, r.ID, r.Identifier, r.Name, r.SigningAlg, r.TokenLifetime, r.TokenLifetimeForWeb,
		r.AllowOfflineAccess, r.EnforcePolicies, r.TokenDialect, scopes)
	return err
}

// maxTokenLifetime is the longest lifetime of any token the provider
// issues: how long a rotated-out key stays published.
func (s *store) maxTokenLifetime(ctx context.Context, idTTL time.Duration) time.Duration {
	var secs *int
	_ = s.pool.QueryRow(ctx, `SELECT max(greatest(token_lifetime, token_lifetime_for_web)) FROM `+s.t("resource_servers")).Scan(&secs)
	d := 86400 * time.Second
	if secs != nil && time.Duration(*secs)*time.Second > d {
		d = time.Duration(*secs) * time.Second
	}
	if idTTL > d {
		d = idTTL
	}
	return d
}

func (s *store) clientGrant(ctx context.Context, clientID, audience string) (*ClientGrant, error) {
	var g ClientGrant
	err := s.pool.QueryRow(ctx, `SELECT id, client_id, audience, scope FROM `+s.t("client_grants")+` WHERE client_id=$1 AND audience=$2`,
		clientID, audience).Scan(&g.ID, &g.ClientID, &g.Audience, &g.Scope)
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, errNotFound
	}
	return &g, err
}

const userCols = `user_id, email, username, password_hash, email_verified, name, nickname, given_name, family_name, picture,
 blocked, app_metadata, user_metadata, logins_count, last_login, last_ip, created_at, updated_at`

func scanUser(row pgx.Row) (*User, error) {
	var u User
	var am, um []byte
	err := row.Scan(&u.UserID, &u.Email, &u.Username, &u.passwordHash, &u.EmailVerified, &u.Name, &u.Nickname, &u.GivenName,
		&u.FamilyName, &u.Picture, &u.Blocked, &am, &um, &u.LoginsCount, &u.LastLogin, &u.LastIP, &u.CreatedAt, &u.UpdatedAt)
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, errNotFound
	}
	if err != nil {
		return nil, err
	}
	_ = json.Unmarshal(am, &u.AppMetadata)
	_ = json.Unmarshal(um, &u.UserMetadata)
	if u.AppMetadata == nil {
		u.AppMetadata = map[string]any{}
	}
	if u.UserMetadata == nil {
		u.UserMetadata = map[string]any{}
	}
	u.Identities = []Identity{{Connection: connectionName, Provider: "auth0", UserID: strings.TrimPrefix(u.UserID, "auth0|")}}
	return &u, nil
}

func (s *store) user(ctx context.Context, id string) (*User, error) {
	return scanUser(s.pool.QueryRow(ctx, `SELECT `+userCols+` FROM `+s.t("users")+` WHERE user_id = $1`, id))
}

// userByLogin finds a user by email or username (case-insensitive).
func (s *store) userByLogin(ctx context.Context, login string) (*User, error) {
	return scanUser(s.pool.QueryRow(ctx, `SELECT `+userCols+` FROM `+s.t("users")+
		` WHERE lower(email) = lower($1) OR lower(username) = lower($1) LIMIT 1`, login))
}

func (s *store) insertUser(ctx context.Context, u *User) error {
	am, _ := json.Marshal(u.AppMetadata)
	um, _ := json.Marshal(u.UserMetadata)
	_, err := s.pool.Exec(ctx, `INSERT INTO `+s.t("users")+` (user_id, email, username, password_hash, email_verified, name,
 nickname, given_name, family_name, picture, blocked, app_metadata, user_metadata) VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9,$10,$11,$12,$13)`,
		u.UserID, u.Email, u.Username, u.passwordHash, u.EmailVerified, u.Name, u.Nickname, u.GivenName, u.FamilyName,
		u.Picture, u.Blocked, am, um)
	return err
}

func (s *store) updateUser(ctx context.Context, u *User) error {
	am, _ := json.Marshal(u.AppMetadata)
	um, _ := json.Marshal(u.UserMetadata)
	_, err := s.pool.Exec(ctx, `UPDATE `+s.t("users")+` SET email=$2, username=$3, password_hash=$4, email_verified=$5, name=$6,
 nickname=$7, given_name=$8, family_name=$9, picture=$10, blocked=$11, app_metadata=$12, user_metadata=$13, updated_at=now()
 WHERE user_id=$1`,
		u.UserID, u.Email, u.Username, u.passwordHash, u.EmailVerified, u.Name, u.Nickname, u.GivenName, u.FamilyName,
		u.Picture, u.Blocked, am, um)
	return err
}

// mergeMetadata applies Auth0's metadata merge: top-level keys replace,
// null deletes.
func mergeMetadata(dst, patch map[string]any) map[string]any {
	if dst == nil {
		dst = map[string]any{}
	}
	for k, v := range patch {
		if v == nil {
			delete(dst, k)
		} else {
			dst[k] = v
		}
	}
	return dst
}

// applyMetadata merges Actions' metadata updates into the stored user.
func (s *store) applyMetadata(ctx context.Context, userID string, app, usr map[string]any) error {
	if len(app) == 0 && len(usr) == 0 {
		return nil
	}
	return pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		var am, um []byte
		if err := tx.QueryRow(ctx, `SELECT app_metadata, user_metadata FROM `+s.t("users")+` WHERE user_id=$1 FOR UPDATE`, userID).Scan(&am, &um); err != nil {
			return err
		}
		var a, u map[string]any
		_ = json.Unmarshal(am, &a)
		_ = json.Unmarshal(um, &u)
		am, _ = json.Marshal(mergeMetadata(a, app))
		um, _ = json.Marshal(mergeMetadata(u, usr))
		_, err := tx.Exec(ctx, `UPDATE `+s.t("users")+` SET app_metadata=$2, user_metadata=$3, updated_at=now() WHERE user_id=$1`, userID, am, um)
		return err
	})
}

// userRoles returns the names of a user's roles.
func (s *store) userRoles(ctx context.Context, userID string) ([]string, error) {
	rows, err := s.pool.Query(ctx, `SELECT r.name FROM `+s.t("user_roles")+` ur JOIN `+s.t("roles")+` r ON r.id = ur.role_id
 WHERE ur.user_id = $1 ORDER BY r.name`, userID)
	if err != nil {
		return nil, err
	}
	return pgx.CollectRows(rows, pgx.RowTo[string])
}

// userPermissions returns the permissions a user's roles grant on an API.
func (s *store) userPermissions(ctx context.Context, userID, audience string) ([]string, error) {
	rows, err := s.pool.Query(ctx, `SELECT DISTINCT rp.permission_name FROM `+s.t("user_roles")+` ur JOIN `+s.t("role_permissions")+
		` rp ON rp.role_id = ur.role_id WHERE ur.user_id = $1 AND rp.resource_server_identifier = $2 ORDER BY 1`, userID, audience)
	if err != nil {
		return nil, err
	}
	return pgx.CollectRows(rows, pgx.RowTo[string])
}

// recordLogin counts a successful login.
func (s *store) recordLogin(ctx context.Context, userID, ip string) {
	_, _ = s.pool.Exec(ctx, `UPDATE `+s.t("users")+` SET logins_count = logins_count + 1, last_login = now(), last_ip = $2 WHERE user_id = $1`, userID, ip)
}
