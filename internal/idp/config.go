package idp

import (
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/netip"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"
)

// Config holds the identity provider's settings.
type Config struct {
	// Issuer is the issuer URL with its trailing slash, as Auth0's
	// (POSTGATE_AUTH_ISSUER; default http://localhost:<port>/auth/).
	Issuer string
	// Schema is the Postgres schema holding the provider's state
	// (POSTGATE_AUTH_SCHEMA; default postgate_auth).
	Schema string
	// SecretKey encrypts the private signing keys at rest
	// (POSTGATE_AUTH_SECRET_KEY, any string: it is hashed to 32 bytes).
	SecretKey []byte
	// AdminSecret reports whether s is one of the engine's admin secrets;
	// it authorises the Management API.
	AdminSecret func(s string) bool
	// AllowSignup shows the sign-up page (POSTGATE_AUTH_ALLOW_SIGNUP,
	// default true).
	AllowSignup bool
	// CookieSecure forces the Secure flag on cookies; it is on anyway when
	// the issuer is https (POSTGATE_AUTH_COOKIE_SECURE).
	CookieSecure bool
	// SessionTTL bounds the single-sign-on session (POSTGATE_AUTH_SESSION_TTL,
	// seconds; default 3 days).
	SessionTTL time.Duration
	// RefreshTokenTTL bounds a refresh token family
	// (POSTGATE_AUTH_REFRESH_TOKEN_TTL, seconds; default 30 days).
	RefreshTokenTTL time.Duration
	// RefreshTokenLeeway is the reuse interval (Auth0's refresh_token.leeway):
	// a rotated refresh token presented again within it after its first use
	// gets a fresh pair of the same family instead of revoking the family,
	// so that two tabs refreshing at once both keep working
	// (POSTGATE_AUTH_REFRESH_TOKEN_LEEWAY, seconds; default 3; 0 turns it
	// off). Leave it zero in a Config for the default; a negative value
	// turns it off.
	RefreshTokenLeeway time.Duration
	// AccessTokenTTL is the lifetime of access tokens without an API
	// audience (only good for /userinfo) (POSTGATE_AUTH_ACCESS_TOKEN_TTL,
	// seconds; default 86400). Tokens for an API live its token_lifetime.
	AccessTokenTTL time.Duration
	// IDTokenTTL is the ID token lifetime (POSTGATE_AUTH_ID_TOKEN_TTL,
	// seconds; default 36000 as Auth0).
	IDTokenTTL time.Duration
	// SMTPURL sends password-reset mail (POSTGATE_AUTH_SMTP_URL,
	// smtp://user:pass@host:port/?from=addr); empty writes links to the log.
	SMTPURL string
	// TrustedProxies are the reverse proxies whose X-Forwarded-For is
	// believed (POSTGATE_AUTH_TRUSTED_PROXIES, CIDR ranges; default none):
	// only for requests from them is the forwarded client address used for
	// per-IP throttling and event.request.ip (see IdP.ClientIP).
	TrustedProxies []netip.Prefix
	// Password tunes argon2id; zero values take the defaults.
	Password PasswordParams
	// Throttle tunes brute-force protection; zero values take the defaults.
	Throttle ThrottleParams
	// Hooks are the Actions runners; nil fields mean no Actions.
	Hooks Hooks
	// ActionsAPI serves the Management API's /actions/ routes (the Actions
	// runtime's); it is mounted behind the same authorisation.
	ActionsAPI http.Handler
	// Logger receives reset links (without SMTP) and failures.
	Logger *slog.Logger
	// Now is the clock (default time.Now).
	Now func() time.Time

	// newKey makes signing keys (default: a new 2048-bit RSA key); tests
	// hand out pre-generated ones.
	newKey func() (*rsa.PrivateKey, error)
}

// PasswordParams are argon2id's cost parameters.
type PasswordParams struct {
	Time    uint32 // iterations (default 2)
	Memory  uint32 // KiB (default 19456)
	Threads uint8  // parallelism (default 1)
}

