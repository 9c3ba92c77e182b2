package idp

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/mail"
	"net/smtp"
	"net/url"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
)

// Brute-force protection messages, as Auth0 words them.
const (
	msgWrongCredentials = "Wrong email or password."
	msgAccountLocked    = "Your account has been blocked after multiple consecutive login attempts. Try again later or reset your password."
	msgIPLocked         = "We have detected suspicious login behavior and further attempts will be blocked. Try again later."
	msgBlocked          = "user is blocked"
)

// checkCredentials authenticates a database-connection user, with
// per-account and per-address throttling.
func (p *IdP) checkCredentials(ctx context.Context, ip, login, password string) (*User, error) {
	login = strings.TrimSpace(login)
	now := p.cfg.Now()
	acctKey, ipKey := "account:"+strings.ToLower(login), "ip:"+ip
	if p.locked(ctx, ipKey, now) {
		p.cfg.Logger.Warn("login refused: address locked after repeated failures", "type", "auth", "ip", ip)
		return nil, oerr(http.StatusTooManyRequests, "too_many_attempts", msgIPLocked)
	}
	if p.locked(ctx, acctKey, now) {
		p.cfg.Logger.Warn("login refused: account locked after repeated failures", "type", "auth", "ip", ip, "login", login)
		return nil, oerr(http.StatusTooManyRequests, "too_many_attempts", msgAccountLocked)
	}
	u, err := p.st.userByLogin(ctx, login)
	if err != nil && !errors.Is(err, errNotFound) {
		return nil, err
	}
	ok := false
	if u != nil && u.passwordHash != "" {
		ok = checkPassword(u.passwordHash, password)
	} else {
		// Same work for unknown users, so timing does not reveal accounts.
		checkPassword(p.dummyHash, password)
	}
	if !ok {
		p.fail(ctx, acctKey, p.cfg.Throttle.AccountFailures, p.cfg.Throttle.AccountLockout, p.cfg.Throttle.AccountLockout, now)
		p.fail(ctx, ipKey, p.cfg.Throttle.IPFailures, p.cfg.Throttle.IPWindow, p.cfg.Throttle.IPWindow, now)
		p.cfg.Logger.Info("failed login", "type", "auth", "ip", ip, "login", login)
		return nil, oerr(http.StatusForbidden, "invalid_grant", msgWrongCredentials)
	}
	if u.Blocked {
		p.cfg.Logger.Info("login refused: user is blocked", "type", "auth", "ip", ip, "user_id", u.UserID)
		return nil, oerr(http.StatusUnauthorized, "unauthorized", msgBlocked)
	}
	_, _ = p.st.pool.Exec(ctx, `DELETE FROM `+p.st.t("login_failures")+` WHERE key = $1`, acctKey)
	p.st.recordLogin(ctx, u.UserID, ip)
	u.LoginsCount++
	return u, nil
}

func (p *IdP) locked(ctx context.Context, key string, now time.Time) bool {
	var until *time.Time
	err := p.st.pool.QueryRow(ctx, `SELECT locked_until FROM `+p.st.t("login_failures")+` WHERE key = $1`, key).Scan(&until)
	return err == nil && until != nil && until.After(now)
}

// fail counts a failed attempt for key within window and locks the key
// for lockFor once limit is reached.
func (p *IdP) fail(ctx context.Context, key string, limit int, window, lockFor time.Duration, now time.Time) {
	_, err := p.st.pool.Exec(ctx, `INSERT INTO `+p.st.t("login_failures")+` AS f (key, failures, window_start) VALUES ($1, 1, $2)
 ON CONFLICT (key) DO UPDATE SET
   failures = CASE WHEN f.window_start < $2 - $3::interval THEN 1 ELSE f.failures + 1 END,
   window_start = CASE WHEN f.window_start < $2 - $3::interval THEN $2 ELSE f.window_start END`,
		key, now, fmt.Sprintf("%d seconds", int(window.Seconds())))
	if err != nil {
		p.cfg.Logger.Error("recording a failed login", "type", "auth", "error", err.Error())
		return
	}
	_, _ = p.st.pool.Exec(ctx, `UPDATE `+p.st.t("login_failures")+` SET locked_until = $3 WHERE key = $1 AND failures >= $2`,
		key, limit, now.Add(lockFor))
}

