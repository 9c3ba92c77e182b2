package actions

import (
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/dop251/goja"
)

// restrictedClaims are claims an action may not set: the identity provider
// owns them (Auth0 ignores them the same way).
var restrictedClaims = map[string]bool{
	"iss": true, "sub": true, "aud": true, "exp": true, "nbf": true, "iat": true, "jti": true,
	"azp": true, "scope": true, "permissions": true, "gty": true, "auth_time": true,
	"nonce": true, "at_hash": true, "c_hash": true, "acr": true, "amr": true, "sid": true, "org_id": true,
}

// console returns the console object whose output goes to the flow's logs.
func (in *instance) console() *goja.Object {
	c := in.vm.NewObject()
	for _, level := range []string{"log", "info", "warn", "error", "debug", "trace"} {
		_ = c.Set(level, func(call goja.FunctionCall) goja.Value {
			in.log(level, in.format(call.Arguments))
			return goja.Undefined()
		})
	}
	return c
}

// format renders console arguments: strings as they are, other values as
// JSON when they have a JSON form.
func (in *instance) format(args []goja.Value) string {
	parts := make([]string, 0, len(args))
	for _, a := range args {
		switch {
		case a == nil || goja.IsUndefined(a):
			parts = append(parts, "undefined")
		case goja.IsNull(a):
			parts = append(parts, "null")
		default:
			if _, isStr := a.Export().(string); isStr {
				parts = append(parts, a.String())
				continue
			}
			if obj, ok := a.(*goja.Object); ok {
				if _, isFn := goja.AssertFunction(obj); !isFn && obj.ClassName() != "Error" {
					if s, err := in.stringify(goja.Undefined(), a); err == nil && !goja.IsUndefined(s) {
						parts = append(parts, s.String())
						continue
					}
				}
				if obj.ClassName() == "Error" {
					if st := obj.Get("stack"); st != nil && !goja.IsUndefined(st) {
						parts = append(parts, st.String())
						continue
					}
				}
			}
			parts = append(parts, a.String())
		}
	}
	return strings.Join(parts, " ")
}

// log appends to the flow's logs within its size budget.
func (in *instance) log(level, msg string) {
	ex := in.exec
	if ex == nil {
		return
	}
	f := ex.flow
	if f.logBytes >= f.maxLog {
		return
	}
	if room := f.maxLog - f.logBytes; len(msg) > room {
		msg = msg[:room] + "…(truncated)"
	}
	f.logBytes += len(msg)
	f.res.Logs = append(f.res.Logs, LogEntry{Action: ex.action.Name, Level: level, Message: msg, Time: f.now()})
}

