package idp

import (
	"net/http"
	"net/http/httptest"
	"net/netip"
	"net/url"
	"strings"
	"testing"
)

func TestClientIP(t *testing.T) {
	trusted, err := ParseTrustedProxies("10.0.0.0/8, 192.0.2.1 2001:db8::/32")
	if err != nil || len(trusted) != 3 {
		t.Fatalf("%v %v", trusted, err)
	}
	if _, err := ParseTrustedProxies("10.0.0.0/8,not-an-ip"); err == nil {
		t.Fatal("a bad entry was accepted")
	}
	none := &IdP{}
	some := &IdP{cfg: Config{TrustedProxies: trusted}}
	for _, c := range []struct {
		p        *IdP
		peer     string
		xff      []string
		want     string
		whatever string
	}{
		{none, "203.0.113.5:1234", []string{"198.51.100.1"}, "203.0.113.5", "no trusted proxies: X-Forwarded-For ignored"},
		{some, "203.0.113.5:1234", []string{"198.51.100.1"}, "203.0.113.5", "an untrusted peer's X-Forwarded-For is ignored"},
		{some, "10.1.2.3:1234", nil, "10.1.2.3", "a trusted peer without the header"},
		{some, "10.1.2.3:1234", []string{"198.51.100.1"}, "198.51.100.1", "one trusted proxy"},
		{some, "10.1.2.3:1234", []string{"6.6.6.6, 198.51.100.1, 10.9.9.9"}, "198.51.100.1", "proxy chain; a spoofed left part is skipped"},
		{some, "10.1.2.3:1234", []string{"6.6.6.6", "198.51.100.1:5555"}, "198.51.100.1", "several headers, a port"},
		{some, "[2001:db8::7]:443", []string{"[2001:db8:ffff::1]:80, 2600::1"}, "2600::1", "IPv6"},
		{some, "10.1.2.3:1234", []string{"garbage, 192.0.2.1"}, "192.0.2.1", "a malformed entry stops the walk"},
		{some, "[::ffff:10.1.2.3]:1234", []string{"198.51.100.1"}, "198.51.100.1", "IPv4-mapped peer"},
	} {
		r := httptest.NewRequest("POST", "/auth/oauth/token", nil)
		r.RemoteAddr = c.peer
		for _, v := range c.xff {
			r.Header.Add("X-Forwarded-For", v)
		}
		if got := c.p.ClientIP(r); got != c.want {
			t.Errorf("%s: got %s, want %s", c.whatever, got, c.want)
		}
	}
	if p := netip.MustParsePrefix("10.0.0.0/8"); trusted[0] != p {
		t.Errorf("prefix %v", trusted[0])
	}
}

// TestTrustedProxiesThrottle: per-IP throttling counts the peer unless the
// peer is a trusted proxy; then the forwarded client is throttled alone.
func TestTrustedProxiesThrottle(t *testing.T) {
	attempt := func(e *env, f fixture, xff, user string) int {
		t.Helper()
		form := url.Values{"grant_type": {"password"}, "client_id": {f.web.ClientID}, "client_secret": {f.web.ClientSecret},
			"username": {user}, "password": {"wrong password"}}
		req, _ := http.NewRequest("POST", e.issuer+"oauth/token", strings.NewReader(form.Encode()))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		req.Header.Set("X-Forwarded-For", xff)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp.StatusCode
	}
	throttle := func(c *Config) { c.Throttle.IPFailures = 2 }

	// Default: X-Forwarded-For is not believed; changing it does not
	// escape the address lock.
	e := newEnv(t, throttle)
	f := e.fixture()
	attempt(e, f, "203.0.113.1", "a@example.com")
	attempt(e, f, "203.0.113.2", "b@example.com")
	if st := attempt(e, f, "203.0.113.3", "c@example.com"); st != http.StatusTooManyRequests {
		t.Fatalf("a spoofed X-Forwarded-For escaped the lock: %d", st)
	}

	// Behind a trusted proxy, each forwarded client has its own counter.
	e = newEnv(t, throttle, func(c *Config) { c.TrustedProxies = []netip.Prefix{netip.MustParsePrefix("127.0.0.0/8")} })
	f = e.fixture()
	attempt(e, f, "203.0.113.1", "a@example.com")
	attempt(e, f, "203.0.113.1", "b@example.com")
	if st := attempt(e, f, "203.0.113.1", "c@example.com"); st != http.StatusTooManyRequests {
		t.Fatalf("the forwarded client was not locked: %d", st)
	}
	if st := attempt(e, f, "203.0.113.2", "c@example.com"); st != http.StatusForbidden {
		t.Fatalf("another forwarded client was locked too: %d", st)
	}
	// Prepending an address does not help the locked client.
	if st := attempt(e, f, "198.51.100.9, 203.0.113.1", "c@example.com"); st != http.StatusTooManyRequests {
		t.Fatalf("a prepended address escaped the lock: %d", st)
	}
	// Actions see the forwarded client as event.request.ip.
	form := url.Values{"grant_type": {"password"}, "client_id": {f.web.ClientID}, "client_secret": {f.web.ClientSecret},
		"username": {userMail}, "password": {userPass}}
	req, _ := http.NewRequest("POST", e.issuer+"oauth/token", strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("X-Forwarded-For", "198.51.100.20")
	resp, err := http.DefaultClient.Do(req)
	if err != nil || resp.StatusCode != http.StatusOK {
		t.Fatalf("login behind the proxy: %v %v", resp, err)
	}
	resp.Body.Close()
	if ip := e.actions.last().Request.IP; ip != "198.51.100.20" {
		t.Fatalf("event.request.ip = %q", ip)
	}
}