// createUser validates and inserts a database-connection user, running
// the registration Actions. It is used by sign-up and the Management API.
func (p *IdP) createUser(ctx context.Context, r *http.Request, u *User, password string, c *Client) (*User, error) {
	if u.Email == nil && u.Username == nil {
		return nil, errBadUser("Payload validation error: 'Missing required property: email'.")
	}
	if u.Email != nil {
		if _, err := mail.ParseAddress(*u.Email); err != nil || strings.ContainsAny(*u.Email, " <>") {
			return nil, errBadUser("Payload validation error: 'Object didn't pass validation for format email: " + *u.Email + "' on property email (The user's email).")
		}
	}
	if len(password) < 8 {
		return nil, errBadUser("PasswordStrengthError: Password is too weak")
	}
	if u.UserID == "" {
		u.UserID = "auth0|" + randomID(12)
	} else if !strings.HasPrefix(u.UserID, "auth0|") {
		u.UserID = "auth0|" + u.UserID
	}
	if u.AppMetadata == nil {
		u.AppMetadata = map[string]any{}
	}
	if u.UserMetadata == nil {
		u.UserMetadata = map[string]any{}
	}
	ev := RegistrationEvent{User: eventUser(u), Connection: eventConnection, Tenant: EventTenant{ID: "postgate"}}
	if r != nil {
		ev.Request = eventRequest(r)
	}
	if c != nil {
		ec := eventClient(c)
		ev.Client = &ec
	}
	if h := p.cfg.Hooks.PreUserRegistration; h != nil {
		res, err := h.RunPreUserRegistration(ctx, ev)
		if err != nil {
			return nil, err
		}
		if res.Denied {
			return nil, errBadUser(res.DenyReason)
		}
		u.AppMetadata = mergeMetadata(u.AppMetadata, res.AppMetadata)
		u.UserMetadata = mergeMetadata(u.UserMetadata, res.UserMetadata)
	}
	u.passwordHash = hashPassword(p.cfg.Password, password)
	if err := p.st.insertUser(ctx, u); err != nil {
		if strings.Contains(err.Error(), "23505") {
			return nil, errUserExists
		}
		return nil, err
	}
	created, err := p.st.user(ctx, u.UserID)
	if err != nil {
		return nil, err
	}
	if h := p.cfg.Hooks.PostUserRegistration; h != nil {
		ev.User = eventUser(created)
		if err := h.RunPostUserRegistration(ctx, ev); err != nil {
			p.cfg.Logger.Error("post-user-registration action", "type", "auth", "error", err.Error())
		}
	}
	return created, nil
}

// userError is a refused user creation or update (400, or 409 for a
// duplicate).
type userError struct {
	Status  int
	Message string
}

func (e *userError) Error() string { return e.Message }

func errBadUser(msg string) error { return &userError{Status: http.StatusBadRequest, Message: msg} }

var errUserExists = &userError{Status: http.StatusConflict, Message: "The user already exists."}

// signup is the sign-up page.
func (p *IdP) signup(w http.ResponseWriter, r *http.Request) {
	if !p.cfg.AllowSignup {
		p.message(w, r, http.StatusNotFound, "Sign up", "Sign-up is disabled.")
		return
	}
	state := r.FormValue("state")
	var ar *authRequest
	var c *Client
	if state != "" {
		ar, _ = p.authRequest(r.Context(), state)
		if ar != nil {
			c, _ = p.st.client(r.Context(), ar.ClientID)
		}
	}
	pg := page{Page: "signup", Title: "Sign up", Action: p.cfg.Issuer + "signup", State: state,
		LoginURL: p.cfg.Issuer + "login?state=" + url.QueryEscape(state)}
	if c != nil {
		pg.AppName, pg.LogoURI = c.Name, c.LogoURI
	}
	if !p.formPosted(w, r, pg) {
		return
	}
	email := strings.TrimSpace(r.PostFormValue("email"))
	pg.Login = email
	u, err := p.createUser(r.Context(), r, &User{Email: &email}, r.PostFormValue("password"), c)
	if err != nil {
		var ue *userError
		if errors.As(err, &ue) {
			pg.Error = ue.Message
			p.render(w, r, ue.Status, pg)
			return
		}
		p.writeOAuthError(w, err)
		return
	}
	p.st.recordLogin(r.Context(), u.UserID, clientIP(r))
	sid, authTime, err := p.startSession(r.Context(), w, u)
	if err != nil {
		p.writeOAuthError(w, err)
		return
	}
	if ar != nil && c != nil && !ar.IsDone {
		p.complete(w, r, ar, c, u, sid, authTime)
		return
	}
	p.message(w, r, http.StatusOK, "Sign up", "Your account was created. You can return to the application.")
}

