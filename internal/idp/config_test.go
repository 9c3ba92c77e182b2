package idp

import (
	"errors"
	"os"
	"path/filepath"
	"testing"
	"time"
)

func TestConfigFromEnv(t *testing.T) {
	c, err := ConfigFromEnv(map[string]string{"POSTGATE_AUTH_SECRET_KEY": "k", "POSTGATE_AUTH_ID_TOKEN_TTL": "60"}, 9000, "")
	if err != nil || c.Issuer != "http://localhost:9000/auth/" || c.IDTokenTTL != time.Minute || !c.AllowSignup {
		t.Fatalf("%+v %v", c, err)
	}
	c, err = ConfigFromEnv(map[string]string{"POSTGATE_AUTH_SECRET_KEY": "k", "POSTGATE_AUTH_ISSUER": "https://id.example.com/auth"}, 0, "")
	if err != nil || c.Issuer != "https://id.example.com/auth/" {
		t.Fatalf("issuer gets its trailing slash: %q %v", c.Issuer, err)
	}
	c, err = ConfigFromEnv(map[string]string{"POSTGATE_AUTH_SECRET_KEY": "k", "POSTGATE_AUTH_TRUSTED_PROXIES": "10.0.0.0/8, 127.0.0.1",
		"POSTGATE_AUTH_REFRESH_TOKEN_LEEWAY": "0"}, 0, "")
	if err != nil || len(c.TrustedProxies) != 2 || c.TrustedProxies[1].String() != "127.0.0.1/32" || c.RefreshTokenLeeway >= 0 {
		t.Fatalf("trusted proxies and leeway: %v %v %v", c.TrustedProxies, c.RefreshTokenLeeway, err)
	}
	if c, _ = ConfigFromEnv(map[string]string{"POSTGATE_AUTH_SECRET_KEY": "k"}, 0, ""); c.TrustedProxies != nil || c.withDefaults().RefreshTokenLeeway != DefaultRefreshTokenLeeway {
		t.Fatalf("defaults: %v %v", c.TrustedProxies, c.withDefaults().RefreshTokenLeeway)
	}
	for _, bad := range []map[string]string{
		{},
		{"POSTGATE_AUTH_SECRET_KEY": "k", "POSTGATE_AUTH_TRUSTED_PROXIES": "10.0.0.0/33"},
		{"POSTGATE_AUTH_SECRET_KEY": "k", "POSTGATE_AUTH_REFRESH_TOKEN_LEEWAY": "-1"},
		{"POSTGATE_AUTH_SECRET_KEY": "k", "POSTGATE_AUTH_ISSUER": "ftp://x/"},
		{"POSTGATE_AUTH_SECRET_KEY": "k", "POSTGATE_AUTH_SIGNING_ALG": "HS256"},
		{"POSTGATE_AUTH_SECRET_KEY": "k", "POSTGATE_AUTH_SESSION_TTL": "-1"},
	} {
		if _, err := ConfigFromEnv(bad, 8080, ""); !errors.Is(err, ErrConfig) {
			t.Errorf("%v: err = %v", bad, err)
		}
	}
	// Demo mode keeps a generated key in the data directory.
	dir := t.TempDir()
	c1, err := ConfigFromEnv(map[string]string{}, 8080, dir)
	if err != nil {
		t.Fatal(err)
	}
	c2, _ := ConfigFromEnv(map[string]string{}, 8080, dir)
	if string(c1.SecretKey) != string(c2.SecretKey) || len(c1.SecretKey) < 32 {
		t.Fatal("demo secret key not kept")
	}
	if st, err := os.Stat(filepath.Join(dir, "auth-secret-key")); err != nil || st.Mode().Perm() != 0o600 {
		t.Fatalf("key file: %v %v", st, err)
	}
}

func TestPasswordHashing(t *testing.T) {
	p := PasswordParams{Time: 1, Memory: 64, Threads: 1}
	h := hashPassword(p, "s3cret pass")
	if !checkPassword(h, "s3cret pass") || checkPassword(h, "s3cret pasS") || checkPassword("plain", "plain") {
		t.Fatal("argon2id check")
	}
	if h == hashPassword(p, "s3cret pass") {
		t.Fatal("salt not random")
	}
}

func TestSealOpen(t *testing.T) {
	k := Config{SecretKey: []byte("a")}.encryptionKey()
	s, err := seal(k, []byte("private"))
	if err != nil {
		t.Fatal(err)
	}
	if b, err := open(k, s); err != nil || string(b) != "private" {
		t.Fatal(b, err)
	}
	if _, err := open(Config{SecretKey: []byte("b")}.encryptionKey(), s); err == nil {
		t.Fatal("opened with another key")
	}
}