// api builds the api object for the current trigger.
func (in *instance) api() *goja.Object {
	vm := in.vm
	ex := in.exec
	f := ex.flow
	res := f.res
	api := vm.NewObject()
	ret := func() goja.Value { return api }
	method := func(obj *goja.Object, name string, fn func(goja.FunctionCall)) {
		_ = obj.Set(name, func(c goja.FunctionCall) goja.Value {
			fn(c)
			return ret()
		})
	}
	claimSetter := func(dst map[string]any, token string) func(goja.FunctionCall) {
		return func(c goja.FunctionCall) {
			key := c.Argument(0).String()
			if key == "" || restrictedClaims[key] {
				in.log("warn", "api."+token+".setCustomClaim: the claim \""+key+"\" is reserved and was ignored")
				return
			}
			dst[key] = exportJSON(c.Argument(1))
		}
	}
	obj := func(name string) *goja.Object {
		o := vm.NewObject()
		_ = api.Set(name, o)
		return o
	}
	denyWith := func(reason string) {
		res.Denied = true
		res.DenyReason = reason
	}

	cache := obj("cache")
	in.installCache(cache, ex.action.ID)

	switch f.trigger {
	case PostLogin:
		at := obj("accessToken")
		method(at, "setCustomClaim", claimSetter(res.AccessTokenClaims, "accessToken"))
		method(at, "addScope", func(c goja.FunctionCall) {
			s := c.Argument(0).String()
			res.RemoveScopes = slices.DeleteFunc(res.RemoveScopes, func(x string) bool { return x == s })
			if !slices.Contains(res.AddScopes, s) {
				res.AddScopes = append(res.AddScopes, s)
			}
		})
		method(at, "removeScope", func(c goja.FunctionCall) {
			s := c.Argument(0).String()
			res.AddScopes = slices.DeleteFunc(res.AddScopes, func(x string) bool { return x == s })
			if !slices.Contains(res.RemoveScopes, s) {
				res.RemoveScopes = append(res.RemoveScopes, s)
			}
		})
		it := obj("idToken")
		method(it, "setCustomClaim", claimSetter(res.IDTokenClaims, "idToken"))
		access := obj("access")
		method(access, "deny", func(c goja.FunctionCall) { denyWith(argString(c, 0)) })
		in.installMetadata(obj("user"), res, api)
		mfa := obj("multifactor")
		in.unsupported(mfa, "multifactor", "enable")
		red := obj("redirect")
		in.unsupported(red, "redirect", "sendUserTo")
		_ = red.Set("encodeToken", func(goja.FunctionCall) goja.Value {
			in.recordUnsupported("api.redirect.encodeToken")
			return vm.ToValue("")
		})
		_ = red.Set("validateToken", func(goja.FunctionCall) goja.Value {
			in.recordUnsupported("api.redirect.validateToken")
			return vm.NewObject()
		})
		authn := obj("authentication")
		in.unsupported(authn, "authentication", "challengeWith", "challengeWithAny", "enrollWith", "enrollWithAny", "recordMethod", "setPrimaryUser")
	case CredentialsExchange:
		at := obj("accessToken")
		method(at, "setCustomClaim", claimSetter(res.AccessTokenClaims, "accessToken"))
		access := obj("access")
		// api.access.deny(code, reason): code is invalid_scope, invalid_request or server_error.
		method(access, "deny", func(c goja.FunctionCall) {
			if len(c.Arguments) >= 2 {
				res.DenyCode = argString(c, 0)
				denyWith(argString(c, 1))
				return
			}
			denyWith(argString(c, 0))
		})
	case PreUserRegistration:
		access := obj("access")
		// api.access.deny(reason, userMessage): the user sees userMessage.
		method(access, "deny", func(c goja.FunctionCall) {
			reason := argString(c, 0)
			if len(c.Arguments) >= 2 {
				reason = argString(c, 1)
			}
			denyWith(reason)
		})
		validation := obj("validation")
		method(validation, "error", func(c goja.FunctionCall) {
			res.DenyCode = argString(c, 0)
			denyWith(argString(c, 1))
		})
		in.installMetadata(obj("user"), res, api)
	case PostUserRegistration:
		// Only api.cache.
	}
	return api
}

// argString returns argument i as a string ("" when missing).
func argString(c goja.FunctionCall, i int) string {
	v := c.Argument(i)
	if goja.IsUndefined(v) || goja.IsNull(v) {
		return ""
	}
	return v.String()
}

// installMetadata adds setAppMetadata/setUserMetadata (null deletes).
func (in *instance) installMetadata(user *goja.Object, res *Result, api *goja.Object) {
	set := func(dst map[string]any) func(goja.FunctionCall) goja.Value {
		return func(c goja.FunctionCall) goja.Value {
			v := c.Argument(1)
			if goja.IsUndefined(v) || goja.IsNull(v) {
				dst[c.Argument(0).String()] = nil
			} else {
				dst[c.Argument(0).String()] = exportJSON(v)
			}
			return api
		}
	}
	_ = user.Set("setAppMetadata", set(res.AppMetadata))
	_ = user.Set("setUserMetadata", set(res.UserMetadata))
}

// unsupported installs methods that record they were asked for and do
// nothing else.
func (in *instance) unsupported(obj *goja.Object, prefix string, names ...string) {
	for _, n := range names {
		full := "api." + prefix + "." + n
		_ = obj.Set(n, func(goja.FunctionCall) goja.Value {
			in.recordUnsupported(full)
			return goja.Undefined()
		})
	}
}

func (in *instance) recordUnsupported(name string) {
	res := in.exec.flow.res
	if !slices.Contains(res.Unsupported, name) {
		res.Unsupported = append(res.Unsupported, name)
	}
	in.log("warn", name+" is not supported by Postgate yet; the call was ignored")
}

