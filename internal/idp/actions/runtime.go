package actions

import (
	"context"
	"crypto/sha256"
	_ "embed"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"runtime/debug"
	"runtime/metrics"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/dop251/goja"
	"github.com/dop251/goja_nodejs/buffer"
	"github.com/dop251/goja_nodejs/eventloop"
	"github.com/dop251/goja_nodejs/require"
	"github.com/dop251/goja_nodejs/url"
)

// Config tunes a [Runtime]. Zero values take the defaults.
type Config struct {
	// FlowTimeout bounds one flow: every action bound to a trigger, run in
	// order (default 20 s, Auth0's limit).
	FlowTimeout time.Duration
	// FetchTimeout bounds one fetch request (default 10 s; the flow's
	// limit applies too).
	FetchTimeout time.Duration
	// AllowedHosts limits fetch to these host names; an entry "*.example.com"
	// matches any subdomain. Empty allows every host.
	AllowedHosts []string
	// HTTPClient sends fetch requests; its redirect policy is replaced so
	// that redirects stay inside AllowedHosts (default: a new client).
	HTTPClient *http.Client
	// PoolSize is how many ready runtimes are kept warm (default 4).
	PoolSize int
	// MaxLogBytes caps the console output kept per flow (default 64 KiB).
	MaxLogBytes int
	// MaxResponseBytes caps a fetch response body (default 5 MiB).
	MaxResponseBytes int64
	// MaxMemory is how much the heap may grow while one action runs
	// before the run is stopped (default 512 MiB).
	MaxMemory uint64
	// Logger receives run failures (default: discard).
	Logger *slog.Logger
	// Now is the clock (default time.Now).
	Now func() time.Time
}

func (c Config) withDefaults() Config {
	if c.FlowTimeout <= 0 {
		c.FlowTimeout = 20 * time.Second
	}
	if c.FetchTimeout <= 0 {
		c.FetchTimeout = 10 * time.Second
	}
	if c.PoolSize <= 0 {
		c.PoolSize = 4
	}
	if c.MaxLogBytes <= 0 {
		c.MaxLogBytes = 64 << 10
	}
	if c.MaxResponseBytes <= 0 {
		c.MaxResponseBytes = 5 << 20
	}
	if c.MaxMemory == 0 {
		c.MaxMemory = 512 << 20
	}
	if c.Logger == nil {
		c.Logger = slog.New(slog.DiscardHandler)
	}
	if c.Now == nil {
		c.Now = time.Now
	}
	return c
}

// Trigger names an extension point, as Auth0's trigger ids.
type Trigger string

// The triggers Postgate runs.
const (
	PostLogin            Trigger = "post-login"
	CredentialsExchange  Trigger = "credentials-exchange"
	PreUserRegistration  Trigger = "pre-user-registration"
	PostUserRegistration Trigger = "post-user-registration"
)

// triggerVersions maps each supported trigger to the version Auth0 reports.
var triggerVersions = map[Trigger]string{
	PostLogin:            "v3",
	CredentialsExchange:  "v2",
	PreUserRegistration:  "v2",
	PostUserRegistration: "v2",
}

// Handler returns the exported function name an action implements for t.
func (t Trigger) Handler() string {
	switch t {
	case PostLogin:
		return "onExecutePostLogin"
	case CredentialsExchange:
		return "onExecuteCredentialsExchange"
	case PreUserRegistration:
		return "onExecutePreUserRegistration"
	case PostUserRegistration:
		return "onExecutePostUserRegistration"
	}
	return ""
}

// Valid reports whether t is a trigger Postgate runs.
func (t Trigger) Valid() bool { return t.Handler() != "" }

// Action is one deployed action version, ready to run.
type Action struct {
	// ID and Name identify the action; VersionID the immutable version
	// (compiled code is cached per version).
	ID        string
	Name      string
	VersionID string
	Code      string
	// Secrets become event.secrets.
	Secrets map[string]string
}

