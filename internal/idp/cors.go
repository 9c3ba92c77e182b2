package idp

import (
	"net/http"
	"net/url"
	"strings"
)

// cors lets browser applications call an endpoint cross-origin (Auth0's
// SPA SDKs post to /oauth/token): an Origin is allowed when an application
// lists it in web_origins or allowed_origins, or has a callback on it.
// Preflights are answered here; other methods than method get 405.
func (p *IdP) cors(method string, h http.HandlerFunc) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		origin := r.Header.Get("Origin")
		if origin != "" && p.originAllowed(r, origin) {
			w.Header().Set("Access-Control-Allow-Origin", origin)
			w.Header().Set("Access-Control-Allow-Credentials", "true")
			w.Header().Add("Vary", "Origin")
			if r.Method == http.MethodOptions {
				w.Header().Set("Access-Control-Allow-Methods", method+", OPTIONS")
				w.Header().Set("Access-Control-Allow-Headers", "Authorization, Content-Type, Auth0-Client")
				w.Header().Set("Access-Control-Max-Age", "600")
				w.WriteHeader(http.StatusNoContent)
				return
			}
		}
		if r.Method == http.MethodOptions {
			w.WriteHeader(http.StatusNoContent)
			return
		}
		if r.Method != method && !(method == http.MethodGet && r.Method == http.MethodHead) {
			w.Header().Set("Allow", method+", OPTIONS")
			writeJSON(w, http.StatusMethodNotAllowed, map[string]string{"error": "invalid_request", "error_description": "Method not allowed."})
			return
		}
		h(w, r)
	}
}

func (p *IdP) originAllowed(r *http.Request, origin string) bool {
	cs, err := p.st.clients(r.Context())
	if err != nil {
		return false
	}
	origin = strings.TrimSuffix(origin, "/")
	for _, c := range cs {
		for _, list := range [][]string{c.WebOrigins, c.AllowedOrigins} {
			for _, o := range list {
				if strings.TrimSuffix(o, "/") == origin {
					return true
				}
			}
		}
		for _, cb := range c.Callbacks {
			if u, err := url.Parse(cb); err == nil && u.Scheme+"://"+u.Host == origin {
				return true
			}
		}
	}
	return false
}
