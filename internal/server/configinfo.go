package server

import (
	"encoding/json"
	"net/http"

	"github.com/postgate/postgate/internal/auth"
)

// configBody is the /v1alpha1/config response, in Hasura's field order.
type configBody struct {
	Version                          string      `json:"version"`
	IsFunctionPermissionsInferred    bool        `json:"is_function_permissions_inferred"`
	IsRemoteSchemaPermissionsEnabled bool        `json:"is_remote_schema_permissions_enabled"`
	IsAdminSecretSet                 bool        `json:"is_admin_secret_set"`
	IsAuthHookSet                    bool        `json:"is_auth_hook_set"`
	IsJWTSet                         bool        `json:"is_jwt_set"`
	JWT                              any         `json:"jwt"`
	IsAllowListEnabled               bool        `json:"is_allow_list_enabled"`
	LiveQueries                      pollingInfo `json:"live_queries"`
	StreamingQueries                 pollingInfo `json:"streaming_queries"`
	ConsoleAssetsDir                 *string     `json:"console_assets_dir"`
	ExperimentalFeatures             []string    `json:"experimental_features"`
	IsPrometheusMetricsEnabled       bool        `json:"is_prometheus_metrics_enabled"`
	DefaultNamingConvention          string      `json:"default_naming_convention"`
}

type pollingInfo struct {
	BatchSize    int     `json:"batch_size"`
	RefetchDelay float64 `json:"refetch_delay"` // seconds
}

// jwtInfo describes one configured JWT secret without its key.
type jwtInfo struct {
	ClaimsNamespace     string `json:"claims_namespace,omitempty"`
	ClaimsNamespacePath string `json:"claims_namespace_path,omitempty"`
	ClaimsFormat        string `json:"claims_format"`
}

// describer is an Authenticator that reports its configuration
// (auth.Authenticator is one).
type describer interface {
	Info() auth.Info
}

// configInfo serves /v1alpha1/config.
func (s *server) configInfo(w http.ResponseWriter, _ *http.Request, _ *reqState) {
	c := s.cfg
	body := configBody{
		Version:                          s.opts.Version,
		IsFunctionPermissionsInferred:    c.InferFunctionPermissions,
		IsRemoteSchemaPermissionsEnabled: c.RemoteSchemaPermissions,
		IsAdminSecretSet:                 c.Auth.AdminSecret != "" || c.Auth.AdminSecrets != "",
		IsAuthHookSet:                    c.Auth.AuthHook != "",
		JWT:                              jwtInfos(c.Auth.JWTSecret, c.Auth.JWTSecrets),
		IsAllowListEnabled:               c.EnableAllowlist,
		LiveQueries:                      pollingInfo{c.LiveQueries.BatchSize, float64(c.LiveQueries.RefetchDelayMS) / 1000},
		StreamingQueries:                 pollingInfo{c.StreamingQueries.BatchSize, float64(c.StreamingQueries.RefetchDelayMS) / 1000},
		ExperimentalFeatures:             c.ExperimentalFeatures,
		DefaultNamingConvention:          c.DefaultNamingConvention,
		// /v1/metrics is served by every instance.
		IsPrometheusMetricsEnabled: true,
	}
	body.IsJWTSet = c.Auth.JWTSecret != "" || c.Auth.JWTSecrets != ""
	if a, ok := s.opts.Auth.(describer); ok {
		// The authenticator knows its modes, including those not set by
		// Hasura's variables (the identity provider's JWT mode).
		info := a.Info()
		body.IsAdminSecretSet, body.IsAuthHookSet, body.IsJWTSet = info.IsAdminSecretSet, info.IsAuthHookSet, info.IsJWTSet
		jwt := info.JWT
		if jwt == nil {
			jwt = []auth.JWTInfo{}
		}
		body.JWT = jwt
	}
	if c.ConsoleAssetsDir != "" {
		dir := c.ConsoleAssetsDir
		body.ConsoleAssetsDir = &dir
	}
	if body.ExperimentalFeatures == nil {
		body.ExperimentalFeatures = []string{}
	}
	b, _ := json.Marshal(body)
	writeJSON(w, http.StatusOK, b)
}

// jwtInfos lists the claims location and format of each JWT secret.
func jwtInfos(single, list string) []jwtInfo {
	var secrets []json.RawMessage
	if single != "" {
		secrets = append(secrets, json.RawMessage(single))
	}
	if list != "" {
		var many []json.RawMessage
		if json.Unmarshal([]byte(list), &many) == nil {
			secrets = append(secrets, many...)
		}
	}
	out := []jwtInfo{}
	for _, raw := range secrets {
		var js struct {
			ClaimsNamespace     string `json:"claims_namespace"`
			ClaimsNamespacePath string `json:"claims_namespace_path"`
			ClaimsFormat        string `json:"claims_format"`
		}
		if json.Unmarshal(raw, &js) != nil {
			continue
		}
		info := jwtInfo{ClaimsFormat: js.ClaimsFormat}
		if info.ClaimsFormat == "" {
			info.ClaimsFormat = "json"
		}
		if js.ClaimsNamespacePath != "" {
			info.ClaimsNamespacePath = js.ClaimsNamespacePath
		} else {
			info.ClaimsNamespace = js.ClaimsNamespace
			if info.ClaimsNamespace == "" {
				info.ClaimsNamespace = "https://hasura.io/jwt/claims"
			}
		}
		out = append(out, info)
	}
	return out
}
