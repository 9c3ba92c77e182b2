package idp

import (
	"context"
	"net/http"
	"strings"

	"github.com/jackc/pgx/v5"
)

func eventClient(c *Client) EventClient {
	md := c.ClientMetadata
	if md == nil {
		md = map[string]string{}
	}
	return EventClient{ClientID: c.ClientID, Name: c.Name, Metadata: md}
}

func eventRequest(r *http.Request) EventRequest {
	q := map[string]string{}
	for k, v := range r.URL.Query() {
		if len(v) > 0 {
			q[k] = v[0]
		}
	}
	lang, _, _ := strings.Cut(r.Header.Get("Accept-Language"), ",")
	return EventRequest{IP: clientIP(r), Hostname: r.Host, Method: r.Method, Query: q, Body: map[string]string{},
		UserAgent: r.UserAgent(), Language: lang}
}

func eventUser(u *User) EventUser {
	eu := EventUser{UserID: u.UserID, EmailVerified: u.EmailVerified, Name: u.Name, Nickname: u.Nickname,
		GivenName: u.GivenName, FamilyName: u.FamilyName, Picture: u.Picture, CreatedAt: u.CreatedAt, UpdatedAt: u.UpdatedAt,
		LastLogin: u.LastLogin, AppMetadata: u.AppMetadata, UserMetadata: u.UserMetadata, Identities: u.Identities}
	if u.Email != nil {
		eu.Email = *u.Email
	}
	if u.Username != nil {
		eu.Username = *u.Username
	}
	return eu
}

var eventConnection = EventConnection{ID: "con_postgate_database", Name: connectionName, Strategy: "auth0"}

// runPostLogin runs the post-login Actions (when bound), persists their
// metadata updates and turns a denial into access_denied. The result is
// nil without Actions.
func (p *IdP) runPostLogin(ctx context.Context, r *http.Request, u *User, c *Client, audience string, scopes []string,
	protocol, sessionID string) (*PostLoginResult, error) {
	return p.runPostLoginFor(ctx, r, u, c, audience, scopes, protocol, sessionID, nil)
}

// runPostLoginFor is runPostLogin for an /authorize request: the event
// carries its query and transaction details.
func (p *IdP) runPostLoginFor(ctx context.Context, r *http.Request, u *User, c *Client, audience string, scopes []string,
	protocol, sessionID string, ar *authRequest) (*PostLoginResult, error) {
	h := p.cfg.Hooks.PostLogin
	if h == nil {
		return nil, nil
	}
	roles, err := p.st.userRoles(ctx, u.UserID)
	if err != nil {
		return nil, err
	}
	if roles == nil {
		roles = []string{}
	}
	ev := PostLoginEvent{
		User:           eventUser(u),
		Authorization:  EventAuthorization{Roles: roles},
		Authentication: EventAuthentication{Methods: []AuthenticationMethod{{Name: "pwd", Timestamp: p.cfg.Now()}}},
		Client:         eventClient(c),
		Connection:     eventConnection,
		Request:        eventRequest(r),
		Transaction:    EventTransaction{ID: randomID(12), Protocol: protocol, RequestedScopes: scopes, Locale: "en"},
		Stats:          EventStats{LoginsCount: u.LoginsCount},
		Tenant:         EventTenant{ID: "postgate"},
	}
	if ar != nil {
		if ar.Query != nil {
			ev.Request.Query = ar.Query
		}
		ev.Transaction.RedirectURI, ev.Transaction.State, ev.Transaction.Prompt, ev.Transaction.LoginHint =
			ar.RedirectURI, ar.State, ar.Prompt, ar.LoginHint
		if l := ar.Query["ui_locales"]; l != "" {
			ev.Transaction.Locale = l
		}
	}
	if audience != "" {
		ev.ResourceServer = &EventResourceServer{Identifier: audience}
	}
	if sessionID != "" {
		ev.Session = &EventSession{ID: sessionID}
	}
	res, err := h.RunPostLogin(ctx, ev)
	if err != nil {
		return nil, err
	}
	if err := p.st.applyMetadata(ctx, u.UserID, res.AppMetadata, res.UserMetadata); err != nil && err != pgx.ErrNoRows {
		return nil, err
	}
	if res.Denied {
		return nil, oerr(http.StatusForbidden, "access_denied", res.DenyReason)
	}
	return &res, nil
}
