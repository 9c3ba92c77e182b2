package auth

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/lestrrat-go/jwx/v3/jwk"
)

// maxJWKSBytes bounds a fetched key set.
const maxJWKSBytes = 1 << 20

// KeySource provides the current verification keys of an issuer that runs
// in the same process (the built-in identity provider).
type KeySource interface {
	KeySet(ctx context.Context) (jwk.Set, error)
}

// fetchJWKS returns a fetchFunc loading the JWKS at url. Its expiry comes
// from Cache-Control (max-age or s-maxage; no-cache and no-store mean "now";
// must-revalidate without max-age too), else from Expires.
func fetchJWKS(client *http.Client, url string, now func() time.Time) fetchFunc {
	return func(ctx context.Context) ([]verifyKey, time.Time, error) {
		req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
		if err != nil {
			return nil, time.Time{}, fmt.Errorf("Error fetching JWK: %v", err)
		}
		req.Header.Set("User-Agent", userAgent)
		req.Header.Set("Accept", "application/json")
		resp, err := client.Do(req)
		if err != nil {
			return nil, time.Time{}, fmt.Errorf("Error fetching JWK: %v", err)
		}
		defer resp.Body.Close()
		body, err := io.ReadAll(io.LimitReader(resp.Body, maxJWKSBytes+1))
		if err != nil {
			return nil, time.Time{}, fmt.Errorf("Error fetching JWK: %v", err)
		}
		if resp.StatusCode < 200 || resp.StatusCode > 299 {
			return nil, time.Time{}, fmt.Errorf("Non-2xx response on fetching JWK from: %s", url)
		}
		if len(body) > maxJWKSBytes {
			return nil, time.Time{}, fmt.Errorf("Error parsing JWK from url: %s", url)
		}
		set, err := jwk.Parse(body)
		if err != nil {
			return nil, time.Time{}, fmt.Errorf("Error parsing JWK from url: %s", url)
		}
		return keysFromSet(set), cacheExpiry(resp.Header, now()), nil
	}
}

// fetchKeySource returns a fetchFunc reading an in-process KeySource; its
// keys are kept for ttl.
func fetchKeySource(src KeySource, ttl time.Duration, now func() time.Time) fetchFunc {
	return func(ctx context.Context) ([]verifyKey, time.Time, error) {
		set, err := src.KeySet(ctx)
		if err != nil {
			return nil, time.Time{}, err
		}
		return keysFromSet(set), now().Add(ttl), nil
	}
}

// cacheExpiry reads when a response stops being fresh; zero when the
// headers do not say.
func cacheExpiry(h http.Header, now time.Time) time.Time {
	if cc := h.Get("Cache-Control"); cc != "" {
		var maxAge *int64
		var noCache, mustRevalidate bool
		for _, d := range strings.Split(cc, ",") {
			name, val, _ := strings.Cut(strings.TrimSpace(d), "=")
			switch strings.ToLower(strings.TrimSpace(name)) {
			case "max-age", "s-maxage":
				if maxAge == nil {
					if n, err := strconv.ParseInt(strings.Trim(strings.TrimSpace(val), `"`), 10, 64); err == nil && n >= 0 {
						maxAge = &n
					}
				}
			case "no-cache", "no-store":
				noCache = true
			case "must-revalidate":
				mustRevalidate = true
			}
		}
		switch {
		case mustRevalidate && maxAge != nil:
			return now.Add(time.Duration(*maxAge) * time.Second)
		case mustRevalidate, noCache:
			return now
		case maxAge != nil:
			return now.Add(time.Duration(*maxAge) * time.Second)
		}
	}
	if e := h.Get("Expires"); e != "" {
		if t, err := http.ParseTime(e); err == nil {
			return t
		}
	}
	return time.Time{}
}
