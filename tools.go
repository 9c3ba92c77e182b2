//go:build tools

// This file pins the libraries Postgate is built on (see DEPENDENCIES.md) so
// that `go mod tidy` keeps them while packages adopt them.
package postgate

import (
	_ "github.com/coder/websocket"
	_ "github.com/jackc/pgx/v5/pgxpool"
	_ "github.com/lestrrat-go/jwx/v3/jwk"
	_ "github.com/prometheus/client_golang/prometheus"
	_ "github.com/vektah/gqlparser/v2"
	_ "gopkg.in/yaml.v3"
)
