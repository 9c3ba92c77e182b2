package idp

import (
	"context"
	"time"
)

// PostLoginRunner runs the post-login Actions bound to the Login flow. The
// identity provider calls it after every successful authentication (login
// page, password grant, device flow) and on every refresh-token exchange,
// before any token is minted. A nil runner means no Actions are bound.
type PostLoginRunner interface {
	RunPostLogin(ctx context.Context, ev PostLoginEvent) (PostLoginResult, error)
}

// CredentialsExchangeRunner runs the credentials-exchange Actions (the
// client_credentials grant of machine-to-machine applications).
type CredentialsExchangeRunner interface {
	RunCredentialsExchange(ctx context.Context, ev CredentialsExchangeEvent) (CredentialsExchangeResult, error)
}

// PreUserRegistrationRunner runs the pre-user-registration Actions before a
// sign-up (page or management API) creates a user.
type PreUserRegistrationRunner interface {
	RunPreUserRegistration(ctx context.Context, ev RegistrationEvent) (PreRegistrationResult, error)
}

// PostUserRegistrationRunner runs the post-user-registration Actions after
// a user was created. Its outcome never undoes the registration.
type PostUserRegistrationRunner interface {
	RunPostUserRegistration(ctx context.Context, ev RegistrationEvent) error
}

// Hooks bundles the Actions runners the identity provider calls. Any field
// may be nil: that trigger has no Actions.
type Hooks struct {
	PostLogin            PostLoginRunner
	CredentialsExchange  CredentialsExchangeRunner
	PreUserRegistration  PreUserRegistrationRunner
	PostUserRegistration PostUserRegistrationRunner
}

// EventUser is Auth0's event.user.
type EventUser struct {
	UserID        string         `json:"user_id"`
	Email         string         `json:"email,omitempty"`
	EmailVerified bool           `json:"email_verified"`
	Username      string         `json:"username,omitempty"`
	Name          string         `json:"name,omitempty"`
	Nickname      string         `json:"nickname,omitempty"`
	GivenName     string         `json:"given_name,omitempty"`
	FamilyName    string         `json:"family_name,omitempty"`
	Picture       string         `json:"picture,omitempty"`
	PhoneNumber   string         `json:"phone_number,omitempty"`
	CreatedAt     time.Time      `json:"created_at"`
	UpdatedAt     time.Time      `json:"updated_at"`
	LastLogin     *time.Time     `json:"last_login,omitempty"`
	AppMetadata   map[string]any `json:"app_metadata"`
	UserMetadata  map[string]any `json:"user_metadata"`
	Identities    []Identity     `json:"identities"`
}

// Identity is one entry of event.user.identities.
type Identity struct {
	Connection string `json:"connection"`
	Provider   string `json:"provider"`
	UserID     string `json:"user_id"`
	IsSocial   bool   `json:"isSocial"`
}

// EventClient is Auth0's event.client.
type EventClient struct {
	ClientID string            `json:"client_id"`
	Name     string            `json:"name"`
	Metadata map[string]string `json:"metadata"`
}

// EventConnection is Auth0's event.connection.
type EventConnection struct {
	ID       string `json:"id"`
	Name     string `json:"name"`
	Strategy string `json:"strategy"`
}

// EventRequest is Auth0's event.request.
type EventRequest struct {
	IP        string            `json:"ip"`
	Hostname  string            `json:"hostname"`
	Method    string            `json:"method"`
	Query     map[string]string `json:"query"`
	Body      map[string]string `json:"body"`
	UserAgent string            `json:"user_agent"`
	Language  string            `json:"language,omitempty"`
}

// EventResourceServer is Auth0's event.resource_server (the API named by
// the audience).
type EventResourceServer struct {
	Identifier string `json:"identifier"`
}

// EventTransaction is Auth0's event.transaction.
type EventTransaction struct {
	ID              string   `json:"id"`
	Protocol        string   `json:"protocol"` // oidc-basic-profile, oauth2-resource-owner, oauth2-refresh-token, oauth2-device-code, oauth2-client-credentials
	RequestedScopes []string `json:"requested_scopes"`
	Prompt          []string `json:"prompt,omitempty"`
	Locale          string   `json:"locale"`
	LoginHint       string   `json:"login_hint,omitempty"`
	RedirectURI     string   `json:"redirect_uri,omitempty"`
	State           string   `json:"state,omitempty"`
}

