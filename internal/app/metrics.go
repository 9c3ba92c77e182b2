package app

import (
	"net/http"

	"github.com/postgate/postgate/internal/engine"
	"github.com/postgate/postgate/internal/metadata"
	"github.com/postgate/postgate/internal/metrics"
	"github.com/postgate/postgate/internal/server"
	"github.com/postgate/postgate/internal/subscription"
)

// metricsPath is where the Prometheus metrics are served (Hasura EE's path).
const metricsPath = "/v1/metrics"

// setupMetrics creates the App's metrics on the engine, metadata and
// subscription parts, wraps the GraphQL executor and the WebSocket handler
// to instrument them, and mounts /v1/metrics.
func (a *App) setupMetrics(eng *engine.Engine, md *metadata.Service, ws *subscription.Handler) {
	source := "default"
	if s := md.Current(); s != nil && s.SourceName != "" {
		source = s.SourceName
	}
	pools := []metrics.Pool{{Pool: a.Pool, SourceName: source, Role: "primary", Health: true}}
	if a.MetadataPool != nil && a.MetadataPool != a.Pool {
		pools = append(pools, metrics.Pool{Pool: a.MetadataPool, SourceName: "metadata", Role: "primary"})
	}
	m := metrics.New(metrics.Options{
		Pools: pools,
		PlanCache: func() metrics.PlanCacheStats {
			st := eng.Stats()
			return metrics.PlanCacheStats{Hits: st.Hits, Plans: st.Plans, Parses: st.Parses}
		},
		ResourceVersion: func() int64 {
			if s := md.Current(); s != nil {
				return s.Version
			}
			return 0
		},
		Subscriptions: func() metrics.SubscriptionStats {
			st := ws.Stats()
			return metrics.SubscriptionStats{
				Active: st.Subscribers - st.StreamingSubscribers, Pollers: st.Cohorts - st.StreamingCohorts,
				StreamingActive: st.StreamingSubscribers, StreamingPollers: st.StreamingCohorts, Polls: st.Polls,
			}
		},
	})
	a.Metrics = m
	a.GraphQL = m.GraphQL(eng)
	a.WebSocket = m.WebSocket(ws)
	if a.Mounts == nil {
		a.Mounts = map[string]http.Handler{}
	}
	a.Mounts[metricsPath] = m.Handler(metrics.Access{Secret: a.Config.MetricsSecret, Admin: a.isAdmin})
}

// isAdmin reports whether the request authenticates as admin, through the
// App's current Authenticator (every request is admin without one).
func (a *App) isAdmin(r *http.Request) (bool, error) {
	if a.Auth == nil {
		return true, nil
	}
	s, err := a.Auth.Authenticate(r, nil)
	if err != nil {
		return false, err
	}
	return s.IsAdmin(), nil
}

// observer returns the App's metrics as the HTTP layer's Observer, or nil.
func (a *App) observer() server.Observer {
	if a.Metrics == nil {
		return nil
	}
	return a.Metrics
}
