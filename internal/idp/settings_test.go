package idp_test

import (
	"testing"
	"time"

	"github.com/postgate/postgate/internal/config"
	"github.com/postgate/postgate/internal/idp"
)

// TestSettingsReachTheProvider: the POSTGATE_AUTH_* settings this package
// reads are registered with internal/config, so they reach ConfigFromEnv.
func TestSettingsReachTheProvider(t *testing.T) {
	env := map[string]string{"POSTGATE_AUTH_SECRET_KEY": "k", "POSTGATE_AUTH_TRUSTED_PROXIES": "10.0.0.0/8",
		"POSTGATE_AUTH_REFRESH_TOKEN_LEEWAY": "7"}
	cfg, _, err := config.Load(nil, func(k string) string { return env[k] })
	if err != nil {
		t.Fatal(err)
	}
	c, err := idp.ConfigFromEnv(cfg.IdP, 8080, "")
	if err != nil || len(c.TrustedProxies) != 1 || c.TrustedProxies[0].String() != "10.0.0.0/8" || c.RefreshTokenLeeway != 7*time.Second {
		t.Fatalf("%v %v %v", c.TrustedProxies, c.RefreshTokenLeeway, err)
	}
}
