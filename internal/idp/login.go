package idp

import (
	"context"
	"crypto/subtle"
	_ "embed"
	"errors"
	"html/template"
	"net/http"
	"net/url"
	"strings"
	"time"
)

//go:embed pages.html
var pagesHTML string

var pages = template.Must(template.New("pages").Parse(pagesHTML))

// page is what the templates render.
type page struct {
	Page, Title, AppName, LogoURI string
	Error, Notice                 string
	Action, CSRF, State, Login    string
	SignupURL, ResetURL, LoginURL string
	Token, UserCode               string
	SignedIn, Done                bool
}

const (
	sessionCookie = "postgate_auth_session"
	csrfCookie    = "postgate_auth_csrf"
)

func (p *IdP) secureCookies() bool {
	return p.cfg.CookieSecure || strings.HasPrefix(p.cfg.Issuer, "https://")
}

func (p *IdP) setCookie(w http.ResponseWriter, name, value string, maxAge int) {
	http.SetCookie(w, &http.Cookie{Name: name, Value: value, Path: p.cookiePath, HttpOnly: true, Secure: p.secureCookies(),
		SameSite: http.SameSiteLaxMode, MaxAge: maxAge})
}

// csrfToken returns the double-submit token, setting its cookie if needed.
func (p *IdP) csrfToken(w http.ResponseWriter, r *http.Request) string {
	if c, err := r.Cookie(csrfCookie); err == nil && len(c.Value) >= 20 {
		return c.Value
	}
	v := randomID(24)
	p.setCookie(w, csrfCookie, v, 0)
	return v
}

// checkCSRF compares the form's token with the cookie's.
func (p *IdP) checkCSRF(r *http.Request) bool {
	c, err := r.Cookie(csrfCookie)
	if err != nil || c.Value == "" {
		return false
	}
	return subtle.ConstantTimeCompare([]byte(c.Value), []byte(r.PostFormValue("csrf_token"))) == 1
}

// csrfChecked reports whether a posted form carries its CSRF token; when
// it does not, it renders pg again with an error.
func (p *IdP) csrfChecked(w http.ResponseWriter, r *http.Request, pg page) bool {
	if p.checkCSRF(r) {
		return true
	}
	pg.Error = "Your session expired or the form was sent from another site. Please try again."
	p.render(w, r, http.StatusForbidden, pg)
	return false
}

// formPosted does what a form page does first: on GET it renders pg, on
// a method other than POST it answers 405, and on a POST it checks the
// CSRF token (csrfChecked). It reports whether to go on with the POST.
func (p *IdP) formPosted(w http.ResponseWriter, r *http.Request, pg page) bool {
	if r.Method == http.MethodGet {
		p.render(w, r, http.StatusOK, pg)
		return false
	}
	if r.Method != http.MethodPost {
		http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
		return false
	}
	return p.csrfChecked(w, r, pg)
}