// exportJSON exports a JS value to plain JSON-compatible Go values.
func exportJSON(v goja.Value) any {
	if v == nil || goja.IsUndefined(v) || goja.IsNull(v) {
		return nil
	}
	return normalise(v.Export())
}

// normalise drops what JSON cannot carry (functions) and converts typed
// slices and maps to their generic forms.
func normalise(x any) any {
	switch t := x.(type) {
	case map[string]any:
		out := make(map[string]any, len(t))
		for k, v := range t {
			if _, isFn := v.(func(goja.FunctionCall) goja.Value); isFn {
				continue
			}
			out[k] = normalise(v)
		}
		return out
	case []any:
		out := make([]any, len(t))
		for i, v := range t {
			out[i] = normalise(v)
		}
		return out
	case func(goja.FunctionCall) goja.Value:
		return nil
	}
	return x
}

// installCache adds api.cache.get/set/delete, kept per action.
func (in *instance) installCache(obj *goja.Object, actionID string) {
	vm := in.vm
	kv := in.rt.cache
	_ = obj.Set("get", func(c goja.FunctionCall) goja.Value {
		v, exp, ok := kv.get(actionID, c.Argument(0).String())
		if !ok {
			return goja.Undefined()
		}
		rec := vm.NewObject()
		_ = rec.Set("value", v)
		_ = rec.Set("expires_at", exp.UnixMilli())
		return rec
	})
	_ = obj.Set("set", func(c goja.FunctionCall) goja.Value {
		ttl := 24 * time.Hour
		var expiresAt time.Time
		if o, ok := c.Argument(2).(*goja.Object); ok {
			if t := o.Get("ttl"); t != nil && !goja.IsUndefined(t) && t.ToInteger() > 0 {
				ttl = time.Duration(t.ToInteger()) * time.Millisecond
			}
			if e := o.Get("expires_at"); e != nil && !goja.IsUndefined(e) && e.ToInteger() > 0 {
				expiresAt = time.UnixMilli(e.ToInteger())
			}
		}
		exp := kv.set(actionID, c.Argument(0).String(), c.Argument(1).String(), ttl, expiresAt)
		out := vm.NewObject()
		_ = out.Set("type", "success")
		rec := vm.NewObject()
		_ = rec.Set("value", c.Argument(1).String())
		_ = rec.Set("expires_at", exp.UnixMilli())
		_ = out.Set("record", rec)
		return out
	})
	_ = obj.Set("delete", func(c goja.FunctionCall) goja.Value {
		kv.delete(actionID, c.Argument(0).String())
		out := vm.NewObject()
		_ = out.Set("type", "success")
		return out
	})
}

// kvCache is api.cache's store: per action, in memory, with expiry.
type kvCache struct {
	mu      sync.Mutex
	now     func() time.Time
	entries map[string]kvEntry
}

type kvEntry struct {
	value   string
	expires time.Time
}

// maxCacheEntries bounds the cache (Auth0 allows 20 entries per action).
const maxCacheEntries = 20

func newKVCache(now func() time.Time) *kvCache {
	return &kvCache{now: now, entries: map[string]kvEntry{}}
}

func (c *kvCache) get(action, key string) (string, time.Time, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	e, ok := c.entries[action+"\x00"+key]
	if !ok || !c.now().Before(e.expires) {
		return "", time.Time{}, false
	}
	return e.value, e.expires, true
}

func (c *kvCache) set(action, key, value string, ttl time.Duration, expiresAt time.Time) time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	now := c.now()
	exp := now.Add(ttl)
	if !expiresAt.IsZero() && expiresAt.Before(exp) {
		exp = expiresAt
	}
	prefix := action + "\x00"
	n := 0
	var oldest string
	var oldestExp time.Time
	for k, e := range c.entries {
		if !now.Before(e.expires) {
			delete(c.entries, k)
			continue
		}
		if strings.HasPrefix(k, prefix) {
			n++
			if oldest == "" || e.expires.Before(oldestExp) {
				oldest, oldestExp = k, e.expires
			}
		}
	}
	if _, exists := c.entries[prefix+key]; !exists && n >= maxCacheEntries {
		delete(c.entries, oldest)
	}
	c.entries[prefix+key] = kvEntry{value: value, expires: exp}
	return exp
}

func (c *kvCache) delete(action, key string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	delete(c.entries, action+"\x00"+key)
}