// ThrottleParams configure brute-force protection.
type ThrottleParams struct {
	// AccountFailures failed logins lock an account for AccountLockout
	// (defaults 10 and 15 minutes, as Auth0's brute-force protection).
	AccountFailures int
	AccountLockout  time.Duration
	// IPFailures failed logins from one address within IPWindow block that
	// address for the rest of the window (defaults 100 per hour).
	IPFailures int
	IPWindow   time.Duration
}

// DefaultRefreshTokenLeeway is the refresh-token reuse interval when none
// is configured.
const DefaultRefreshTokenLeeway = 3 * time.Second

// ErrConfig is wrapped by every configuration error.
var ErrConfig = errors.New("identity provider configuration")

// Enabled reports whether POSTGATE_AUTH_ENABLED asks for the provider.
func Enabled(raw map[string]string) bool {
	v, _ := strconv.ParseBool(strings.TrimSpace(raw["POSTGATE_AUTH_ENABLED"]))
	return v
}

// ConfigFromEnv builds a Config from the raw POSTGATE_AUTH_* settings. port
// is the server port (for the default issuer). When dataDir is not empty
// and no secret key is set, a key is generated once and kept in
// dataDir/auth-secret-key (demo mode).
func ConfigFromEnv(raw map[string]string, port int, dataDir string) (Config, error) {
	c := Config{
		Issuer:      strings.TrimSpace(raw["POSTGATE_AUTH_ISSUER"]),
		Schema:      strings.TrimSpace(raw["POSTGATE_AUTH_SCHEMA"]),
		AllowSignup: true,
		SMTPURL:     strings.TrimSpace(raw["POSTGATE_AUTH_SMTP_URL"]),
	}
	if c.Issuer == "" {
		if port == 0 {
			port = 8080
		}
		c.Issuer = fmt.Sprintf("http://localhost:%d/auth/", port)
	}
	if !strings.HasSuffix(c.Issuer, "/") {
		c.Issuer += "/"
	}
	u, err := url.Parse(c.Issuer)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return c, fmt.Errorf("%w: POSTGATE_AUTH_ISSUER %q is not an http(s) URL", ErrConfig, c.Issuer)
	}
	if v := raw["POSTGATE_AUTH_ALLOW_SIGNUP"]; v != "" {
		b, err := strconv.ParseBool(v)
		if err != nil {
			return c, fmt.Errorf("%w: POSTGATE_AUTH_ALLOW_SIGNUP: %v", ErrConfig, err)
		}
		c.AllowSignup = b
	}
	if v := raw["POSTGATE_AUTH_COOKIE_SECURE"]; v != "" {
		b, err := strconv.ParseBool(v)
		if err != nil {
			return c, fmt.Errorf("%w: POSTGATE_AUTH_COOKIE_SECURE: %v", ErrConfig, err)
		}
		c.CookieSecure = b
	}
	for name, dst := range map[string]*time.Duration{
		"POSTGATE_AUTH_SESSION_TTL":       &c.SessionTTL,
		"POSTGATE_AUTH_REFRESH_TOKEN_TTL": &c.RefreshTokenTTL,
		"POSTGATE_AUTH_ID_TOKEN_TTL":      &c.IDTokenTTL,
		"POSTGATE_AUTH_ACCESS_TOKEN_TTL":  &c.AccessTokenTTL,
	} {
		if v := strings.TrimSpace(raw[name]); v != "" {
			n, err := strconv.Atoi(v)
			if err != nil || n <= 0 {
				return c, fmt.Errorf("%w: %s must be a positive number of seconds", ErrConfig, name)
			}
			*dst = time.Duration(n) * time.Second
		}
	}
	if v := strings.TrimSpace(raw["POSTGATE_AUTH_REFRESH_TOKEN_LEEWAY"]); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 0 || n > 3600 {
			return c, fmt.Errorf("%w: POSTGATE_AUTH_REFRESH_TOKEN_LEEWAY must be a number of seconds from 0 to 3600", ErrConfig)
		}
		c.RefreshTokenLeeway = time.Duration(n) * time.Second
		if n == 0 {
			c.RefreshTokenLeeway = -1 // off, not the default
		}
	}
	if c.TrustedProxies, err = ParseTrustedProxies(raw["POSTGATE_AUTH_TRUSTED_PROXIES"]); err != nil {
		return c, err
	}
	if alg := strings.TrimSpace(raw["POSTGATE_AUTH_SIGNING_ALG"]); alg != "" && alg != "RS256" {
		return c, fmt.Errorf("%w: POSTGATE_AUTH_SIGNING_ALG %q is not supported (RS256 only)", ErrConfig, alg)
	}
	key := raw["POSTGATE_AUTH_SECRET_KEY"]
	if key == "" && dataDir != "" {
		key, err = demoSecretKey(dataDir)
		if err != nil {
			return c, err
		}
	}
	if key == "" {
		return c, fmt.Errorf("%w: POSTGATE_AUTH_SECRET_KEY must be set (it encrypts the signing keys in the database)", ErrConfig)
	}
	c.SecretKey = []byte(key)
	return c, nil
}

