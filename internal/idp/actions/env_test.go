package actions

import (
	"errors"
	"reflect"
	"testing"
	"time"
)

func TestConfigFromEnv(t *testing.T) {
	c, err := ConfigFromEnv(map[string]string{
		"POSTGATE_AUTH_ACTIONS_TIMEOUT":       "5",
		"POSTGATE_AUTH_ACTIONS_FETCH_TIMEOUT": "2.5",
		"POSTGATE_AUTH_ACTIONS_ALLOWED_HOSTS": " api.example.com, *.internal ,",
		"POSTGATE_AUTH_ACTIONS_POOL_SIZE":     "8",
	})
	if err != nil {
		t.Fatal(err)
	}
	if c.FlowTimeout != 5*time.Second || c.FetchTimeout != 2500*time.Millisecond || c.PoolSize != 8 ||
		!reflect.DeepEqual(c.AllowedHosts, []string{"api.example.com", "*.internal"}) {
		t.Fatalf("config = %+v", c)
	}
	if c, err := ConfigFromEnv(nil); err != nil || c.withDefaults().FlowTimeout != 20*time.Second || c.AllowedHosts != nil {
		t.Fatalf("defaults = %+v, %v", c, err)
	}
	for _, bad := range []map[string]string{{"POSTGATE_AUTH_ACTIONS_TIMEOUT": "soon"}, {"POSTGATE_AUTH_ACTIONS_POOL_SIZE": "0"}} {
		if _, err := ConfigFromEnv(bad); !errors.Is(err, ErrConfig) {
			t.Fatalf("%v: err = %v", bad, err)
		}
	}
}
