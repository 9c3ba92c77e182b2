package auth

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/postgate/postgate/internal/apierr"
	"github.com/postgate/postgate/internal/session"
)

// maxHookResponse bounds a webhook answer.
const maxHookResponse = 1 << 20

// ignoredHookHeaders are the client headers Hasura does not forward to a
// GET webhook (commonClientHeadersIgnored), plus the hop-by-hop headers
// that belong to one connection only.
var ignoredHookHeaders = []string{
	"Content-Length", "Content-Md5", "User-Agent", "Host", "Origin", "Referer", "Accept",
	"Accept-Encoding", "Accept-Language", "Accept-Datetime", "Cache-Control", "Connection",
	"Dnt", "Content-Type",
	"Keep-Alive", "Proxy-Authenticate", "Proxy-Authorization", "Proxy-Connection", "Te",
	"Trailer", "Transfer-Encoding", "Upgrade",
}

// webhook is the HASURA_GRAPHQL_AUTH_HOOK client.
type webhook struct {
	url      string
	post     bool
	sendBody bool
	client   *http.Client
	timeout  time.Duration
	cache    *hookCache
	now      func() time.Time
	log      *slog.Logger
}

func newWebhook(c Config, o options) (*webhook, error) {
	if !validHookURL(c.AuthHook) {
		return nil, configErrorf("HASURA_GRAPHQL_AUTH_HOOK: not a valid http(s) URL")
	}
	h := &webhook{
		url: c.AuthHook, sendBody: c.AuthHookSendRequestBody,
		client: o.client, timeout: o.hookTimeout, now: o.now, log: o.log,
		cache: newHookCache(o.hookCacheMax, o.now),
	}
	switch strings.ToUpper(strings.TrimSpace(c.AuthHookMode)) {
	case "", "GET":
	case "POST":
		h.post = true
	default:
		return nil, configErrorf("HASURA_GRAPHQL_AUTH_HOOK_MODE: Only expecting GET / POST")
	}
	return h, nil
}

