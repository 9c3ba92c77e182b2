package idp

import (
	"crypto/rand"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
)

var errPending = errors.New("authorization pending")

const (
	deviceCodeTTL  = 15 * time.Minute
	devicePollSecs = 5
)

// userCodeAlphabet has no vowels or look-alike characters.
const userCodeAlphabet = "BCDFGHJKLMNPQRSTVWXZ"

func newUserCode() string {
	b := make([]byte, 8)
	if _, err := rand.Read(b); err != nil {
		panic(err)
	}
	out := make([]byte, 0, 9)
	for i, x := range b {
		if i == 4 {
			out = append(out, '-')
		}
		out = append(out, userCodeAlphabet[int(x)%len(userCodeAlphabet)])
	}
	return string(out)
}

func normUserCode(s string) string {
	s = strings.ToUpper(strings.NewReplacer("-", "", " ", "").Replace(strings.TrimSpace(s)))
	if len(s) == 8 {
		return s[:4] + "-" + s[4:]
	}
	return s
}

// deviceCode is POST /oauth/device/code (RFC 8628 device authorization).
func (p *IdP) deviceCode(w http.ResponseWriter, r *http.Request) {
	f, err := params(r)
	if err != nil {
		p.writeOAuthError(w, err)
		return
	}
	c, err := p.clientFromRequest(r, f)
	if err != nil {
		p.writeOAuthError(w, err)
		return
	}
	if !contains(c.GrantTypes, grantDeviceCode) {
		p.writeOAuthError(w, oerr(http.StatusForbidden, "unauthorized_client", "Grant type '"+grantDeviceCode+"' not allowed for the client."))
		return
	}
	aud := p.defaultAudience(r.Context(), f.Get("audience"))
	if aud == p.mgmtAudience() {
		p.writeOAuthError(w, oerr(http.StatusForbidden, "access_denied", "The Management API accepts machine-to-machine tokens only."))
		return
	}
	if aud != "" {
		if _, err := p.st.resourceServer(r.Context(), aud); err != nil {
			p.writeOAuthError(w, oerr(http.StatusForbidden, "access_denied", "Service not found: "+aud))
			return
		}
	}
	dc, uc := randomID(32), newUserCode()
	_, err = p.st.pool.Exec(r.Context(), `INSERT INTO `+p.st.t("device_codes")+` (device_code_hash, user_code, client_id, audience, scopes, expires_at)
 VALUES ($1,$2,$3,$4,$5,$6)`, hashToken(dc), uc, c.ClientID, aud, strings.Fields(f.Get("scope")), p.cfg.Now().Add(deviceCodeTTL))
	if err != nil {
		p.writeOAuthError(w, err)
		return
	}
	verify := p.cfg.Issuer + "activate"
	writeJSON(w, http.StatusOK, map[string]any{
		"device_code": dc, "user_code": uc, "verification_uri": verify,
		"verification_uri_complete": verify + "?user_code=" + url.QueryEscape(uc),
		"expires_in":                int(deviceCodeTTL.Seconds()), "interval": devicePollSecs,
	})
}

// deviceGrant redeems an approved device code.
func (p *IdP) deviceGrant(r *http.Request, f url.Values, c *Client) (*tokenResponse, error) {
	ctx := r.Context()
	var (
		clientID, aud, state, uid, sid string
		scopes                         []string
		expires                        time.Time
		authTime                       *time.Time
		claims                         []byte
	)
	err := pgx.BeginFunc(ctx, p.st.pool, func(tx pgx.Tx) error {
		err := tx.QueryRow(ctx, `SELECT client_id, audience, scopes, state, coalesce(user_id,''), coalesce(session_id,''), auth_time, claims, expires_at
 FROM `+p.st.t("device_codes")+` WHERE device_code_hash = $1 FOR UPDATE`, hashToken(f.Get("device_code"))).
			Scan(&clientID, &aud, &scopes, &state, &uid, &sid, &authTime, &claims, &expires)
		if errors.Is(err, pgx.ErrNoRows) {
			return oerr(http.StatusForbidden, "invalid_grant", "Invalid or expired device code.")
		}
		if err != nil {
			return err
		}
		if clientID != c.ClientID {
			return oerr(http.StatusForbidden, "invalid_grant", "Invalid or expired device code.")
		}
		switch {
		case state == "consumed":
			return oerr(http.StatusForbidden, "invalid_grant", "Invalid or expired device code.")
		case p.cfg.Now().After(expires):
			return oerr(http.StatusForbidden, "expired_token", "The device code has expired.")
		case state == "denied":
			return oerr(http.StatusForbidden, "access_denied", "The user denied the request.")
		case state == "pending":
			return errPending
		}
		_, err = tx.Exec(ctx, `UPDATE `+p.st.t("device_codes")+` SET state = 'consumed' WHERE device_code_hash = $1`, hashToken(f.Get("device_code")))
		return err
	})
	if errors.Is(err, errPending) {
		// RFC 8628 slow_down: polling faster than the interval.
		var last *time.Time
		now := p.cfg.Now()
		_ = p.st.pool.QueryRow(ctx, `UPDATE `+p.st.t("device_codes")+` d SET last_poll = $2 FROM (SELECT last_poll FROM `+
			p.st.t("device_codes")+` WHERE device_code_hash = $1) old WHERE d.device_code_hash = $1 RETURNING old.last_poll`,
			hashToken(f.Get("device_code")), now).Scan(&last)
		if last != nil && now.Sub(*last) < devicePollSecs*time.Second {
			return nil, oerr(http.StatusTooManyRequests, "slow_down", fmt.Sprintf("You are polling faster than allowed. Try again in %d seconds.", devicePollSecs))
		}
		return nil, oerr(http.StatusForbidden, "authorization_pending", "User has yet to authorize device code.")
	}
	if err != nil {
		return nil, err
	}
	u, err := p.st.user(ctx, uid)
	if err != nil {
		return nil, oerr(http.StatusForbidden, "invalid_grant", "Invalid or expired device code.")
	}
	if u.Blocked {
		return nil, oerr(http.StatusUnauthorized, "unauthorized", msgBlocked)
	}
	var res *PostLoginResult
	if claims != nil {
		res = &PostLoginResult{}
		_ = json.Unmarshal(claims, res)
	}
	g := grant{client: c, user: u, audience: aud, scopes: scopes, sessionID: sid, result: res}
	if authTime != nil {
		g.authTime = *authTime
	}
	return p.mint(ctx, g)
}