// EventAuthorization is Auth0's event.authorization.
type EventAuthorization struct {
	Roles []string `json:"roles"`
}

// EventStats is Auth0's event.stats.
type EventStats struct {
	LoginsCount int `json:"logins_count"`
}

// EventSession is Auth0's event.session.
type EventSession struct {
	ID              string    `json:"id"`
	AuthenticatedAt time.Time `json:"authenticated_at"`
}

// EventTenant is Auth0's event.tenant.
type EventTenant struct {
	ID string `json:"id"`
}

// AuthenticationMethod is one entry of event.authentication.methods.
type AuthenticationMethod struct {
	Name      string    `json:"name"` // "pwd"
	Timestamp time.Time `json:"timestamp"`
}

// EventAuthentication is Auth0's event.authentication.
type EventAuthentication struct {
	Methods []AuthenticationMethod `json:"methods"`
}

// PostLoginEvent is the event a post-login Action receives.
type PostLoginEvent struct {
	User           EventUser            `json:"user"`
	Authorization  EventAuthorization   `json:"authorization"`
	Authentication EventAuthentication  `json:"authentication"`
	Client         EventClient          `json:"client"`
	Connection     EventConnection      `json:"connection"`
	Request        EventRequest         `json:"request"`
	ResourceServer *EventResourceServer `json:"resource_server,omitempty"`
	Transaction    EventTransaction     `json:"transaction"`
	Session        *EventSession        `json:"session,omitempty"`
	Stats          EventStats           `json:"stats"`
	Tenant         EventTenant          `json:"tenant"`
}

// PostLoginResult is what the post-login Actions asked for. Metadata
// updates are applied even when Denied is set (Auth0 does not roll them
// back); a nil value in AppMetadata/UserMetadata deletes that key.
type PostLoginResult struct {
	// Denied stops the login; DenyReason is sent to the application as
	// error_description of an access_denied error.
	Denied     bool
	DenyReason string
	// AccessTokenClaims and IDTokenClaims are custom claims to add (keys
	// normally namespaced URLs such as https://hasura.io/jwt/claims).
	AccessTokenClaims map[string]any
	IDTokenClaims     map[string]any
	// AddScopes and RemoveScopes change the access token's scope.
	AddScopes    []string
	RemoveScopes []string
	// AppMetadata and UserMetadata are merged into the user's metadata.
	AppMetadata  map[string]any
	UserMetadata map[string]any
}

// CredentialsExchangeEvent is the event a credentials-exchange Action
// receives.
type CredentialsExchangeEvent struct {
	Client         EventClient          `json:"client"`
	Request        EventRequest         `json:"request"`
	ResourceServer *EventResourceServer `json:"resource_server,omitempty"`
	Transaction    EventTransaction     `json:"transaction"`
	Tenant         EventTenant          `json:"tenant"`
	// AccessToken carries the scopes being granted.
	AccessToken struct {
		Scope []string `json:"scope"`
	} `json:"accessToken"`
}

// CredentialsExchangeResult is what the credentials-exchange Actions asked
// for. Denied answers access_denied with DenyReason.
type CredentialsExchangeResult struct {
	Denied            bool
	DenyReason        string
	AccessTokenClaims map[string]any
}

// RegistrationEvent is the event pre- and post-user-registration Actions
// receive.
type RegistrationEvent struct {
	User       EventUser       `json:"user"`
	Client     *EventClient    `json:"client,omitempty"`
	Connection EventConnection `json:"connection"`
	Request    EventRequest    `json:"request"`
	Tenant     EventTenant     `json:"tenant"`
}

// PreRegistrationResult is what pre-user-registration Actions asked for:
// a refusal (Denied, with DenyReason shown to the user) or metadata to set
// on the new user.
type PreRegistrationResult struct {
	Denied       bool
	DenyReason   string
	AppMetadata  map[string]any
	UserMetadata map[string]any
}
