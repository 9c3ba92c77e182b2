package actions

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/dop251/goja"
	"github.com/dop251/goja_nodejs/buffer"
)

// errHostNotAllowed is wrapped when fetch targets a host outside the
// allow-list.
var errHostNotAllowed = errors.New("host is not in the Actions allow-list")

// hostAllowed reports whether fetch may reach host.
func (r *Runtime) hostAllowed(host string) bool {
	if len(r.cfg.AllowedHosts) == 0 {
		return true
	}
	host = strings.ToLower(strings.TrimSuffix(host, "."))
	for _, h := range r.cfg.AllowedHosts {
		h = strings.ToLower(strings.TrimSpace(h))
		if h == "*" || h == host {
			return true
		}
		if rest, ok := strings.CutPrefix(h, "*."); ok && strings.HasSuffix(host, "."+rest) {
			return true
		}
	}
	return false
}

// checkURL refuses URLs fetch must not reach.
func (r *Runtime) checkURL(u *url.URL) error {
	if u.Scheme != "http" && u.Scheme != "https" {
		return fmt.Errorf("only http and https URLs are supported, not %q", u.Scheme)
	}
	if !r.hostAllowed(u.Hostname()) {
		return fmt.Errorf("%w: %s", errHostNotAllowed, u.Hostname())
	}
	return nil
}

// newHTTPClient copies base (or a fresh client) with a redirect policy that
// keeps redirects inside the allow-list.
func (r *Runtime) newHTTPClient(base *http.Client) *http.Client {
	c := &http.Client{}
	if base != nil {
		*c = *base
	}
	c.CheckRedirect = func(req *http.Request, via []*http.Request) error {
		if len(via) >= 20 {
			return errors.New("maximum redirect reached")
		}
		return r.checkURL(req.URL)
	}
	return c
}

// fetchRequest is a request decoded from fetch's arguments.
type fetchRequest struct {
	method  string
	url     *url.URL
	headers http.Header
	body    []byte
	// timeout is node-fetch's timeout option (0: the configured one).
	timeout time.Duration
}

// fetch implements the global fetch and node-fetch v2: it returns a
// promise for a Response, sending the request from Go.
func (in *instance) fetch(call goja.FunctionCall) goja.Value {
	vm := in.vm
	p, resolve, reject := vm.NewPromise()
	ex := in.exec
	if ex == nil {
		_ = reject(in.jsError("fetch is only available while an action runs", "ERR_INVALID_STATE"))
		return vm.ToValue(p)
	}
	req, err := in.fetchArgs(call)
	if err != nil {
		_ = reject(in.fetchError(call.Argument(0).String(), err))
		return vm.ToValue(p)
	}
	if err := in.rt.checkURL(req.url); err != nil {
		_ = reject(in.fetchError(req.url.String(), err))
		return vm.ToValue(p)
	}
	ctx, max := ex.ctx, in.rt.cfg.MaxResponseBytes
	client, timeout := in.rt.client, in.rt.cfg.FetchTimeout
	if req.timeout > 0 && req.timeout < timeout {
		timeout = req.timeout
	}
	go func() {
		ctx, cancel := context.WithTimeout(ctx, timeout)
		defer cancel()
		resp, body, err := doFetch(ctx, client, req, max)
		in.onLoop(func() {
			if err != nil {
				_ = reject(in.fetchError(req.url.String(), err))
				return
			}
			_ = resolve(in.response(req.url.String(), resp, body))
		})
	}()
	return vm.ToValue(p)
}