// Runtime executes actions. It is safe for concurrent use; every action
// run gets a fresh goja runtime taken from a pool kept warm in the
// background, and compiled programs are cached per action version.
type Runtime struct {
	cfg      Config
	client   *http.Client
	programs *programCache
	warm     chan *instance
	building atomic.Int32 // runtimes being built for the pool
	cache    *kvCache
	// prelude is the compiled JavaScript half of node-fetch and axios.
	prelude    *goja.Program
	preludeErr error
}

// New returns a Runtime and starts warming its pool.
func New(cfg Config) *Runtime {
	cfg = cfg.withDefaults()
	r := &Runtime{
		cfg:      cfg,
		programs: newProgramCache(512),
		warm:     make(chan *instance, cfg.PoolSize),
		cache:    newKVCache(cfg.Now),
	}
	r.client = r.newHTTPClient(cfg.HTTPClient)
	r.prelude, r.preludeErr = goja.Compile("postgate-prelude.js", preludeSource, true)
	r.building.Add(int32(cfg.PoolSize))
	go func() {
		for range cfg.PoolSize {
			r.refill()
		}
	}()
	return r
}

// take returns a ready runtime, creating one when the pool is empty, and
// starts building a replacement unless enough are on their way.
func (r *Runtime) take() *instance {
	var in *instance
	select {
	case in = <-r.warm:
	default:
		in = r.newInstance()
	}
	if int(r.building.Load())+len(r.warm) < r.cfg.PoolSize {
		r.building.Add(1)
		go r.refill()
	}
	return in
}

// refill adds one runtime to the pool unless it is full.
func (r *Runtime) refill() {
	defer r.building.Add(-1)
	in := r.newInstance()
	select {
	case r.warm <- in:
	default:
	}
}

// instance is one single-use goja runtime with its event loop and the
// sandbox's globals installed.
type instance struct {
	rt        *Runtime
	loop      *eventloop.EventLoop
	vm        *goja.Runtime
	exec      *execution
	fetchMod  goja.Value
	builtins  map[string]goja.Value
	jsonParse goja.Callable
	stringify goja.Callable
}

// noFiles refuses every module file: actions never read the file system.
func noFiles(string) ([]byte, error) { return nil, require.ModuleFileDoesNotExistError }

func (r *Runtime) newInstance() *instance {
	reg := require.NewRegistry(require.WithLoader(noFiles))
	loop := eventloop.NewEventLoop(eventloop.WithRegistry(reg), eventloop.EnableConsole(false))
	in := &instance{rt: r, loop: loop, builtins: map[string]goja.Value{}}
	loop.Run(func(vm *goja.Runtime) {
		in.vm = vm
		vm.SetMaxCallStackSize(4096)
		url.Enable(vm)
		buffer.Enable(vm)
		in.builtins["url"] = require.Require(vm, "url")
		in.builtins["buffer"] = require.Require(vm, "buffer")
		jsonObj := vm.Get("JSON").ToObject(vm)
		in.jsonParse, _ = goja.AssertFunction(jsonObj.Get("parse"))
		in.stringify, _ = goja.AssertFunction(jsonObj.Get("stringify"))
		fetch := vm.ToValue(in.fetch)
		fo := fetch.ToObject(vm)
		_ = fo.Set("default", fetch)
		in.fetchMod = fetch
		_ = vm.Set("fetch", fetch)
		if mods, err := in.prelude(fetch); err == nil {
			headers := mods.Get("Headers")
			_ = fo.Set("Headers", headers)
			_ = vm.Set("Headers", headers)
			in.builtins["axios"] = mods.Get("axios")
		} else {
			r.cfg.Logger.Error("actions prelude", "type", "auth", "error", err.Error())
		}
		_ = vm.Set("require", in.require)
		_ = vm.Set("console", in.console())
		// No process, no file system: remove what Node would have.
		_ = vm.GlobalObject().Delete("process")
		for _, name := range []string{"setTimeout", "setInterval", "setImmediate"} {
			in.guardTimer(name)
		}
	})
	return in
}

