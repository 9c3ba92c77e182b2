package metrics

import (
	"crypto/subtle"
	"net/http"
	"strings"

	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/postgate/postgate/internal/apierr"
)

// Access decides who may read /v1/metrics, as Hasura does: with a metrics
// secret, requests bearing it ("Authorization: Bearer <secret>"); without
// one, admin requests only.
type Access struct {
	// Secret is HASURA_GRAPHQL_METRICS_SECRET; empty means admin only.
	Secret string
	// Admin reports whether the request is authenticated as admin (admin
	// secret, or a token or webhook granting the admin role). A non-nil
	// error is answered as it is (such as an invalid JWT). Nil Admin
	// admits everyone (Hasura's no-auth mode).
	Admin func(r *http.Request) (bool, error)
}

// Handler serves the registry in Prometheus' text exposition format (or
// OpenMetrics when asked) on GET and HEAD, to the requests a admits. Refusals
// are Hasura-shaped JSON errors.
func (m *Metrics) Handler(a Access) http.Handler {
	serve := promhttp.HandlerFor(m.reg, promhttp.HandlerOpts{})
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodGet && r.Method != http.MethodHead {
			w.Header().Set("Allow", "GET")
			if r.Method == http.MethodPost {
				refuse(w, apierr.New(apierr.NotFound, "resource does not exist").WithStatus(http.StatusNotFound))
				return
			}
			refuse(w, apierr.New("method-not-allowed", "method not allowed").WithStatus(http.StatusMethodNotAllowed))
			return
		}
		if err := a.check(r); err != nil {
			refuse(w, err)
			return
		}
		serve.ServeHTTP(w, r)
	})
}

// check returns the error answering a request a does not admit, or nil.
func (a Access) check(r *http.Request) error {
	if a.Secret != "" {
		token, ok := bearer(r.Header.Get("Authorization"))
		if !ok || subtle.ConstantTimeCompare([]byte(token), []byte(a.Secret)) != 1 {
			return apierr.New(apierr.AccessDenied, "invalid or missing metrics secret").WithStatus(http.StatusUnauthorized)
		}
		return nil
	}
	if a.Admin == nil {
		return nil
	}
	admin, err := a.Admin(r)
	if err != nil {
		return err
	}
	if !admin {
		return apierr.New(apierr.AccessDenied, "restricted access : admin only")
	}
	return nil
}

// bearer extracts the token of an "Authorization: Bearer <token>" header.
func bearer(h string) (string, bool) {
	scheme, token, ok := strings.Cut(strings.TrimSpace(h), " ")
	if !ok || !strings.EqualFold(scheme, "Bearer") {
		return "", false
	}
	token = strings.TrimSpace(token)
	return token, token != ""
}

// refuse answers err as Hasura's API error JSON.
func refuse(w http.ResponseWriter, err error) {
	e := apierr.From(err)
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.WriteHeader(e.Status)
	_, _ = w.Write(apierr.APIBody(e, apierr.Options{}))
}
