package metrics

import (
	"context"
	"errors"
	"net"
	"strconv"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/prometheus/client_golang/prometheus"
)

// pingTimeout bounds the ping behind hasura_source_health.
const pingTimeout = 2 * time.Second

// Hasura's hasura_source_health values.
const (
	healthOK       = 0
	healthTimedOut = 1
	healthFailed   = 2
)

var (
	poolLabels = []string{"source_name", "role"}

	descConnections = prometheus.NewDesc("hasura_postgres_connections",
		"Current number of open connections to PostgreSQL.",
		[]string{"source_name", "conn_info", "role"}, nil)
	descPoolConns = prometheus.NewDesc("postgate_postgres_pool_connections",
		"Connections of a pool by state (idle, acquired, constructing).",
		append(poolLabels, "state"), nil)
	descPoolMax = prometheus.NewDesc("postgate_postgres_pool_max_connections",
		"The pool's maximum number of connections.", poolLabels, nil)
	descAcquires = prometheus.NewDesc("postgate_postgres_pool_acquires_total",
		"Successful connection acquisitions from the pool.", poolLabels, nil)
	descEmptyAcquires = prometheus.NewDesc("postgate_postgres_pool_empty_acquires_total",
		"Acquisitions that had to wait for a connection (none idle).", poolLabels, nil)
	descCanceledAcquires = prometheus.NewDesc("postgate_postgres_pool_canceled_acquires_total",
		"Acquisitions abandoned because their context ended.", poolLabels, nil)
	descAcquireSeconds = prometheus.NewDesc("postgate_postgres_pool_acquire_seconds_total",
		"Total time spent acquiring connections from the pool.", poolLabels, nil)
	descEmptyWaitSeconds = prometheus.NewDesc("postgate_postgres_pool_wait_seconds_total",
		"Total time acquisitions waited for a connection when none was idle.", poolLabels, nil)
	descNewConns = prometheus.NewDesc("postgate_postgres_pool_new_connections_total",
		"Connections opened by the pool.", poolLabels, nil)
	descSourceHealth = prometheus.NewDesc("hasura_source_health",
		"Health of a source: 0 OK, 1 TIMEOUT, 2 FAILED.", []string{"source_name"}, nil)
)

// poolCollector reads pgxpool statistics at scrape time.
type poolCollector struct{ pools []Pool }

// Describe sends the descriptors of the pool metrics.
func (c *poolCollector) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range []*prometheus.Desc{descConnections, descPoolConns, descPoolMax, descAcquires,
		descEmptyAcquires, descCanceledAcquires, descAcquireSeconds, descEmptyWaitSeconds, descNewConns, descSourceHealth} {
		ch <- d
	}
}

// Collect sends each pool's current statistics.
func (c *poolCollector) Collect(ch chan<- prometheus.Metric) {
	for _, p := range c.pools {
		if p.Pool == nil {
			continue
		}
		role := p.Role
		if role == "" {
			role = "primary"
		}
		st := p.Pool.Stat()
		gauge := func(d *prometheus.Desc, v float64, labels ...string) {
			ch <- prometheus.MustNewConstMetric(d, prometheus.GaugeValue, v, labels...)
		}
		counter := func(d *prometheus.Desc, v float64) {
			ch <- prometheus.MustNewConstMetric(d, prometheus.CounterValue, v, p.SourceName, role)
		}
		gauge(descConnections, float64(st.TotalConns()), p.SourceName, connInfo(p.Pool), role)
		gauge(descPoolConns, float64(st.IdleConns()), p.SourceName, role, "idle")
		gauge(descPoolConns, float64(st.AcquiredConns()), p.SourceName, role, "acquired")
		gauge(descPoolConns, float64(st.ConstructingConns()), p.SourceName, role, "constructing")
		gauge(descPoolMax, float64(st.MaxConns()), p.SourceName, role)
		counter(descAcquires, float64(st.AcquireCount()))
		counter(descEmptyAcquires, float64(st.EmptyAcquireCount()))
		counter(descCanceledAcquires, float64(st.CanceledAcquireCount()))
		counter(descAcquireSeconds, st.AcquireDuration().Seconds())
		counter(descEmptyWaitSeconds, st.EmptyAcquireWaitTime().Seconds())
		counter(descNewConns, float64(st.NewConnsCount()))
		if p.Health {
			gauge(descSourceHealth, float64(ping(p.Pool)), p.SourceName)
		}
	}
}

// ping checks that the pool's database answers, in Hasura's health values.
func ping(pool *pgxpool.Pool) int {
	ctx, cancel := context.WithTimeout(context.Background(), pingTimeout)
	defer cancel()
	err := pool.Ping(ctx)
	switch {
	case err == nil:
		return healthOK
	case errors.Is(err, context.DeadlineExceeded) || ctx.Err() != nil:
		return healthTimedOut
	default:
		return healthFailed
	}
}

// connInfo describes the pool's database without its password, for Hasura's
// conn_info label: postgres://user@host:port/database.
func connInfo(pool *pgxpool.Pool) string {
	cc := pool.Config().ConnConfig
	host := cc.Host
	if len(host) > 0 && host[0] != '/' {
		host = net.JoinHostPort(host, strconv.Itoa(int(cc.Port)))
	}
	user := cc.User
	if user != "" {
		user += "@"
	}
	return "postgres://" + user + host + "/" + cc.Database
}

var (
	descActiveSubs = prometheus.NewDesc("hasura_active_subscriptions",
		"Current number of active subscriptions.", []string{"subscription_kind"}, nil)
	descPollers = prometheus.NewDesc("hasura_active_subscription_pollers",
		"Current number of active subscription pollers.", []string{"subscription_kind"}, nil)
	descPolls = prometheus.NewDesc("postgate_subscription_polls_total",
		"Poll statements run for subscriptions (initial results included).", nil, nil)
)

// subscriptionCollector reads the subscription handler's statistics at
// scrape time.
type subscriptionCollector struct{ stats func() SubscriptionStats }

// Describe sends the descriptors of the subscription metrics.
func (c *subscriptionCollector) Describe(ch chan<- *prometheus.Desc) {
	ch <- descActiveSubs
	ch <- descPollers
	ch <- descPolls
}

// Collect sends the current subscription statistics.
func (c *subscriptionCollector) Collect(ch chan<- prometheus.Metric) {
	st := c.stats()
	ch <- prometheus.MustNewConstMetric(descActiveSubs, prometheus.GaugeValue, float64(st.Active), "live-query")
	ch <- prometheus.MustNewConstMetric(descPollers, prometheus.GaugeValue, float64(st.Pollers), "live-query")
	ch <- prometheus.MustNewConstMetric(descActiveSubs, prometheus.GaugeValue, float64(st.StreamingActive), "streaming")
	ch <- prometheus.MustNewConstMetric(descPollers, prometheus.GaugeValue, float64(st.StreamingPollers), "streaming")
	ch <- prometheus.MustNewConstMetric(descPolls, prometheus.CounterValue, float64(st.Polls))
}