// guardTimer replaces a timer function so that its callbacks run under
// recover, and an error they throw fails the run (as an uncaught
// exception fails an Auth0 Action) instead of being lost.
func (in *instance) guardTimer(name string) {
	vm := in.vm
	orig, ok := goja.AssertFunction(vm.Get(name))
	if !ok {
		return
	}
	_ = vm.Set(name, func(call goja.FunctionCall) goja.Value {
		cb, ok := goja.AssertFunction(call.Argument(0))
		if !ok {
			panic(vm.NewTypeError("The \"callback\" argument must be of type function"))
		}
		wrapped := func(c goja.FunctionCall) goja.Value {
			defer in.recoverPanic()
			if _, err := cb(goja.Undefined(), c.Arguments...); err != nil {
				in.fail(err)
			}
			return goja.Undefined()
		}
		args := append([]goja.Value{vm.ToValue(wrapped)}, call.Arguments[1:]...)
		v, err := orig(goja.Undefined(), args...)
		if err != nil {
			panic(err)
		}
		return v
	})
}

// onLoop runs fn on the event loop under recover.
func (in *instance) onLoop(fn func()) bool {
	return in.loop.RunOnLoop(func(*goja.Runtime) {
		defer in.recoverPanic()
		fn()
	})
}

// recoverPanic turns a Go panic inside the runtime into a failed run: one
// action's bug in Postgate's bindings must not take the server down.
func (in *instance) recoverPanic() {
	x := recover()
	if x == nil {
		return
	}
	in.rt.cfg.Logger.Error("actions runtime panic", "type", "auth", "panic", fmt.Sprint(x), "stack", string(debug.Stack()))
	in.fail(fmt.Errorf("internal error in the Actions runtime: %v", x))
}

// fail ends the current run with err.
func (in *instance) fail(err error) {
	ex := in.exec
	if ex == nil || ex.finish == nil {
		return
	}
	ex.finish(outcome{err: in.runError(ex.action, err)})
}

//go:embed prelude.js
var preludeSource string

// prelude evaluates the JavaScript half of node-fetch (Headers) and axios.
func (in *instance) prelude(fetch goja.Value) (*goja.Object, error) {
	if in.rt.prelude == nil {
		return nil, in.rt.preludeErr
	}
	fn, err := in.vm.RunProgram(in.rt.prelude)
	if err != nil {
		return nil, err
	}
	call, ok := goja.AssertFunction(fn)
	if !ok {
		return nil, errors.New("the prelude is not a function")
	}
	mods, err := call(goja.Undefined(), fetch)
	if err != nil {
		return nil, err
	}
	return mods.ToObject(in.vm), nil
}

// require resolves the modules Postgate provides; anything else throws
// as Node does for a missing module.
func (in *instance) require(call goja.FunctionCall) goja.Value {
	name := call.Argument(0).String()
	switch strings.TrimPrefix(name, "node:") {
	case "node-fetch":
		return in.fetchMod
	case "url":
		return in.builtins["url"]
	case "buffer":
		return in.builtins["buffer"]
	case "axios":
		if ax := in.builtins["axios"]; ax != nil {
			return ax
		}
	}
	panic(in.jsError("Cannot find module '"+name+"': Postgate Actions provide "+strings.Join(ProvidedModules(), ", "), "MODULE_NOT_FOUND"))
}

// jsError builds a JavaScript Error with a code property.
func (in *instance) jsError(msg, code string) *goja.Object {
	ctor := in.vm.Get("Error")
	obj, err := in.vm.New(ctor, in.vm.ToValue(msg))
	if err != nil {
		return in.vm.NewGoError(errors.New(msg))
	}
	if code != "" {
		_ = obj.Set("code", code)
	}
	return obj
}

// execution is the state of one action run inside one instance.
type execution struct {
	ctx    context.Context
	flow   *flow
	action Action
	// finish reports the run's outcome; only the first report counts.
	finish func(outcome)
}