// activate is the page where a user confirms a device's code, signing in
// on the same form when there is no session.
func (p *IdP) activate(w http.ResponseWriter, r *http.Request) {
	pg := page{Page: "activate", Title: "Confirm your device", Action: p.cfg.Issuer + "activate", UserCode: r.FormValue("user_code")}
	sid, u, authTime := p.session(r)
	pg.SignedIn = u != nil
	if !p.formPosted(w, r, pg) {
		return
	}
	ctx := r.Context()
	ipKey := "device:" + clientIP(r)
	if p.locked(ctx, ipKey, p.cfg.Now()) {
		pg.Error = "Too many wrong codes were entered. Try again later."
		p.render(w, r, http.StatusTooManyRequests, pg)
		return
	}
	uc := normUserCode(r.PostFormValue("user_code"))
	var clientID, aud string
	var scopes []string
	err := p.st.pool.QueryRow(ctx, `SELECT client_id, audience, scopes FROM `+p.st.t("device_codes")+
		` WHERE user_code = $1 AND state = 'pending' AND expires_at > $2`, uc, p.cfg.Now()).Scan(&clientID, &aud, &scopes)
	if err != nil {
		p.fail(ctx, ipKey, 20, 15*time.Minute, 15*time.Minute, p.cfg.Now())
		pg.Error = "This code is not valid or has expired. Check the code shown on your device."
		p.render(w, r, http.StatusBadRequest, pg)
		return
	}
	c, err := p.st.client(ctx, clientID)
	if err != nil {
		pg.Error = "The application no longer exists."
		p.render(w, r, http.StatusBadRequest, pg)
		return
	}
	pg.AppName, pg.LogoURI = c.Name, c.LogoURI
	if u == nil {
		pg.Login = r.PostFormValue("username")
		u, err = p.checkCredentials(ctx, clientIP(r), r.PostFormValue("username"), r.PostFormValue("password"))
		if err != nil {
			var oe *oauthError
			if !errors.As(err, &oe) {
				p.writeOAuthError(w, err)
				return
			}
			pg.Error = oe.Description
			p.render(w, r, http.StatusUnauthorized, pg)
			return
		}
		if sid, authTime, err = p.startSession(ctx, w, u); err != nil {
			p.writeOAuthError(w, err)
			return
		}
		pg.SignedIn = true
	}
	state := "approved"
	var claims []byte
	res, err := p.runPostLogin(ctx, r, u, c, aud, scopes, "oauth2-device-code", sid)
	if err != nil {
		var oe *oauthError
		if !errors.As(err, &oe) {
			p.writeOAuthError(w, err)
			return
		}
		state = "denied"
		pg.Error = oe.Description
	} else if res != nil {
		claims, _ = json.Marshal(res)
	}
	_, err = p.st.pool.Exec(ctx, `UPDATE `+p.st.t("device_codes")+` SET state = $2, user_id = $3, session_id = $4, auth_time = $5, claims = $6
 WHERE user_code = $1 AND state = 'pending'`, uc, state, u.UserID, sid, authTime, claims)
	if err != nil {
		p.writeOAuthError(w, err)
		return
	}
	pg.Done = true
	if state == "approved" {
		pg.Notice = "Your device is now connected. You can close this page and return to it."
		p.render(w, r, http.StatusOK, pg)
		return
	}
	p.render(w, r, http.StatusForbidden, pg)
}
