package idp

import (
	"errors"
	"net/http"
	"net/url"
	"strings"
	"time"
)

// dbSignup is Auth0's POST /dbconnections/signup: it creates a user of the
// database connection for an application (no session, no tokens).
func (p *IdP) dbSignup(w http.ResponseWriter, r *http.Request) {
	f, err := params(r)
	if err != nil {
		p.writeOAuthError(w, err)
		return
	}
	bad := func(code, desc string) {
		writeJSON(w, http.StatusBadRequest, map[string]any{"name": "BadRequestError", "code": code, "description": desc, "statusCode": 400})
	}
	c, err := p.st.client(r.Context(), f.Get("client_id"))
	if err != nil {
		bad("invalid_client", "Unknown client.")
		return
	}
	if !p.cfg.AllowSignup {
		bad("operation_not_allowed", "Public signup is disabled")
		return
	}
	if conn := f.Get("connection"); conn != "" && conn != connectionName {
		bad("connection_not_found", "Connection not found: "+conn)
		return
	}
	email := strings.TrimSpace(f.Get("email"))
	u := &User{Email: &email}
	if n := f.Get("username"); n != "" {
		u.Username = &n
	}
	u.Name, u.GivenName, u.FamilyName, u.Nickname, u.Picture = f.Get("name"), f.Get("given_name"), f.Get("family_name"), f.Get("nickname"), f.Get("picture")
	created, err := p.createUser(r.Context(), r, u, f.Get("password"), c)
	if err != nil {
		var ue *userError
		if errors.As(err, &ue) {
			if ue.Status == http.StatusConflict {
				bad("invalid_signup", "Invalid sign up")
				return
			}
			if strings.HasPrefix(ue.Message, "PasswordStrengthError") {
				bad("invalid_password", "PasswordStrengthError: Password is too weak")
				return
			}
			bad("invalid_signup", ue.Message)
			return
		}
		p.writeOAuthError(w, err)
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"_id": strings.TrimPrefix(created.UserID, "auth0|"), "email": email,
		"email_verified": created.EmailVerified})
}

// dbChangePassword is Auth0's POST /dbconnections/change_password: it
// sends a reset link when the account exists and always answers the same.
func (p *IdP) dbChangePassword(w http.ResponseWriter, r *http.Request) {
	f, err := params(r)
	if err != nil {
		p.writeOAuthError(w, err)
		return
	}
	ip := clientIP(r)
	if u, err := p.st.userByLogin(r.Context(), strings.TrimSpace(f.Get("email"))); err == nil && u.Email != nil && !p.locked(r.Context(), "reset:"+ip, p.cfg.Now()) {
		p.fail(r.Context(), "reset:"+ip, 20, time.Hour, time.Hour, p.cfg.Now())
		tok := randomID(32)
		if _, err := p.st.pool.Exec(r.Context(), `INSERT INTO `+p.st.t("password_resets")+` (token_hash, user_id, expires_at) VALUES ($1,$2,$3)`,
			hashToken(tok), u.UserID, p.cfg.Now().Add(time.Hour)); err == nil {
			p.sendReset(*u.Email, p.cfg.Issuer+"reset/confirm?token="+url.QueryEscape(tok))
		}
	}
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	_, _ = w.Write([]byte("We've just sent you an email to reset your password."))
}
