package actions

import (
	"slices"
	"strings"
)

// provided are the npm modules Postgate implements itself; an action may
// declare them as dependencies and require them.
var provided = map[string]string{
	"node-fetch": "node-fetch v2 API backed by Postgate's HTTP client (fetch is also a global)",
	"axios":      "axios's request API (axios(), get, post, put, patch, delete, create) on the same client",
}

// builtinModules are Node core modules an action may require without
// declaring them.
var builtinModules = []string{"url", "buffer"}

// ProvidedModules lists every module name require accepts.
func ProvidedModules() []string {
	out := make([]string, 0, len(provided)+len(builtinModules))
	for k := range provided {
		out = append(out, k)
	}
	out = append(out, builtinModules...)
	slices.Sort(out)
	return out
}

// Dependency is an npm dependency an action declares.
type Dependency struct {
	Name    string `json:"name"`
	Version string `json:"version"`
	// RegistryURL is accepted as Auth0 does; Postgate's modules do not
	// come from a registry.
	RegistryURL string `json:"registry_url,omitempty"`
}

// CheckDependencies refuses dependencies Postgate does not provide, naming
// the first one.
func CheckDependencies(deps []Dependency) error {
	seen := map[string]bool{}
	for _, d := range deps {
		name := strings.TrimSpace(d.Name)
		if name == "" {
			return invalidf("dependencies: every dependency needs a name")
		}
		if seen[name] {
			return invalidf("dependencies: %q is declared twice", name)
		}
		seen[name] = true
		if _, ok := provided[name]; !ok {
			return invalidf("dependencies: the module %q is not available in Postgate Actions (available: %s)", name, strings.Join(providedNames(), ", "))
		}
	}
	return nil
}

func providedNames() []string {
	out := make([]string, 0, len(provided))
	for k := range provided {
		out = append(out, k)
	}
	slices.Sort(out)
	return out
}
