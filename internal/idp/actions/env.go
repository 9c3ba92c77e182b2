package actions

import (
	"fmt"
	"strconv"
	"strings"
	"time"
)

// ErrConfig is wrapped by every configuration error.
var ErrConfig = fmt.Errorf("actions configuration")

// ConfigFromEnv reads the POSTGATE_AUTH_ACTIONS_* settings from raw (the
// identity provider's raw settings):
//
//   - POSTGATE_AUTH_ACTIONS_TIMEOUT: seconds per flow (default 20)
//   - POSTGATE_AUTH_ACTIONS_FETCH_TIMEOUT: seconds per fetch (default 10)
//   - POSTGATE_AUTH_ACTIONS_ALLOWED_HOSTS: comma-separated host names fetch
//     may reach, "*.example.com" for subdomains (default: any host)
//   - POSTGATE_AUTH_ACTIONS_POOL_SIZE: warm runtimes kept ready (default 4)
func ConfigFromEnv(raw map[string]string) (Config, error) {
	var c Config
	secs := func(name string, dst *time.Duration) error {
		v := strings.TrimSpace(raw[name])
		if v == "" {
			return nil
		}
		f, err := strconv.ParseFloat(v, 64)
		if err != nil || f <= 0 || f > 3600 {
			return fmt.Errorf("%w: %s must be a number of seconds between 0 and 3600", ErrConfig, name)
		}
		*dst = time.Duration(f * float64(time.Second))
		return nil
	}
	if err := secs("POSTGATE_AUTH_ACTIONS_TIMEOUT", &c.FlowTimeout); err != nil {
		return c, err
	}
	if err := secs("POSTGATE_AUTH_ACTIONS_FETCH_TIMEOUT", &c.FetchTimeout); err != nil {
		return c, err
	}
	if v := strings.TrimSpace(raw["POSTGATE_AUTH_ACTIONS_POOL_SIZE"]); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > 1024 {
			return c, fmt.Errorf("%w: POSTGATE_AUTH_ACTIONS_POOL_SIZE must be a number between 1 and 1024", ErrConfig)
		}
		c.PoolSize = n
	}
	for _, h := range strings.Split(raw["POSTGATE_AUTH_ACTIONS_ALLOWED_HOSTS"], ",") {
		if h = strings.TrimSpace(h); h != "" {
			c.AllowedHosts = append(c.AllowedHosts, h)
		}
	}
	return c, nil
}