// demoSecretKey reads or creates dataDir/auth-secret-key.
func demoSecretKey(dataDir string) (string, error) {
	p := filepath.Join(dataDir, "auth-secret-key")
	if b, err := os.ReadFile(p); err == nil && len(strings.TrimSpace(string(b))) > 0 {
		return strings.TrimSpace(string(b)), nil
	}
	if err := os.MkdirAll(dataDir, 0o700); err != nil {
		return "", fmt.Errorf("%w: data directory: %v", ErrConfig, err)
	}
	var b [32]byte
	if _, err := rand.Read(b[:]); err != nil {
		return "", err
	}
	k := hex.EncodeToString(b[:])
	if err := os.WriteFile(p, []byte(k+"\n"), 0o600); err != nil {
		return "", fmt.Errorf("%w: writing %s: %v", ErrConfig, p, err)
	}
	return k, nil
}

// withDefaults fills the zero fields.
func (c Config) withDefaults() Config {
	if c.Schema == "" {
		c.Schema = "postgate_auth"
	}
	if c.SessionTTL == 0 {
		c.SessionTTL = 72 * time.Hour
	}
	if c.RefreshTokenTTL == 0 {
		c.RefreshTokenTTL = 30 * 24 * time.Hour
	}
	if c.RefreshTokenLeeway == 0 {
		c.RefreshTokenLeeway = DefaultRefreshTokenLeeway
	}
	if c.AccessTokenTTL == 0 {
		c.AccessTokenTTL = 86400 * time.Second
	}
	if c.IDTokenTTL == 0 {
		c.IDTokenTTL = 36000 * time.Second
	}
	if c.Password.Time == 0 {
		c.Password.Time = 2
	}
	if c.Password.Memory == 0 {
		c.Password.Memory = 19456
	}
	if c.Password.Threads == 0 {
		c.Password.Threads = 1
	}
	if c.Throttle.AccountFailures == 0 {
		c.Throttle.AccountFailures = 10
	}
	if c.Throttle.AccountLockout == 0 {
		c.Throttle.AccountLockout = 15 * time.Minute
	}
	if c.Throttle.IPFailures == 0 {
		c.Throttle.IPFailures = 100
	}
	if c.Throttle.IPWindow == 0 {
		c.Throttle.IPWindow = time.Hour
	}
	if c.Logger == nil {
		c.Logger = slog.New(slog.DiscardHandler)
	}
	if c.Now == nil {
		c.Now = time.Now
	}
	if c.newKey == nil {
		c.newKey = func() (*rsa.PrivateKey, error) { return rsa.GenerateKey(rand.Reader, 2048) }
	}
	if c.AdminSecret == nil {
		c.AdminSecret = func(string) bool { return false }
	}
	return c
}

// encryptionKey derives the AES-256 key for signing keys at rest.
func (c Config) encryptionKey() []byte {
	h := sha256.Sum256(append([]byte("postgate-auth-signing-keys:"), c.SecretKey...))
	return h[:]
}