// flow accumulates what the actions of one flow asked for.
type flow struct {
	trigger  Trigger
	res      *Result
	logBytes int
	maxLog   int
	now      func() time.Time
}

// Result is what a flow's actions did.
type Result struct {
	// Denied stops the flow; DenyReason says why (DenyCode is the OAuth
	// error code a credentials-exchange action chose, if any).
	Denied     bool
	DenyReason string
	DenyCode   string
	// AccessTokenClaims and IDTokenClaims are the custom claims set.
	AccessTokenClaims map[string]any
	IDTokenClaims     map[string]any
	// AddScopes and RemoveScopes change the access token's scope.
	AddScopes    []string
	RemoveScopes []string
	// AppMetadata and UserMetadata are the metadata changes; a nil value
	// deletes the key.
	AppMetadata  map[string]any
	UserMetadata map[string]any
	// Unsupported lists api calls Postgate does not implement yet
	// (multifactor, redirect); they were recorded and ignored.
	Unsupported []string
	// Logs is the console output, in order.
	Logs []LogEntry
	// Runs reports each action executed.
	Runs []RunReport
}

// LogEntry is one console call.
type LogEntry struct {
	Action  string    `json:"action"`
	Level   string    `json:"level"`
	Message string    `json:"message"`
	Time    time.Time `json:"time"`
}

// RunReport describes one action's execution.
type RunReport struct {
	Action   string        `json:"action"`
	Version  string        `json:"version_id,omitempty"`
	Duration time.Duration `json:"-"`
	Error    string        `json:"error,omitempty"`
}

func newResult() *Result {
	return &Result{
		AccessTokenClaims: map[string]any{},
		IDTokenClaims:     map[string]any{},
		AppMetadata:       map[string]any{},
		UserMetadata:      map[string]any{},
	}
}

// Run executes chain for trigger on event, in order, each action seeing
// the previous ones' effects; a deny or an error stops the chain. event is
// any value that encodes to Auth0's event JSON (the identity provider's
// event structs, a map, or json.RawMessage). A thrown error, a rejected
// promise or the time limit returns a *RunError with the partial Result.
func (r *Runtime) Run(ctx context.Context, trigger Trigger, chain []Action, event any) (*Result, error) {
	if !trigger.Valid() {
		return nil, invalidf("unknown trigger %q", trigger)
	}
	base, err := eventMap(event)
	if err != nil {
		return nil, err
	}
	ctx, cancel := context.WithTimeoutCause(ctx, r.cfg.FlowTimeout, errFlowTimeout)
	defer cancel()
	f := &flow{trigger: trigger, res: newResult(), maxLog: r.cfg.MaxLogBytes, now: r.cfg.Now}
	for _, a := range chain {
		start := time.Now()
		err := r.runOne(ctx, f, a, base)
		rep := RunReport{Action: a.Name, Version: a.VersionID, Duration: time.Since(start)}
		if err != nil {
			rep.Error = err.Error()
			f.res.Runs = append(f.res.Runs, rep)
			return f.res, err
		}
		f.res.Runs = append(f.res.Runs, rep)
		if f.res.Denied {
			break
		}
	}
	return f.res, nil
}

var errFlowTimeout = errors.New("flow time limit")

// eventMap turns the event into a generic JSON object.
func eventMap(event any) (map[string]any, error) {
	var raw []byte
	switch e := event.(type) {
	case nil:
		return map[string]any{}, nil
	case json.RawMessage:
		raw = e
	case []byte:
		raw = e
	default:
		b, err := json.Marshal(event)
		if err != nil {
			return nil, fmt.Errorf("actions: encoding the event: %w", err)
		}
		raw = b
	}
	m := map[string]any{}
	if err := json.Unmarshal(raw, &m); err != nil {
		return nil, invalidf("the event must be a JSON object: %v", err)
	}
	normaliseEvent(m)
	return m, nil
}