func (p *IdP) render(w http.ResponseWriter, r *http.Request, status int, pg page) {
	pg.CSRF = p.csrfToken(w, r)
	if pg.LogoURI == "" && pg.AppName == "" {
		if ts, err := p.st.tenant(r.Context()); err == nil {
			pg.LogoURI = ts.PictureURL
		}
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	w.Header().Set("Content-Security-Policy", "default-src 'none'; style-src 'unsafe-inline'; img-src https: data:; frame-ancestors 'none'")
	w.WriteHeader(status)
	if err := pages.ExecuteTemplate(w, "layout", pg); err != nil {
		p.cfg.Logger.Error("rendering page", "type", "auth", "error", err.Error())
	}
}

func (p *IdP) message(w http.ResponseWriter, r *http.Request, status int, title, msg string) {
	pg := page{Page: "message", Title: title}
	if status >= 400 {
		pg.Error = msg
	} else {
		pg.Notice = msg
	}
	p.render(w, r, status, pg)
}

// session is the signed-in user of the SSO cookie, if any.
func (p *IdP) session(r *http.Request) (sid string, u *User, authTime time.Time) {
	c, err := r.Cookie(sessionCookie)
	if err != nil || c.Value == "" {
		return "", nil, time.Time{}
	}
	var uid string
	err = p.st.pool.QueryRow(r.Context(), `SELECT user_id, created_at FROM `+p.st.t("sessions")+
		` WHERE id = $1 AND NOT revoked AND expires_at > $2`, hashToken(c.Value), p.cfg.Now()).Scan(&uid, &authTime)
	if err != nil {
		return "", nil, time.Time{}
	}
	u, err = p.st.user(r.Context(), uid)
	if err != nil || u.Blocked {
		return "", nil, time.Time{}
	}
	return hashToken(c.Value)[:24], u, authTime
}

// startSession creates a session for u and sets the cookie; it returns the
// session id used in tokens (sid).
func (p *IdP) startSession(ctx context.Context, w http.ResponseWriter, u *User) (string, time.Time, error) {
	tok := randomID(32)
	now := p.cfg.Now()
	_, err := p.st.pool.Exec(ctx, `INSERT INTO `+p.st.t("sessions")+` (id, user_id, created_at, expires_at) VALUES ($1,$2,$3,$4)`,
		hashToken(tok), u.UserID, now, now.Add(p.cfg.SessionTTL))
	if err != nil {
		return "", now, err
	}
	p.setCookie(w, sessionCookie, tok, int(p.cfg.SessionTTL.Seconds()))
	return hashToken(tok)[:24], now, nil
}

// endSession revokes the cookie's session and clears the cookie.
func (p *IdP) endSession(w http.ResponseWriter, r *http.Request) {
	if c, err := r.Cookie(sessionCookie); err == nil && c.Value != "" {
		_, _ = p.st.pool.Exec(r.Context(), `UPDATE `+p.st.t("sessions")+` SET revoked = true WHERE id = $1`, hashToken(c.Value))
	}
	p.setCookie(w, sessionCookie, "", -1)
}

// loginPage fills the common fields of the login page of ar's client.
func (p *IdP) loginPage(c *Client, state string) page {
	pg := page{Page: "login", Title: "Log in", Action: p.cfg.Issuer + "login", State: state,
		ResetURL: p.cfg.Issuer + "reset"}
	if c != nil {
		pg.AppName, pg.LogoURI = c.Name, c.LogoURI
	}
	if p.cfg.AllowSignup {
		pg.SignupURL = p.cfg.Issuer + "signup?state=" + url.QueryEscape(state)
	}
	return pg
}

// redirectError sends an OAuth error to the application's (validated)
// redirect URI.
func (p *IdP) redirectError(w http.ResponseWriter, r *http.Request, ar *authRequest, code, desc string) {
	if ar.ResponseMode == "web_message" {
		p.webMessage(w, ar, map[string]string{"error": code, "error_description": desc})
		return
	}
	u, err := url.Parse(ar.RedirectURI)
	if err != nil {
		http.Error(w, desc, http.StatusBadRequest)
		return
	}
	q := u.Query()
	q.Set("error", code)
	q.Set("error_description", desc)
	if ar.State != "" {
		q.Set("state", ar.State)
	}
	u.RawQuery = q.Encode()
	http.Redirect(w, r, u.String(), http.StatusFound)
}

// login is the login page (GET) and form (POST) of an authorize request.
func (p *IdP) login(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodGet && r.Method != http.MethodPost {
		w.Header().Set("Allow", "GET, POST")
		http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
		return
	}
	state := r.FormValue("state")
	ar, err := p.authRequest(r.Context(), state)
	if err != nil {
		p.message(w, r, http.StatusBadRequest, "Log in", "This login link is invalid or has expired. Go back to the application and try again.")
		return
	}
	c, err := p.st.client(r.Context(), ar.ClientID)
	if err != nil {
		p.message(w, r, http.StatusBadRequest, "Log in", "The application no longer exists.")
		return
	}
	if ar.IsDone {
		p.message(w, r, http.StatusBadRequest, "Log in", "This login was already completed. Go back to the application and try again.")
		return
	}
	pg := p.loginPage(c, state)
	if r.Method == http.MethodGet {
		sid, u, authTime := p.session(r)
		fresh := ar.MaxAge == nil || p.cfg.Now().Sub(authTime) <= time.Duration(*ar.MaxAge)*time.Second
		if u != nil && ar.HintSubject != "" && ar.HintSubject != u.UserID {
			u = nil // the application expects another user
		}
		if u != nil && !contains(ar.Prompt, "login") && fresh {
			p.complete(w, r, ar, c, u, sid, authTime)
			return
		}
		if contains(ar.Prompt, "none") {
			p.redirectError(w, r, ar, "login_required", "Login required")
			return
		}
		if ar.Query["screen_hint"] == "signup" && p.cfg.AllowSignup {
			http.Redirect(w, r, pg.SignupURL, http.StatusFound)
			return
		}
		pg.Login = ar.LoginHint
		p.render(w, r, http.StatusOK, pg)
		return
	}
	if !p.csrfChecked(w, r, pg) {
		return
	}
	pg.Login = r.PostFormValue("username")
	u, err := p.checkCredentials(r.Context(), clientIP(r), r.PostFormValue("username"), r.PostFormValue("password"))
	if err != nil {
		var oe *oauthError
		if !errors.As(err, &oe) {
			p.writeOAuthError(w, err)
			return
		}
		pg.Error = oe.Description
		status := http.StatusUnauthorized
		if oe.Code == "too_many_attempts" {
			status = http.StatusTooManyRequests
		}
		p.render(w, r, status, pg)
		return
	}
	sid, authTime, err := p.startSession(r.Context(), w, u)
	if err != nil {
		p.writeOAuthError(w, err)
		return
	}
	p.complete(w, r, ar, c, u, sid, authTime)
}

// complete runs the post-login Actions for a signed-in user and hands the
// authorize request back to the provider, which redirects with the code.
func (p *IdP) complete(w http.ResponseWriter, r *http.Request, ar *authRequest, c *Client, u *User, sid string, authTime time.Time) {
	res, err := p.runPostLoginFor(r.Context(), r, u, c, ar.Audience, ar.Scopes, "oidc-basic-profile", sid, ar)
	if err != nil {
		var oe *oauthError
		if errors.As(err, &oe) {
			p.redirectError(w, r, ar, oe.Code, oe.Description)
			return
		}
		p.writeOAuthError(w, err)
		return
	}
	ar.UserID, ar.SessionID, ar.AuthTime, ar.IsDone, ar.Claims = u.UserID, sid, authTime, true, res
	if err := p.saveAuthRequest(r.Context(), ar, false); err != nil {
		p.writeOAuthError(w, err)
		return
	}
	if ar.ResponseMode == "web_message" {
		code, err := p.issueCode(r, ar)
		if err != nil {
			p.writeOAuthError(w, err)
			return
		}
		p.webMessage(w, ar, map[string]string{"code": code})
		return
	}
	http.Redirect(w, r, p.cfg.Issuer+"authorize/callback?id="+url.QueryEscape(ar.ID), http.StatusFound)
}