// doFetch sends the request and reads the body up to max bytes.
func doFetch(ctx context.Context, client *http.Client, fr fetchRequest, max int64) (*http.Response, []byte, error) {
	var body io.Reader
	if fr.body != nil {
		body = bytes.NewReader(fr.body)
	}
	req, err := http.NewRequestWithContext(ctx, fr.method, fr.url.String(), body)
	if err != nil {
		return nil, nil, err
	}
	req.Header = fr.headers
	if req.Header.Get("User-Agent") == "" {
		req.Header.Set("User-Agent", "node-fetch/1.0 (Postgate Actions)")
	}
	if req.Header.Get("Accept") == "" {
		req.Header.Set("Accept", "*/*")
	}
	if fr.body != nil && req.Header.Get("Content-Type") == "" {
		req.Header.Set("Content-Type", "text/plain;charset=UTF-8")
	}
	resp, err := client.Do(req)
	if err != nil {
		return nil, nil, err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(io.LimitReader(resp.Body, max+1))
	if err != nil {
		return nil, nil, err
	}
	if int64(len(b)) > max {
		return nil, nil, fmt.Errorf("response body larger than %d bytes", max)
	}
	return resp, b, nil
}

// fetchArgs decodes fetch(url, {method, headers, body}).
func (in *instance) fetchArgs(call goja.FunctionCall) (fetchRequest, error) {
	vm := in.vm
	fr := fetchRequest{method: http.MethodGet, headers: http.Header{}}
	target := call.Argument(0)
	if o, ok := target.(*goja.Object); ok {
		// A Request-like object or a URL: use its url/href.
		if u := o.Get("url"); u != nil && !goja.IsUndefined(u) {
			target = u
		} else if h := o.Get("href"); h != nil && !goja.IsUndefined(h) {
			target = h
		}
	}
	u, err := url.Parse(target.String())
	if err != nil || !u.IsAbs() {
		return fr, fmt.Errorf("only absolute URLs are supported: %q", target.String())
	}
	fr.url = u
	opts, ok := call.Argument(1).(*goja.Object)
	if !ok {
		return fr, nil
	}
	if t := opts.Get("timeout"); t != nil && !goja.IsUndefined(t) && !goja.IsNull(t) && t.ToInteger() > 0 {
		fr.timeout = time.Duration(t.ToInteger()) * time.Millisecond
	}
	if m := opts.Get("method"); m != nil && !goja.IsUndefined(m) && !goja.IsNull(m) {
		fr.method = strings.ToUpper(m.String())
	}
	if h, ok := opts.Get("headers").(*goja.Object); ok {
		if err := in.readHeaders(h, fr.headers); err != nil {
			return fr, err
		}
	}
	if b := opts.Get("body"); b != nil && !goja.IsUndefined(b) && !goja.IsNull(b) {
		if fr.method == http.MethodGet || fr.method == http.MethodHead {
			return fr, errors.New("Request with GET/HEAD method cannot have body")
		}
		if _, isStr := b.Export().(string); isStr {
			fr.body = []byte(b.String())
		} else if bo, ok := b.(*goja.Object); ok && (bo.ClassName() == "ArrayBuffer" || isTypedArray(vm, bo)) {
			fr.body = buffer.Bytes(vm, b)
		} else {
			fr.body = []byte(b.String())
			if bo, ok := b.(*goja.Object); ok && bo.Get("append") != nil && fr.headers.Get("Content-Type") == "" {
				// URLSearchParams
				fr.headers.Set("Content-Type", "application/x-www-form-urlencoded;charset=UTF-8")
			}
		}
	}
	return fr, nil
}

func isTypedArray(vm *goja.Runtime, o *goja.Object) bool {
	u8 := vm.Get("Uint8Array")
	if u8 == nil {
		return false
	}
	proto := u8.ToObject(vm).Get("prototype").ToObject(vm).Prototype()
	for p := o.Prototype(); p != nil; p = p.Prototype() {
		if p == proto {
			return true
		}
	}
	return false
}

// readHeaders accepts a plain object, an array of [name, value] pairs or
// a Headers-like object with forEach.
func (in *instance) readHeaders(h *goja.Object, dst http.Header) error {
	vm := in.vm
	if h.ClassName() == "Array" {
		var pairs [][]string
		if err := vm.ExportTo(h, &pairs); err != nil {
			return errors.New("headers must be an object or an array of [name, value] pairs")
		}
		for _, p := range pairs {
			if len(p) == 2 {
				dst.Add(p[0], p[1])
			}
		}
		return nil
	}
	if fe, ok := goja.AssertFunction(h.Get("forEach")); ok {
		_, err := fe(h, vm.ToValue(func(c goja.FunctionCall) goja.Value {
			dst.Add(c.Argument(1).String(), c.Argument(0).String())
			return goja.Undefined()
		}))
		return err
	}
	for _, k := range h.Keys() {
		v := h.Get(k)
		if goja.IsUndefined(v) {
			continue
		}
		dst.Add(k, v.String())
	}
	return nil
}

// fetchError builds node-fetch's FetchError: "request to URL failed,
// reason: ...".
func (in *instance) fetchError(target string, err error) *goja.Object {
	reason := err.Error()
	var ue *url.Error
	if errors.As(err, &ue) {
		reason = ue.Err.Error()
	}
	var ne net.Error
	code := "system"
	if errors.As(err, &ne) && ne.Timeout() || errors.Is(err, context.DeadlineExceeded) {
		code = "request-timeout"
	}
	if errors.Is(err, errHostNotAllowed) {
		code = "ERR_HOST_NOT_ALLOWED"
	}
	e := in.jsError(fmt.Sprintf("request to %s failed, reason: %s", target, reason), code)
	_ = e.Set("name", "FetchError")
	_ = e.Set("type", code)
	return e
}

// response builds a node-fetch v2 Response with its body already read.
func (in *instance) response(target string, resp *http.Response, body []byte) *goja.Object {
	vm := in.vm
	r := vm.NewObject()
	_ = r.Set("ok", resp.StatusCode >= 200 && resp.StatusCode < 300)
	_ = r.Set("status", resp.StatusCode)
	_ = r.Set("statusText", http.StatusText(resp.StatusCode))
	final := target
	if resp.Request != nil && resp.Request.URL != nil {
		final = resp.Request.URL.String()
	}
	_ = r.Set("url", final)
	_ = r.Set("redirected", final != target)
	_ = r.Set("headers", in.headersObject(resp.Header))
	used := false
	consume := func() (*goja.Promise, func(any) error, func(any) error, bool) {
		p, resolve, reject := vm.NewPromise()
		if used {
			_ = reject(vm.NewTypeError("body used already for: " + final))
			return p, resolve, reject, false
		}
		used = true
		return p, resolve, reject, true
	}
	_ = r.Set("bodyUsed", false)
	_ = r.Set("text", func(goja.FunctionCall) goja.Value {
		p, resolve, _, ok := consume()
		if ok {
			_ = r.Set("bodyUsed", true)
			_ = resolve(string(body))
		}
		return vm.ToValue(p)
	})
	_ = r.Set("json", func(goja.FunctionCall) goja.Value {
		p, resolve, reject, ok := consume()
		if !ok {
			return vm.ToValue(p)
		}
		_ = r.Set("bodyUsed", true)
		v, err := in.jsonParse(goja.Undefined(), vm.ToValue(string(body)))
		if err != nil {
			msg := err.Error()
			var exc *goja.Exception
			if errors.As(err, &exc) {
				msg, _ = in.describe(exc.Value())
			}
			e := in.jsError(fmt.Sprintf("invalid json response body at %s reason: %s", final, msg), "invalid-json")
			_ = e.Set("name", "FetchError")
			_ = reject(e)
		} else {
			_ = resolve(v)
		}
		return vm.ToValue(p)
	})
	_ = r.Set("buffer", func(goja.FunctionCall) goja.Value {
		p, resolve, _, ok := consume()
		if ok {
			_ = resolve(vm.NewArrayBuffer(bytes.Clone(body)))
		}
		return vm.ToValue(p)
	})
	_ = r.Set("arrayBuffer", r.Get("buffer"))
	return r
}

// headersObject is node-fetch's Headers: get (values joined with ", "),
// has, raw, forEach.
func (in *instance) headersObject(h http.Header) *goja.Object {
	vm := in.vm
	o := vm.NewObject()
	_ = o.Set("get", func(c goja.FunctionCall) goja.Value {
		vals := h.Values(c.Argument(0).String())
		if len(vals) == 0 {
			return goja.Null()
		}
		return vm.ToValue(strings.Join(vals, ", "))
	})
	_ = o.Set("has", func(c goja.FunctionCall) goja.Value {
		return vm.ToValue(len(h.Values(c.Argument(0).String())) > 0)
	})
	_ = o.Set("raw", func(goja.FunctionCall) goja.Value {
		raw := map[string]any{}
		for k, v := range h {
			vals := make([]any, len(v))
			for i := range v {
				vals[i] = v[i]
			}
			raw[strings.ToLower(k)] = vals
		}
		return vm.ToValue(raw)
	})
	_ = o.Set("forEach", func(c goja.FunctionCall) goja.Value {
		fn, ok := goja.AssertFunction(c.Argument(0))
		if !ok {
			return goja.Undefined()
		}
		for k, v := range h {
			if _, err := fn(goja.Undefined(), vm.ToValue(strings.Join(v, ", ")), vm.ToValue(strings.ToLower(k))); err != nil {
				panic(err)
			}
		}
		return goja.Undefined()
	})
	return o
}