// normaliseEvent gives the fields Auth0 always fills an empty object or
// list instead of null, so that event.user.app_metadata.x or
// event.authorization.roles.includes(...) work as on Auth0.
func normaliseEvent(m map[string]any) {
	ensure := func(obj map[string]any, key string, empty func() any) {
		if obj != nil && obj[key] == nil {
			obj[key] = empty()
		}
	}
	object := func() any { return map[string]any{} }
	list := func() any { return []any{} }
	if u, ok := m["user"].(map[string]any); ok {
		ensure(u, "app_metadata", object)
		ensure(u, "user_metadata", object)
		ensure(u, "identities", list)
	}
	if a, ok := m["authorization"].(map[string]any); ok {
		ensure(a, "roles", list)
	}
	if tx, ok := m["transaction"].(map[string]any); ok {
		ensure(tx, "requested_scopes", list)
	}
	if c, ok := m["client"].(map[string]any); ok {
		ensure(c, "metadata", object)
	}
	if r, ok := m["request"].(map[string]any); ok {
		ensure(r, "query", object)
		ensure(r, "body", object)
	}
}

// eventFor is the event one action sees: the flow's event with that
// action's secrets and the metadata changes made so far.
func (f *flow) eventFor(base map[string]any, a Action) ([]byte, error) {
	ev := make(map[string]any, len(base)+1)
	for k, v := range base {
		ev[k] = v
	}
	secrets := map[string]any{}
	for k, v := range a.Secrets {
		secrets[k] = v
	}
	ev["secrets"] = secrets
	if u, ok := base["user"].(map[string]any); ok && (len(f.res.AppMetadata) > 0 || len(f.res.UserMetadata) > 0) {
		user := make(map[string]any, len(u))
		for k, v := range u {
			user[k] = v
		}
		user["app_metadata"] = mergeMeta(user["app_metadata"], f.res.AppMetadata)
		user["user_metadata"] = mergeMeta(user["user_metadata"], f.res.UserMetadata)
		ev["user"] = user
	}
	return json.Marshal(ev)
}

func mergeMeta(old any, changes map[string]any) map[string]any {
	out := map[string]any{}
	if m, ok := old.(map[string]any); ok {
		for k, v := range m {
			out[k] = v
		}
	}
	for k, v := range changes {
		if v == nil {
			delete(out, k)
		} else {
			out[k] = v
		}
	}
	return out
}

// outcome is how a run's promise settled.
type outcome struct {
	err error
}

// runOne executes one action in a fresh runtime.
func (r *Runtime) runOne(ctx context.Context, f *flow, a Action, base map[string]any) error {
	prog, err := r.programs.get(a)
	if err != nil {
		return &RunError{Kind: KindCompile, Action: a.Name, Message: err.Error(), cause: err}
	}
	evJSON, err := f.eventFor(base, a)
	if err != nil {
		return fmt.Errorf("actions: encoding the event: %w", err)
	}
	if err := ctx.Err(); err != nil {
		return r.ctxError(ctx, a)
	}
	in := r.take()
	// The loop runs in this goroutine (no hand-off for the common,
	// synchronous-looking case); the first outcome reported stops it.
	done := make(chan outcome, 1)
	finish := func(o outcome) {
		select {
		case done <- o:
		default:
		}
		in.loop.StopNoWait()
	}
	in.exec = &execution{ctx: ctx, flow: f, action: a, finish: finish}
	expired := make(chan struct{})
	stop := context.AfterFunc(ctx, func() {
		defer close(expired)
		// Report first: the interrupted job's own report must not win.
		finish(outcome{err: r.ctxError(ctx, a)})
		in.vm.Interrupt(errFlowTimeout)
	})
	watchDone := make(chan struct{})
	watchStopped := r.watchMemory(in, a, finish, watchDone)
	in.onLoop(func() {
		if o := in.start(prog, a, evJSON, finish); o.err != errPending {
			finish(o)
		}
	})
	in.loop.StartInForeground()
	close(watchDone)
	<-watchStopped
	if !stop() {
		<-expired
	}
	var o outcome
	select {
	case o = <-done:
	default:
		o = outcome{err: &RunError{Kind: KindThrown, Action: a.Name, Message: "the action stopped without an outcome"}}
	}
	in.loop.Terminate()
	in.exec = nil
	return o.err
}

