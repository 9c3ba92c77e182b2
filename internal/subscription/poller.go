package subscription

import (
	"context"
	"crypto/sha256"
	"encoding/json"
	"fmt"
	"log/slog"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/postgate/postgate/internal/apierr"
	"github.com/postgate/postgate/internal/engine"
)

// poller runs live query polls; *engine.Engine implements it.
type poller interface {
	Poll(ctx context.Context, q *engine.LiveQuery, ids []string, args [][][]any) (map[string][]byte, error)
}

// hub multiplexes live queries: subscribers with the same cohort key share
// one poller goroutine, which runs one statement per root field for all of
// them (in batches of batchSize) every interval, and sends each subscriber
// its result only when it differs from the last one sent.
type hub struct {
	eng       poller
	interval  time.Duration
	batchSize int
	// streamInterval and streamBatchSize apply to streaming subscriptions.
	streamInterval  time.Duration
	streamBatchSize int
	timeout         time.Duration
	devMode         bool
	log             *slog.Logger

	nextID atomic.Uint64
	polls  atomic.Int64

	mu      sync.Mutex
	cohorts map[string]*cohort
}

// cohort is the subscribers of one live query and their poller.
type cohort struct {
	key       string
	q         *engine.LiveQuery
	interval  time.Duration
	batchSize int
	streaming bool                   // a streaming subscription's cohort
	subs      map[string]*subscriber // guarded by hub.mu
	stop      context.CancelFunc
	ctx       context.Context
}

// subscriber is one subscription of one connection.
type subscriber struct {
	id   string
	live *engine.Live // its Args change as a stream's cursor moves
	c    *cohort
	// name is the operation name, for logs.
	name string

	mu      sync.Mutex
	send    func([]byte)
	last    [sha256.Size]byte
	sent    bool
	stopped bool
}

// deliver sends body unless it equals the last result sent or the
// subscriber has stopped.
func (s *subscriber) deliver(body []byte) {
	s.deliverUnlessEmpty(body, false)
}

// deliverUnlessEmpty is deliver, except that when skipEmpty is set and a
// first result was already sent, an empty batch is remembered as the last
// result but not sent: Hasura sends a streaming subscriber nothing for a
// poll that finds no rows after the cursor.
func (s *subscriber) deliverUnlessEmpty(body []byte, skipEmpty bool) {
	h := sha256.Sum256(body)
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.stopped || (s.sent && h == s.last) {
		return
	}
	if skipEmpty && s.sent && emptyBatch(body) {
		s.last = h
		return
	}
	s.last, s.sent = h, true
	s.send(body)
}

// emptyBatch reports whether body is a result whose data holds a single
// root field with no rows, {"data":{"<field>":[]}}.
func emptyBatch(body []byte) bool {
	var top struct {
		Data   map[string]json.RawMessage `json:"data"`
		Errors json.RawMessage            `json:"errors"`
	}
	if err := json.Unmarshal(body, &top); err != nil || top.Errors != nil || len(top.Data) != 1 {
		return false
	}
	for _, v := range top.Data {
		var rows []json.RawMessage
		if err := json.Unmarshal(v, &rows); err != nil || rows == nil || len(rows) > 0 {
			return false
		}
	}
	return true
}

// Stats describe the subscriptions being polled.
type Stats struct {
	// Cohorts is the number of cohort pollers running, of live queries and
	// streaming subscriptions.
	Cohorts int
	// Subscribers is the number of subscriptions, of both kinds.
	Subscribers int
	// StreamingCohorts and StreamingSubscribers are the part of Cohorts
	// and Subscribers that serve streaming subscriptions.
	StreamingCohorts     int
	StreamingSubscribers int
	// Polls counts the poll statements run (batches), initial results
	// included.
	Polls int64
}

func (h *hub) stats() Stats {
	h.mu.Lock()
	defer h.mu.Unlock()
	st := Stats{Cohorts: len(h.cohorts), Polls: h.polls.Load()}
	for _, c := range h.cohorts {
		st.Subscribers += len(c.subs)
		if c.streaming {
			st.StreamingCohorts++
			st.StreamingSubscribers += len(c.subs)
		}
	}
	return st
}

