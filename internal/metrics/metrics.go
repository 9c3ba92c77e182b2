// Package metrics serves Prometheus metrics on /v1/metrics under Hasura's
// metric names (hasura_graphql_requests_total, hasura_http_connections,
// hasura_postgres_connections, …) plus Postgate's own (postgate_*), and the
// Go runtime and process collectors.
//
// Every Metrics has its own registry: nothing is registered globally, so
// several Apps (tests, or instances in one process) never share counters.
// The parts of Postgate feed it through small hooks: the HTTP layer calls
// ObserveRequest, the http.Server calls ConnState, and the GraphQL executor
// and WebSocket handler are wrapped (GraphQL, WebSocket). Gauges owned by
// other parts (pool statistics, plan cache counters, the metadata resource
// version, live subscriptions) are read at scrape time from the functions
// in Options.
package metrics

import (
	"net"
	"net/http"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
)

// Options name the sources of the metrics read at scrape time. Every field
// is optional; a nil source leaves its metrics out.
type Options struct {
	// Pools are the connection pools to report (hasura_postgres_connections
	// and postgate_postgres_pool_*).
	Pools []Pool
	// PlanCache returns the GraphQL engine's plan cache counters.
	PlanCache func() PlanCacheStats
	// ResourceVersion returns the current metadata resource_version.
	ResourceVersion func() int64
	// Subscriptions returns the live subscriptions being served.
	Subscriptions func() SubscriptionStats
}

// Pool is one connection pool and the labels it is reported under.
type Pool struct {
	// Pool is read with Stat() at each scrape.
	Pool *pgxpool.Pool
	// SourceName is Hasura's source_name label ("default" for the data
	// database).
	SourceName string
	// Role is Hasura's role label: "primary" or "replica".
	Role string
	// Health adds hasura_source_health for this pool: the pool is pinged
	// at each scrape.
	Health bool
}

// PlanCacheStats are the engine's cumulative plan cache counters.
type PlanCacheStats struct {
	// Hits counts requests that reused a cached plan.
	Hits int64
	// Plans counts plans built.
	Plans int64
	// Parses counts documents parsed and validated.
	Parses int64
}

// SubscriptionStats describe the subscriptions being served, reported
// under subscription_kind "live-query" and "streaming".
type SubscriptionStats struct {
	// Active is the number of running live queries.
	Active int
	// Pollers is the number of live query pollers (cohorts) running.
	Pollers int
	// StreamingActive and StreamingPollers are the same for streaming
	// subscriptions.
	StreamingActive  int
	StreamingPollers int
	// Polls counts the poll statements run, of both kinds.
	Polls int64
}

// Buckets of hasura_graphql_execution_time_seconds, as Hasura's.
var executionBuckets = []float64{0.01, 0.03, 0.1, 0.3, 1, 3, 10}

// Metrics owns a registry and the instruments fed by the HTTP layer. Its
// methods are safe for concurrent use and on a nil *Metrics (they then do
// nothing), so that optional wiring needs no checks.
type Metrics struct {
	reg *prometheus.Registry

	httpConns     prometheus.Gauge
	wsConns       prometheus.Gauge
	requestBytes  prometheus.Counter
	responseBytes prometheus.Counter
	httpDuration  *prometheus.HistogramVec
	gqlRequests   *prometheus.CounterVec
	gqlExecution  *prometheus.HistogramVec

	// The GraphQL instruments resolved once per operation type (by
	// opIndex), so that recording a request looks no labels up.
	gqlOK, gqlFailed [4]prometheus.Counter
	gqlExecByOp      [4]prometheus.Observer

	// durations caches httpDuration's observers by route and status: a
	// copy-on-write map read without locking; durationsMu serialises
	// additions.
	durations   atomic.Pointer[map[routeStatus]prometheus.Observer]
	durationsMu sync.Mutex
}

// routeStatus is the label pair of postgate_http_request_duration_seconds.
type routeStatus struct {
	route  string
	status int
}

// maxCachedDurations bounds the route/status pairs whose observers are
// cached; further pairs are looked up on each request.
const maxCachedDurations = 512