// watchMemory stops a run whose heap growth passes MaxMemory: goja has no
// memory limit of its own, and an action filling memory must fail its
// login, not take the server down. The heap is the process's, so the
// limit is generous; it catches runaway allocation loops.
func (r *Runtime) watchMemory(in *instance, a Action, finish func(outcome), done <-chan struct{}) <-chan struct{} {
	stopped := make(chan struct{})
	go func() {
		defer close(stopped)
		base := heapBytes()
		tick := time.NewTicker(10 * time.Millisecond)
		defer tick.Stop()
		for {
			select {
			case <-done:
				return
			case <-tick.C:
				// A collection during the run may free what was live
				// before it: measure from the lowest level seen.
				cur := heapBytes()
				base = min(base, cur)
				if cur > base+r.cfg.MaxMemory {
					finish(outcome{err: &RunError{Kind: KindMemory, Action: a.Name,
						Message: fmt.Sprintf("Action exceeded the memory limit of %d MiB", r.cfg.MaxMemory>>20)}})
					in.vm.Interrupt(errMemoryLimit)
					return
				}
			}
		}
	}()
	return stopped
}

var errMemoryLimit = errors.New("memory limit")

// heapBytes reads the bytes of heap objects (live or not yet collected).
// Between collections the rest of the process adds at most about its live
// heap in garbage, far below the limit for a server like Postgate.
func heapBytes() uint64 {
	sample := []metrics.Sample{{Name: "/memory/classes/heap/objects:bytes"}}
	metrics.Read(sample)
	if sample[0].Value.Kind() != metrics.KindUint64 {
		return 0
	}
	return sample[0].Value.Uint64()
}

func (r *Runtime) ctxError(ctx context.Context, a Action) error {
	if errors.Is(context.Cause(ctx), errFlowTimeout) {
		return &RunError{Kind: KindTimeout, Action: a.Name,
			Message: fmt.Sprintf("Action execution exceeded the time limit of %s", r.cfg.FlowTimeout), cause: context.DeadlineExceeded}
	}
	return &RunError{Kind: KindCanceled, Action: a.Name, Message: "the flow was canceled", cause: ctx.Err()}
}

// pending is the outcome marker for a run still waiting on its promise.
var pending = outcome{err: errPending}

var errPending = errors.New("pending")

// start runs the module and calls the handler on the loop. It returns the
// outcome when the handler finished synchronously, or pending when finish
// will be called once its promise settles.
func (in *instance) start(prog *goja.Program, a Action, evJSON []byte, finish func(outcome)) outcome {
	vm := in.vm
	fail := func(err error) outcome { return outcome{err: in.runError(a, err)} }
	wrapper, err := vm.RunProgram(prog)
	if err != nil {
		return fail(err)
	}
	call, ok := goja.AssertFunction(wrapper)
	if !ok {
		return outcome{err: &RunError{Kind: KindCompile, Action: a.Name, Message: "the action did not compile to a module"}}
	}
	module := vm.NewObject()
	exports := vm.NewObject()
	_ = module.Set("exports", exports)
	if _, err := call(goja.Undefined(), exports, vm.Get("require"), module, vm.ToValue("/action/"+a.Name+".js"), vm.ToValue("/action")); err != nil {
		return fail(err)
	}
	name := in.exec.flow.trigger.Handler()
	handler, ok := goja.AssertFunction(module.Get("exports").ToObject(vm).Get(name))
	if !ok {
		return outcome{err: &RunError{Kind: KindHandler, Action: a.Name, Message: "the action does not export " + name}}
	}
	event, err := in.jsonParse(goja.Undefined(), vm.ToValue(string(evJSON)))
	if err != nil {
		return fail(err)
	}
	ret, err := handler(goja.Undefined(), event, in.api())
	if err != nil {
		return fail(err)
	}
	p, ok := ret.Export().(*goja.Promise)
	if !ok {
		return outcome{}
	}
	switch p.State() {
	case goja.PromiseStateFulfilled:
		return outcome{}
	case goja.PromiseStateRejected:
		return in.rejected(a, p.Result())
	}
	then, _ := goja.AssertFunction(ret.ToObject(vm).Get("then"))
	onOK := vm.ToValue(func(goja.FunctionCall) goja.Value {
		finish(outcome{})
		return goja.Undefined()
	})
	onErr := vm.ToValue(func(c goja.FunctionCall) goja.Value {
		finish(in.rejected(a, c.Argument(0)))
		return goja.Undefined()
	})
	if _, err := then(ret, onOK, onErr); err != nil {
		return fail(err)
	}
	return pending
}