// authenticate asks the webhook for the session of r (Hasura's
// userInfoFromAuthHook), answering from the cache while a previous answer
// for the same headers (and request, in POST mode) is fresh.
func (h *webhook) authenticate(r *http.Request, body []byte) (Result, error) {
	req, key, err := h.buildRequest(r, body)
	if err != nil {
		return Result{}, err
	}
	if s, ok := h.cache.get(key); ok {
		return Result{Session: s}, nil
	}
	ctx, cancel := context.WithTimeout(r.Context(), h.timeout)
	defer cancel()
	resp, err := h.client.Do(req.WithContext(ctx))
	if err != nil {
		h.log.Warn("auth webhook request failed", "url", h.url, "error", err.Error())
		return Result{}, unexpected(msgHookRequestFailed).Wrap(err)
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(io.LimitReader(resp.Body, maxHookResponse+1))
	if err != nil {
		h.log.Warn("auth webhook request failed", "url", h.url, "error", err.Error())
		return Result{}, unexpected(msgHookRequestFailed).Wrap(err)
	}
	switch resp.StatusCode {
	case http.StatusOK:
	case http.StatusUnauthorized:
		return Result{}, unauthorized(msgHookUnauthorized)
	default:
		h.log.Warn("auth webhook answered with an unexpected status", "url", h.url, "status", resp.StatusCode)
		return Result{}, unexpected(msgHookInvalidResponse)
	}
	vars, err := decodeHookVars(raw)
	if err != nil {
		return Result{}, unexpected(msgHookInvalidResponse + ": " + err.Error())
	}
	s, expires, aerr := h.session(vars)
	if aerr != nil {
		return Result{}, aerr
	}
	if expires.After(h.now()) {
		h.cache.put(key, s, expires)
	}
	return Result{Session: s, SetCookie: resp.Header.Values("Set-Cookie")}, nil
}

// buildRequest makes the webhook request for r and its cache key.
func (h *webhook) buildRequest(r *http.Request, body []byte) (*http.Request, [32]byte, error) {
	sum := sha256.New()
	if !h.post {
		req, err := http.NewRequest(http.MethodGet, h.url, nil)
		if err != nil {
			return nil, [32]byte{}, unexpected(msgHookRequestFailed).Wrap(err)
		}
		names := make([]string, 0, len(r.Header))
		for name := range r.Header {
			if !slices.ContainsFunc(ignoredHookHeaders, func(i string) bool { return strings.EqualFold(i, name) }) &&
				!strings.HasPrefix(strings.ToLower(name), "sec-websocket-") {
				names = append(names, name)
			}
		}
		slices.Sort(names)
		sum.Write([]byte("GET\n"))
		for _, name := range names {
			for _, v := range r.Header[name] {
				req.Header.Add(name, v)
				fmt.Fprintf(sum, "%s:%q\n", strings.ToLower(name), v)
			}
		}
		req.Header.Set("User-Agent", userAgent)
		return req, [32]byte(sum.Sum(nil)), nil
	}
	headers := map[string]string{}
	for name, vals := range r.Header {
		if len(vals) > 0 {
			headers[name] = vals[len(vals)-1]
		}
	}
	if r.Host != "" {
		headers["Host"] = r.Host
	}
	payload := map[string]any{"headers": headers}
	if h.sendBody {
		payload["request"] = graphQLRequest(body)
	}
	encoded, err := json.Marshal(payload)
	if err != nil {
		return nil, [32]byte{}, unexpected(msgHookRequestFailed).Wrap(err)
	}
	req, err := http.NewRequest(http.MethodPost, h.url, bytes.NewReader(encoded))
	if err != nil {
		return nil, [32]byte{}, unexpected(msgHookRequestFailed).Wrap(err)
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("User-Agent", userAgent)
	sum.Write([]byte("POST\n"))
	sum.Write(encoded)
	return req, [32]byte(sum.Sum(nil)), nil
}

// graphQLRequest extracts {query, variables, operationName} from a GraphQL
// request body, or a list of them for a batch; nil when body is not one.
func graphQLRequest(body []byte) any {
	type gqlReq struct {
		Query         json.RawMessage `json:"query"`
		Variables     json.RawMessage `json:"variables,omitempty"`
		OperationName json.RawMessage `json:"operationName,omitempty"`
	}
	trimmed := bytes.TrimSpace(body)
	if len(trimmed) == 0 {
		return nil
	}
	if trimmed[0] == '[' {
		var batch []gqlReq
		if json.Unmarshal(trimmed, &batch) != nil {
			return nil
		}
		for i := range batch {
			if batch[i].Query == nil {
				batch[i].Query = json.RawMessage("null")
			}
		}
		return batch
	}
	var one gqlReq
	if json.Unmarshal(trimmed, &one) != nil {
		return nil
	}
	if one.Query == nil {
		one.Query = json.RawMessage("null")
	}
	return one
}

// decodeHookVars reads the webhook's JSON object of string values.
func decodeHookVars(raw []byte) (map[string]string, error) {
	var obj map[string]json.RawMessage
	if err := json.Unmarshal(raw, &obj); err != nil {
		if json.Valid(raw) {
			return nil, fmt.Errorf("Error in $: parsing HashMap ~Text failed, expected Object, but encountered %s", jsonKind(raw))
		}
		return nil, fmt.Errorf("Error in $: Failed reading: not a valid json value")
	}
	if obj == nil {
		return nil, fmt.Errorf("Error in $: parsing HashMap ~Text failed, expected Object, but encountered Null")
	}
	out := make(map[string]string, len(obj))
	for k, v := range obj {
		var s string
		if err := json.Unmarshal(v, &s); err != nil {
			return nil, fmt.Errorf("Error in $[%s]: parsing Text failed, expected String, but encountered %s", strconv.Quote(k), jsonKind(v))
		}
		out[k] = s
	}
	return out, nil
}

// session builds the session from a webhook answer, and when the answer may
// be reused: its "Cache-Control" max-age, else its "Expires".
func (h *webhook) session(answer map[string]string) (session.Session, time.Time, *apierr.Error) {
	vars := map[string]string{}
	var cacheControl, expiresAt string
	for k, v := range answer {
		switch {
		case session.IsSessionVar(k):
			vars[strings.ToLower(k)] = v
		case strings.EqualFold(k, "Cache-Control"):
			cacheControl = v
		case strings.EqualFold(k, "Expires"):
			expiresAt = v
		}
	}
	role := vars["x-hasura-role"]
	if strings.TrimSpace(role) == "" {
		return session.Session{}, time.Time{}, apierr.New(apierr.InvalidParams, msgHookMissingRole)
	}
	delete(vars, headerAdminSecret)
	delete(vars, headerAccessKey)
	var expires time.Time
	if cacheControl != "" || expiresAt != "" {
		hdr := http.Header{}
		if cacheControl != "" {
			hdr.Set("Cache-Control", cacheControl)
		}
		if expiresAt != "" {
			hdr.Set("Expires", expiresAt)
		}
		expires = cacheExpiry(hdr, h.now())
	}
	return session.Session{Role: role, Vars: vars, Expires: expires}, expires, nil
}