// reset asks for a password-reset link.
func (p *IdP) reset(w http.ResponseWriter, r *http.Request) {
	pg := page{Page: "reset", Title: "Reset your password", Action: p.cfg.Issuer + "reset"}
	if !p.formPosted(w, r, pg) {
		return
	}
	email := strings.TrimSpace(r.PostFormValue("email"))
	if u, err := p.st.userByLogin(r.Context(), email); err == nil && u.Email != nil && !p.locked(r.Context(), "reset:"+clientIP(r), p.cfg.Now()) {
		p.fail(r.Context(), "reset:"+clientIP(r), 20, time.Hour, time.Hour, p.cfg.Now())
		tok := randomID(32)
		_, err := p.st.pool.Exec(r.Context(), `INSERT INTO `+p.st.t("password_resets")+` (token_hash, user_id, expires_at) VALUES ($1,$2,$3)`,
			hashToken(tok), u.UserID, p.cfg.Now().Add(time.Hour))
		if err == nil {
			p.sendReset(*u.Email, p.cfg.Issuer+"reset/confirm?token="+url.QueryEscape(tok))
		}
	}
	pg.Notice = "If an account exists for that email address, we have sent it a link to reset the password. The link is valid for one hour."
	p.render(w, r, http.StatusOK, pg)
}

// sendReset mails the link, or writes it to the log without SMTP.
func (p *IdP) sendReset(to, link string) {
	if p.cfg.SMTPURL == "" {
		p.cfg.Logger.Info("password reset link (no POSTGATE_AUTH_SMTP_URL set)", "type", "auth", "email", to, "link", link)
		return
	}
	u, err := url.Parse(p.cfg.SMTPURL)
	if err != nil {
		p.cfg.Logger.Error("POSTGATE_AUTH_SMTP_URL is not a URL", "type", "auth")
		return
	}
	from := u.Query().Get("from")
	if from == "" {
		from = "no-reply@" + u.Hostname()
	}
	var auth smtp.Auth
	if u.User != nil {
		pw, _ := u.User.Password()
		auth = smtp.PlainAuth("", u.User.Username(), pw, u.Hostname())
	}
	msg := "From: " + from + "\r\nTo: " + to + "\r\nSubject: Reset your password\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n" +
		"Someone asked to reset the password of your account. Open this link within an hour to choose a new one:\r\n\r\n" + link +
		"\r\n\r\nIf it was not you, ignore this message.\r\n"
	go func() {
		if err := smtp.SendMail(u.Host, auth, from, []string{to}, []byte(msg)); err != nil {
			p.cfg.Logger.Error("sending a password reset mail", "type", "auth", "error", err.Error())
		}
	}()
}

// resetConfirm sets a new password from a reset link.
func (p *IdP) resetConfirm(w http.ResponseWriter, r *http.Request) {
	tok := r.FormValue("token")
	pg := page{Page: "reset-confirm", Title: "Choose a new password", Action: p.cfg.Issuer + "reset/confirm", Token: tok}
	var uid string
	err := p.st.pool.QueryRow(r.Context(), `SELECT user_id FROM `+p.st.t("password_resets")+` WHERE token_hash = $1 AND NOT used AND expires_at > $2`,
		hashToken(tok), p.cfg.Now()).Scan(&uid)
	if err != nil {
		pg.Token, pg.Error = "", "This reset link is invalid or has expired. Ask for a new one."
		p.render(w, r, http.StatusBadRequest, pg)
		return
	}
	if r.Method == http.MethodGet {
		p.render(w, r, http.StatusOK, pg)
		return
	}
	if !p.csrfChecked(w, r, pg) {
		return
	}
	pw := r.PostFormValue("password")
	if len(pw) < 8 {
		pg.Error = "The password must have at least 8 characters."
		p.render(w, r, http.StatusBadRequest, pg)
		return
	}
	err = pgx.BeginFunc(r.Context(), p.st.pool, func(tx pgx.Tx) error {
		tag, err := tx.Exec(r.Context(), `UPDATE `+p.st.t("password_resets")+` SET used = true WHERE token_hash = $1 AND NOT used`, hashToken(tok))
		if err != nil || tag.RowsAffected() == 0 {
			return errors.New("reset link already used")
		}
		if _, err := tx.Exec(r.Context(), `UPDATE `+p.st.t("users")+` SET password_hash = $2, updated_at = now() WHERE user_id = $1`,
			uid, hashPassword(p.cfg.Password, pw)); err != nil {
			return err
		}
		_, err = tx.Exec(r.Context(), `UPDATE `+p.st.t("sessions")+` SET revoked = true WHERE user_id = $1`, uid)
		return err
	})
	if err != nil {
		pg.Token, pg.Error = "", "This reset link is invalid or has expired. Ask for a new one."
		p.render(w, r, http.StatusBadRequest, pg)
		return
	}
	var u *User
	if u, err = p.st.user(r.Context(), uid); err == nil {
		_, _ = p.st.pool.Exec(r.Context(), `DELETE FROM `+p.st.t("login_failures")+` WHERE key = $1 OR key = $2`,
			"account:"+strings.ToLower(deref(u.Email)), "account:"+strings.ToLower(deref(u.Username)))
	}
	pg.Token, pg.Notice = "", "Your password was changed. You can now log in with it."
	p.render(w, r, http.StatusOK, pg)
}