// rejected turns a rejection value into a thrown RunError.
func (in *instance) rejected(a Action, v goja.Value) outcome {
	msg, stack := in.describe(v)
	return outcome{err: &RunError{Kind: KindThrown, Action: a.Name, Message: msg, Stack: stack}}
}

// runError converts a goja error into a RunError.
func (in *instance) runError(a Action, err error) error {
	var intr *goja.InterruptedError
	if errors.As(err, &intr) {
		return &RunError{Kind: KindTimeout, Action: a.Name,
			Message: fmt.Sprintf("Action execution exceeded the time limit of %s", in.rt.cfg.FlowTimeout), cause: err}
	}
	var so *goja.StackOverflowError
	if errors.As(err, &so) {
		return &RunError{Kind: KindThrown, Action: a.Name, Message: "RangeError: Maximum call stack size exceeded", Stack: so.String(), cause: err}
	}
	var exc *goja.Exception
	if errors.As(err, &exc) && exc.Value() != nil {
		msg, stack := in.describe(exc.Value())
		return &RunError{Kind: KindThrown, Action: a.Name, Message: msg, Stack: stack}
	}
	return &RunError{Kind: KindThrown, Action: a.Name, Message: err.Error(), cause: err}
}

// describe returns an error value's message and stack.
func (in *instance) describe(v goja.Value) (msg, stack string) {
	if v == nil || goja.IsUndefined(v) || goja.IsNull(v) {
		return "the action failed without a reason", ""
	}
	if obj, ok := v.(*goja.Object); ok {
		if m := obj.Get("message"); m != nil && !goja.IsUndefined(m) {
			msg = m.String()
			if s := obj.Get("stack"); s != nil && !goja.IsUndefined(s) {
				stack = s.String()
			}
			return msg, stack
		}
	}
	return v.String(), ""
}

// programCache keeps compiled modules per action version.
type programCache struct {
	mu    sync.Mutex
	max   int
	progs map[string]*goja.Program
}

func newProgramCache(max int) *programCache {
	return &programCache{max: max, progs: map[string]*goja.Program{}}
}

func (c *programCache) get(a Action) (*goja.Program, error) {
	sum := sha256.Sum256([]byte(a.Code))
	key := a.VersionID + ":" + hex.EncodeToString(sum[:8])
	c.mu.Lock()
	p, ok := c.progs[key]
	c.mu.Unlock()
	if ok {
		return p, nil
	}
	p, err := Compile(a.Name, a.Code)
	if err != nil {
		return nil, err
	}
	c.mu.Lock()
	if len(c.progs) >= c.max {
		clear(c.progs)
	}
	c.progs[key] = p
	c.mu.Unlock()
	return p, nil
}

// Compile parses an action's code as a CommonJS module body.
func Compile(name, code string) (*goja.Program, error) {
	src := "(function (exports, require, module, __filename, __dirname) {" + code + "\n})"
	p, err := goja.Compile(name+".js", src, false)
	if err != nil {
		return nil, fmt.Errorf("syntax error: %v", err)
	}
	return p, nil
}
