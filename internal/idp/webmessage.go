package idp

import (
	"html/template"
	"net/http"
	"net/url"
)

// webMessagePage answers response_mode=web_message (Auth0's silent
// authentication in a hidden iframe): it posts the response to the parent
// window at the origin of the registered redirect URI.
var webMessagePage = template.Must(template.New("wm").Parse(`<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Authorization response</title></head>
<body><script nonce="{{.Nonce}}">
(function () {
  var msg = {type: "authorization_response", response: {{.Response}}};
  (window.opener || window.parent).postMessage(msg, {{.Origin}});
})();
</script></body></html>`))

func originOf(raw string) string {
	u, err := url.Parse(raw)
	if err != nil || u.Host == "" {
		return ""
	}
	return u.Scheme + "://" + u.Host
}

// webMessage writes the web_message response page for ar.
func (p *IdP) webMessage(w http.ResponseWriter, ar *authRequest, response map[string]string) {
	origin := originOf(ar.RedirectURI)
	if ar.State != "" {
		response["state"] = ar.State
	}
	nonce := randomID(16)
	h := w.Header()
	h.Del("X-Frame-Options")
	h.Set("Content-Type", "text/html; charset=utf-8")
	h.Set("Cache-Control", "no-store")
	h.Set("Content-Security-Policy", "default-src 'none'; script-src 'nonce-"+nonce+"'; frame-ancestors "+origin)
	_ = webMessagePage.Execute(w, map[string]any{"Nonce": nonce, "Response": response, "Origin": origin})
}

// issueCode creates the authorization code of a completed request (the
// provider library does this on its callback for redirect responses).
func (p *IdP) issueCode(r *http.Request, ar *authRequest) (string, error) {
	code := randomID(32)
	return code, (&opStorage{p: p}).SaveAuthCode(r.Context(), ar.ID, code)
}
