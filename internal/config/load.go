package config

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"strconv"
	"strings"
	"time"
)

// Error is a configuration value that cannot be used. Its message is one line
// naming the setting.
type Error struct {
	Setting string // "--server-port" or "HASURA_GRAPHQL_SERVER_PORT"
	Value   string
	Reason  string
}

func (e *Error) Error() string {
	return fmt.Sprintf("invalid value %q for %s: %s", e.Value, e.Setting, e.Reason)
}

// Load builds a Config from `postgate serve` arguments and environment
// variables read through getenv. Flags win over variables. It returns
// warnings (settings accepted but not implemented yet) for the caller to log.
func Load(args []string, getenv func(string) string) (*Config, []string, error) {
	r, err := newResolver(args, getenv)
	if err != nil {
		return nil, nil, err
	}
	c := &Config{IdP: map[string]string{}}
	var warnings []string

	c.DatabaseURL = r.str(envDatabaseURL)
	c.MetadataDatabaseURL = r.str(envMetadataDatabaseURL)
	if c.Port, err = r.intRange(envServerPort, 1, 65535); err != nil {
		return nil, nil, err
	}
	c.Host = r.str(envServerHost)
	if c.Host == "" {
		c.Host = "*"
	}
	if c.Host != "*" && net.ParseIP(strings.Trim(c.Host, "[]")) == nil && !validHostname(c.Host) {
		return nil, nil, r.invalid(envServerHost, "expected \"*\", an IP address or a host name")
	}
	if c.LogTypes, err = r.logTypes(envLogTypes); err != nil {
		return nil, nil, err
	}
	if c.LogLevel, err = r.logLevel(envLogLevel); err != nil {
		return nil, nil, err
	}

	bools := []struct {
		env string
		dst *bool
	}{
		{envDevMode, &c.DevMode},
		{envAdminInternalErrors, &c.AdminInternalErrors},
		{envStringifyNumeric, &c.StringifyNumeric},
		{envDisableCORS, &c.CORS.Disabled},
		{envEnableConsole, &c.EnableConsole},
		{envPreparedStatements, &c.Pool.UsePreparedStatements},
		{envAuthHookSendBody, &c.Auth.AuthHookSendRequestBody},
		{envInferFunctionPerms, &c.InferFunctionPermissions},
		{envRemoteSchemaPerms, &c.RemoteSchemaPermissions},
		{envEnableAllowlist, &c.EnableAllowlist},
		{envWSReadCookie, &c.WebSocket.ReadCookie},
		{envWSCloseOnMetadata, &c.WebSocket.CloseOnMetadataChange},
		{envQueryCoalescing, &c.QueryCoalescing},
	}
	for _, b := range bools {
		if *b.dst, err = r.boolean(b.env); err != nil {
			return nil, nil, err
		}
	}
	c.ConsoleAssetsDir = r.str(envConsoleAssetsDir)

	if c.CORS.AllowAll, c.CORS.Domains, err = r.cors(envCORSDomain); err != nil {
		return nil, nil, err
	}

	if c.Pool.MaxConnections, err = r.intRange(envPGConnections, 1, 100000); err != nil {
		return nil, nil, err
	}
	secs := []struct {
		env string
		dst *time.Duration
	}{
		{envPGTimeout, &c.Pool.IdleTimeout},
		{envPGConnLifetime, &c.Pool.ConnLifetime},
		{envPGPoolTimeout, &c.Pool.PoolTimeout},
		{envGracefulShutdown, &c.GracefulShutdownTimeout},
	}
	for _, s := range secs {
		if *s.dst, err = r.seconds(s.env); err != nil {
			return nil, nil, err
		}
	}

	c.Auth.AdminSecret = r.str(envAdminSecret)
	if legacy := r.str(envAccessKey); legacy != "" {
		if c.Auth.AdminSecret == "" {
			c.Auth.AdminSecret = legacy
		}
		warnings = append(warnings, r.name(envAccessKey)+" is deprecated: use HASURA_GRAPHQL_ADMIN_SECRET")
	}
	c.Auth.AdminSecrets = r.str(envAdminSecrets)
	c.Auth.JWTSecret = r.str(envJWTSecret)
	c.Auth.JWTSecrets = r.str(envJWTSecrets)
	c.Auth.AuthHook = r.str(envAuthHook)
	c.Auth.AuthHookMode = strings.ToUpper(strings.TrimSpace(r.str(envAuthHookMode)))
	if c.Auth.AuthHookMode != "GET" && c.Auth.AuthHookMode != "POST" {
		return nil, nil, r.invalid(envAuthHookMode, "expected GET or POST")
	}
	c.Auth.UnauthorizedRole = r.str(envUnauthorizedRole)

	if v := strings.TrimSpace(r.str(envExperimental)); v != "" {
		for _, f := range strings.Split(v, ",") {
			if f = strings.TrimSpace(f); f != "" {
				c.ExperimentalFeatures = append(c.ExperimentalFeatures, f)
			}
		}
	}
	c.DefaultNamingConvention = strings.TrimSpace(r.str(envNamingConvention))
	if c.DefaultNamingConvention != "hasura-default" && c.DefaultNamingConvention != "graphql-default" {
		return nil, nil, r.invalid(envNamingConvention, "expected hasura-default or graphql-default")
	}
	polls := []struct {
		env string
		dst *int
	}{
		{envLQBatchSize, &c.LiveQueries.BatchSize},
		{envLQRefetch, &c.LiveQueries.RefetchDelayMS},
		{envSQBatchSize, &c.StreamingQueries.BatchSize},
		{envSQRefetch, &c.StreamingQueries.RefetchDelayMS},
	}
	for _, p := range polls {
		if *p.dst, err = r.intRange(p.env, 1, 1<<31-1); err != nil {
			return nil, nil, err
		}
	}

	wsSecs := []struct {
		env string
		dst *time.Duration
	}{
		{envWSKeepAlive, &c.WebSocket.KeepAlive},
		{envWSInitTimeout, &c.WebSocket.InitTimeout},
	}
	for _, s := range wsSecs {
		n, err := r.intRange(s.env, 1, 86400)
		if err != nil {
			return nil, nil, err
		}
		*s.dst = time.Duration(n) * time.Second
	}

	c.DataDir = r.str(envDataDir)
	if c.DataDir == "" {
		return nil, nil, r.invalid(envDataDir, "must not be empty")
	}
	maxBody, err := r.intRange(envMaxBodyBytes, 1024, 1<<40)
	if err != nil {
		return nil, nil, err
	}
	c.MaxBodyBytes = int64(maxBody)
	c.Demo = r.demo
	c.MetricsSecret = r.str(envMetricsSecret)

	for _, name := range idpSettings {
		if v := getenv(name); v != "" {
			c.IdP[name] = v
		}
	}
	for _, name := range notImplemented {
		if getenv(name) != "" {
			warnings = append(warnings, name+" is not implemented yet; the setting is ignored")
		}
	}
	return c, warnings, nil
}