func deref(s *string) string {
	if s == nil {
		return ""
	}
	return *s
}

// logoutV2 is Auth0's GET /v2/logout?client_id&returnTo.
func (p *IdP) logoutV2(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	returnTo, clientID := q.Get("returnTo"), q.Get("client_id")
	var allowed []string
	if clientID != "" {
		c, err := p.st.client(r.Context(), clientID)
		if err != nil {
			p.message(w, r, http.StatusBadRequest, "Log out", "Unknown client_id.")
			return
		}
		allowed = c.AllowedLogoutURLs
		if returnTo == "" && len(allowed) > 0 {
			returnTo = allowed[0]
		}
	} else if returnTo != "" {
		cs, err := p.st.clients(r.Context())
		if err != nil {
			p.writeOAuthError(w, err)
			return
		}
		for _, c := range cs {
			allowed = append(allowed, c.AllowedLogoutURLs...)
		}
	}
	if returnTo != "" && !contains(allowed, returnTo) {
		p.message(w, r, http.StatusBadRequest, "Log out",
			"The \"returnTo\" URL is not in the application's \"Allowed Logout URLs\": "+returnTo)
		return
	}
	p.endSession(w, r)
	if returnTo == "" {
		p.message(w, r, http.StatusOK, "Log out", "You have been logged out.")
		return
	}
	http.Redirect(w, r, returnTo, http.StatusFound)
}

// logoutOIDC is OpenID Connect RP-initiated logout (GET or POST
// /oidc/logout): post_logout_redirect_uri must be an allowed logout URL of
// the client named by id_token_hint or client_id.
func (p *IdP) logoutOIDC(w http.ResponseWriter, r *http.Request) {
	_ = r.ParseForm()
	hint, clientID, redirect, state := r.Form.Get("id_token_hint"), r.Form.Get("client_id"), r.Form.Get("post_logout_redirect_uri"), r.Form.Get("state")
	if hint != "" {
		claims, err := p.keys.verifyAllowExpired(r.Context(), hint)
		if err != nil {
			p.message(w, r, http.StatusBadRequest, "Log out", "The id_token_hint is not valid.")
			return
		}
		aud, _ := claims["aud"].(string)
		if clientID != "" && clientID != aud {
			p.message(w, r, http.StatusBadRequest, "Log out", "The client_id does not match the id_token_hint.")
			return
		}
		clientID = aud
	}
	if redirect != "" {
		if clientID == "" {
			p.message(w, r, http.StatusBadRequest, "Log out", "post_logout_redirect_uri needs id_token_hint or client_id.")
			return
		}
		c, err := p.st.client(r.Context(), clientID)
		if err != nil || !contains(c.AllowedLogoutURLs, redirect) {
			p.message(w, r, http.StatusBadRequest, "Log out", "The post_logout_redirect_uri is not in the application's \"Allowed Logout URLs\".")
			return
		}
	}
	p.endSession(w, r)
	if redirect == "" {
		p.message(w, r, http.StatusOK, "Log out", "You have been logged out.")
		return
	}
	u, _ := url.Parse(redirect)
	if state != "" {
		qq := u.Query()
		qq.Set("state", state)
		u.RawQuery = qq.Encode()
	}
	http.Redirect(w, r, u.String(), http.StatusFound)
}

// SignInLocked reports whether the per-IP brute-force protection refuses
// sign-ins from r's client address for now. Other sign-in forms (the token
// debugger's admin-secret form) share the login page's per-IP counter
// through it and SignInFailed.
func (p *IdP) SignInLocked(r *http.Request) bool {
	return p.locked(r.Context(), "ip:"+p.ClientIP(r), p.cfg.Now())
}

// SignInFailed counts a failed sign-in from r's client address towards the
// per-IP lock, as a failed login does.
func (p *IdP) SignInFailed(r *http.Request) {
	ip := p.ClientIP(r)
	p.fail(r.Context(), "ip:"+ip, p.cfg.Throttle.IPFailures, p.cfg.Throttle.IPWindow, p.cfg.Throttle.IPWindow, p.cfg.Now())
	p.cfg.Logger.Info("failed sign-in", "type", "auth", "ip", ip, "form", r.URL.Path)
}