// New returns Metrics with a fresh registry holding Hasura's metrics, the
// sources in o, and the Go runtime and process collectors.
func New(o Options) *Metrics {
	m := &Metrics{
		reg: prometheus.NewRegistry(),
		httpConns: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "hasura_http_connections",
			Help: "Current number of active HTTP connections (excluding WebSocket connections).",
		}),
		wsConns: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "hasura_websocket_connections",
			Help: "Current number of active WebSocket connections.",
		}),
		requestBytes: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "hasura_http_request_bytes_total",
			Help: "Total bytes received in HTTP request bodies.",
		}),
		responseBytes: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "hasura_http_response_bytes_total",
			Help: "Total bytes sent in HTTP response bodies.",
		}),
		httpDuration: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "postgate_http_request_duration_seconds",
			Help:    "Time taken to answer HTTP requests, by route and status (WebSocket upgrades excluded).",
			Buckets: prometheus.DefBuckets,
		}, []string{"route", "status"}),
		gqlRequests: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "hasura_graphql_requests_total",
			Help: "Number of GraphQL requests received over HTTP, by operation type and response status.",
		}, []string{"operation_type", "response_status"}),
		gqlExecution: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "hasura_graphql_execution_time_seconds",
			Help:    "Execution time of successful GraphQL requests over HTTP, by operation type.",
			Buckets: executionBuckets,
		}, []string{"operation_type"}),
	}
	for _, op := range []string{OpQuery, OpMutation, OpSubscription, OpUnknown} {
		k := opIndex(op)
		m.gqlOK[k] = m.gqlRequests.WithLabelValues(op, statusSuccess)
		m.gqlFailed[k] = m.gqlRequests.WithLabelValues(op, statusFailed)
		m.gqlExecByOp[k] = m.gqlExecution.WithLabelValues(op)
	}
	m.reg.MustRegister(
		m.httpConns, m.wsConns, m.requestBytes, m.responseBytes,
		m.httpDuration, m.gqlRequests, m.gqlExecution,
		collectors.NewGoCollector(),
		collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}),
	)
	if len(o.Pools) > 0 {
		m.reg.MustRegister(&poolCollector{pools: o.Pools})
	}
	if f := o.PlanCache; f != nil {
		m.reg.MustRegister(
			prometheus.NewCounterFunc(prometheus.CounterOpts{
				Name: "postgate_plan_cache_hits_total",
				Help: "GraphQL requests that reused a cached plan.",
			}, func() float64 { return float64(f().Hits) }),
			prometheus.NewCounterFunc(prometheus.CounterOpts{
				Name: "postgate_plan_cache_plans_total",
				Help: "GraphQL plans built (cache misses).",
			}, func() float64 { return float64(f().Plans) }),
			prometheus.NewCounterFunc(prometheus.CounterOpts{
				Name: "postgate_plan_cache_parses_total",
				Help: "GraphQL documents parsed and validated.",
			}, func() float64 { return float64(f().Parses) }),
		)
	}
	if f := o.ResourceVersion; f != nil {
		m.reg.MustRegister(prometheus.NewGaugeFunc(prometheus.GaugeOpts{
			Name: "postgate_metadata_resource_version",
			Help: "The metadata resource_version this instance serves.",
		}, func() float64 { return float64(f()) }))
	}
	if f := o.Subscriptions; f != nil {
		m.reg.MustRegister(&subscriptionCollector{stats: f})
	}
	return m
}

// Registry returns the registry the metrics are gathered from.
func (m *Metrics) Registry() *prometheus.Registry { return m.reg }

// ObserveRequest records one answered HTTP request: its route (a fixed name,
// never the raw path), status, duration and body sizes. WebSocket upgrades
// (status 101) count their bytes only: their duration is the connection's.
func (m *Metrics) ObserveRequest(route string, status int, d time.Duration, requestBytes, responseBytes int64) {
	if m == nil {
		return
	}
	if requestBytes > 0 {
		m.requestBytes.Add(float64(requestBytes))
	}
	if responseBytes > 0 {
		m.responseBytes.Add(float64(responseBytes))
	}
	if status == http.StatusSwitchingProtocols {
		return
	}
	m.durationObserver(route, status).Observe(d.Seconds())
}

// durationObserver returns httpDuration's observer for route and status.
func (m *Metrics) durationObserver(route string, status int) prometheus.Observer {
	k := routeStatus{route, status}
	cached := m.durations.Load()
	if cached != nil {
		if o, ok := (*cached)[k]; ok {
			return o
		}
	}
	o := m.httpDuration.WithLabelValues(route, strconv.Itoa(status))
	if cached != nil && len(*cached) >= maxCachedDurations {
		return o
	}
	m.durationsMu.Lock()
	defer m.durationsMu.Unlock()
	cur := m.durations.Load()
	if cur != nil {
		if _, ok := (*cur)[k]; ok {
			return o
		}
	}
	next := make(map[routeStatus]prometheus.Observer, 1+lenOf(cur))
	if cur != nil {
		for kk, v := range *cur {
			next[kk] = v
		}
	}
	next[k] = o
	m.durations.Store(&next)
	return o
}

func lenOf(m *map[routeStatus]prometheus.Observer) int {
	if m == nil {
		return 0
	}
	return len(*m)
}

// ConnState is an http.Server ConnState hook keeping hasura_http_connections:
// a connection counts from its opening until it closes or is hijacked (a
// WebSocket, counted by WebSocket instead).
func (m *Metrics) ConnState(_ net.Conn, s http.ConnState) {
	if m == nil {
		return
	}
	switch s {
	case http.StateNew:
		m.httpConns.Inc()
	case http.StateHijacked, http.StateClosed:
		m.httpConns.Dec()
	}
}

// WebSocket wraps the GraphQL WebSocket handler, whose ServeHTTP lasts as
// long as the connection, to keep hasura_websocket_connections.
func (m *Metrics) WebSocket(h http.Handler) http.Handler {
	if m == nil || h == nil {
		return h
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		m.wsConns.Inc()
		defer m.wsConns.Dec()
		h.ServeHTTP(w, r)
	})
}