// add polls live once for the new subscriber alone, sends it the initial
// result, and then joins it to its cohort (starting the cohort's poller
// when it is the first). send must not block for long.
func (h *hub) add(ctx context.Context, live *engine.Live, send func([]byte)) *subscriber {
	s := &subscriber{id: strconv.FormatUint(h.nextID.Add(1), 36), live: live, send: send}
	pctx, cancel := context.WithTimeout(ctx, h.timeout)
	group{s}.deliver(h.pollOne(pctx, live.Query, s))
	cancel()

	h.mu.Lock()
	defer h.mu.Unlock()
	c := h.cohorts[live.Key]
	if c == nil {
		cctx, stop := context.WithCancel(context.Background())
		c = &cohort{key: live.Key, q: live.Query, subs: map[string]*subscriber{}, ctx: cctx, stop: stop,
			interval: h.interval, batchSize: h.batchSize}
		if live.Streaming() {
			c.interval, c.batchSize, c.streaming = h.streamInterval, h.streamBatchSize, true
		}
		h.cohorts[live.Key] = c
		go h.run(c)
	}
	s.c = c
	c.subs[s.id] = s
	return s
}

// remove stops s; the cohort's poller stops with its last subscriber. No
// result is sent to s once remove returns.
func (h *hub) remove(s *subscriber) {
	s.mu.Lock()
	s.stopped = true
	s.mu.Unlock()
	h.mu.Lock()
	defer h.mu.Unlock()
	c := s.c
	if c == nil {
		return
	}
	delete(c.subs, s.id)
	if len(c.subs) == 0 && h.cohorts[c.key] == c {
		delete(h.cohorts, c.key)
		c.stop()
	}
}

// run polls cohort c every interval until its last subscriber leaves.
func (h *hub) run(c *cohort) {
	t := time.NewTicker(c.interval)
	defer t.Stop()
	for {
		select {
		case <-c.ctx.Done():
			return
		case <-t.C:
		}
		h.poll(c)
	}
}

// poll runs one round of cohort c's live query. Subscribers binding the
// same values (variables and session) form a group served by one row of
// the statement; batches count groups.
func (h *hub) poll(c *cohort) {
	h.mu.Lock()
	subs := make([]*subscriber, 0, len(c.subs))
	for _, s := range c.subs {
		subs = append(subs, s)
	}
	h.mu.Unlock()
	byKey := map[string]int{}
	var groups []group
	for _, s := range subs {
		k := argsKey(s.live.Args)
		if i, ok := byKey[k]; ok {
			groups[i] = append(groups[i], s)
			continue
		}
		byKey[k] = len(groups)
		groups = append(groups, group{s})
	}
	for len(groups) > 0 {
		n := min(len(groups), c.batchSize)
		h.pollBatch(c, groups[:n])
		groups = groups[n:]
	}
}

// group is the subscribers of a cohort that bind the same values.
type group []*subscriber

// deliver gives each member the group's result (ok) or error body.
func (g group) deliver(body []byte, ok bool) {
	for _, s := range g {
		if ok {
			s.deliverUnlessEmpty(s.live.Advance(body), s.live.Streaming())
		} else {
			s.deliver(body)
		}
	}
}

// argsKey identifies the values a subscriber binds.
func argsKey(args [][]any) string {
	b, err := json.Marshal(args)
	if err != nil {
		return fmt.Sprintf("!%p", args)
	}
	return string(b)
}

// pollBatch polls a batch of a cohort's groups. When the cohort's
// statement fails, each group is polled alone so that an error reaches
// only the subscribers whose values cause it.
func (h *hub) pollBatch(c *cohort, groups []group) {
	ctx, cancel := context.WithTimeout(c.ctx, h.timeout)
	defer cancel()
	ids := make([]string, len(groups))
	args := make([][][]any, len(groups))
	for i, g := range groups {
		ids[i], args[i] = g[0].id, g[0].live.Args
	}
	h.polls.Add(1)
	res, err := h.eng.Poll(ctx, c.q, ids, args)
	if c.ctx.Err() != nil {
		return
	}
	switch {
	case err != nil && len(groups) > 1:
		for _, g := range groups {
			g.deliver(h.pollOne(ctx, c.q, g[0]))
		}
	case err != nil:
		groups[0].deliver(h.errorBody(err), false)
	default:
		for _, g := range groups {
			if b, ok := res[g[0].id]; ok {
				g.deliver(b, true)
			}
		}
	}
}

// pollOne polls q for s alone. It returns the result and true, or the
// error body and false.
func (h *hub) pollOne(ctx context.Context, q *engine.LiveQuery, s *subscriber) ([]byte, bool) {
	h.polls.Add(1)
	res, err := h.eng.Poll(ctx, q, []string{s.id}, [][][]any{s.live.Args})
	if err != nil {
		return h.errorBody(err), false
	}
	return res[s.id], true
}

// errorBody is a live query's error result, {"errors":[...]}, as Hasura
// sends it in a data message.
func (h *hub) errorBody(err error) []byte {
	ae := apierr.From(err)
	if ae.Status >= 500 {
		h.log.Error("live query poll failed", "type", "livequery-poller-log", "code", ae.Code, "error", err)
	}
	return apierr.GraphQLBody(ae, apierr.Options{DevMode: h.devMode})
}