// resolver finds each setting's raw value: flag, then environment, then default.
type resolver struct {
	getenv func(string) string
	flags  map[string]string // env name -> flag value, for flags given
	byEnv  map[string]setting
	demo   bool
}

func newResolver(args []string, getenv func(string) string) (*resolver, error) {
	r := &resolver{getenv: getenv, flags: map[string]string{}, byEnv: map[string]setting{}}
	fs := flag.NewFlagSet("serve", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	for _, s := range settings {
		r.byEnv[s.env] = s
		fs.Var(&flagValue{env: s.env, isBool: s.isBool, into: r.flags}, s.flag, s.env)
	}
	// Hasura's own flag for the setting is a switch that turns it off.
	fs.Var(&flagValue{env: envWSCloseOnMetadata, isBool: true, invert: true, into: r.flags},
		"disable-close-websockets-on-metadata-change", envWSCloseOnMetadata)
	fs.BoolVar(&r.demo, "demo", false, "set up the demo project")
	if err := fs.Parse(args); err != nil {
		if rest, ok := strings.CutPrefix(err.Error(), "flag provided but not defined: "); ok {
			return nil, fmt.Errorf("serve: unknown flag %s (see `postgate help`)", rest)
		}
		return nil, fmt.Errorf("serve: %w", err)
	}
	if fs.NArg() > 0 {
		return nil, fmt.Errorf("serve: unexpected argument %q", fs.Arg(0))
	}
	return r, nil
}

// flagValue records a flag's raw value under its environment variable name;
// an inverted switch records the opposite of its value.
type flagValue struct {
	env    string
	isBool bool
	invert bool
	into   map[string]string
}

func (f *flagValue) String() string { return "" }

func (f *flagValue) Set(v string) error {
	if f.invert {
		b, err := strconv.ParseBool(v)
		if err != nil {
			return fmt.Errorf("expected true or false")
		}
		v = strconv.FormatBool(!b)
	}
	f.into[f.env] = v
	return nil
}

// IsBoolFlag lets switches be given without a value (`--dev-mode`).
func (f *flagValue) IsBoolFlag() bool { return f.isBool }

// raw returns the value and whether it came from a flag.
func (r *resolver) raw(env string) (string, bool) {
	if v, ok := r.flags[env]; ok {
		return v, true
	}
	if v := r.getenv(env); v != "" {
		return v, false
	}
	return r.byEnv[env].def, false
}

// name is how a setting is named in messages: the flag when one was given.
func (r *resolver) name(env string) string {
	if _, ok := r.flags[env]; ok {
		return "--" + r.byEnv[env].flag
	}
	return env
}

func (r *resolver) str(env string) string { v, _ := r.raw(env); return v }

func (r *resolver) invalid(env, reason string) error {
	return &Error{Setting: r.name(env), Value: r.str(env), Reason: reason}
}

func (r *resolver) intRange(env string, lo, hi int) (int, error) {
	n, err := strconv.Atoi(strings.TrimSpace(r.str(env)))
	if err != nil || n < lo || n > hi {
		return 0, r.invalid(env, fmt.Sprintf("expected an integer between %d and %d", lo, hi))
	}
	return n, nil
}

// seconds parses a whole number of seconds; empty means zero (no limit).
func (r *resolver) seconds(env string) (time.Duration, error) {
	v := strings.TrimSpace(r.str(env))
	if v == "" {
		return 0, nil
	}
	n, err := strconv.Atoi(v)
	if err != nil || n < 0 {
		return 0, r.invalid(env, "expected a whole number of seconds")
	}
	return time.Duration(n) * time.Second, nil
}

// boolean accepts Hasura's spellings of true and false.
func (r *resolver) boolean(env string) (bool, error) {
	switch strings.ToLower(strings.TrimSpace(r.str(env))) {
	case "true", "t", "yes", "y", "1":
		return true, nil
	case "false", "f", "no", "n", "0":
		return false, nil
	}
	return false, r.invalid(env, "expected true or false")
}

func (r *resolver) logTypes(env string) (map[string]bool, error) {
	out := map[string]bool{}
	for _, t := range strings.Split(r.str(env), ",") {
		t = strings.TrimSpace(t)
		if t == "" {
			continue
		}
		if !contains(validLogTypes, t) {
			return nil, r.invalid(env, "unknown log type "+strconv.Quote(t)+"; valid types are "+strings.Join(validLogTypes, ", "))
		}
		out[t] = true
	}
	return out, nil
}

func (r *resolver) logLevel(env string) (slog.Level, error) {
	switch strings.ToLower(strings.TrimSpace(r.str(env))) {
	case "debug":
		return slog.LevelDebug, nil
	case "info":
		return slog.LevelInfo, nil
	case "warn":
		return slog.LevelWarn, nil
	case "error":
		return slog.LevelError, nil
	}
	return 0, r.invalid(env, "expected debug, info, warn or error")
}

func (r *resolver) cors(env string) (bool, []string, error) {
	v := strings.TrimSpace(r.str(env))
	if v == "*" {
		return true, nil, nil
	}
	var out []string
	for _, d := range strings.Split(v, ",") {
		d = strings.TrimSpace(d)
		if d == "" {
			continue
		}
		if err := validOrigin(d); err != nil {
			return false, nil, r.invalid(env, err.Error())
		}
		out = append(out, strings.ToLower(strings.TrimSuffix(d, "/")))
	}
	return false, out, nil
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

func validHostname(h string) bool {
	if h == "" || len(h) > 253 {
		return false
	}
	for _, c := range h {
		if !(c == '-' || c == '.' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9') {
			return false
		}
	}
	return true
}

func joinHostPort(host string, port int) string { return net.JoinHostPort(host, strconv.Itoa(port)) }

var errOrigin = errors.New(`expected "*" or a comma-separated list of origins such as "https://app.example.com, https://*.example.com:8080"`)
