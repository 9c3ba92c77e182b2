package metadata

import (
	"context"
	"encoding/json"
	"fmt"
	"sync"
	"sync/atomic"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/postgate/postgate/internal/apierr"
	"github.com/postgate/postgate/internal/catalog"
)

// Snapshot is one immutable state of the metadata as the engine serves it.
// Nothing in a Snapshot is modified after it is published; a change builds
// a new one.
type Snapshot struct {
	// Version is hdb_metadata's resource_version.
	Version int64
	// Metadata is the consistent part of the stored metadata: what the
	// engine serves.
	Metadata *Metadata
	// Stored is the metadata as stored (inconsistent objects and sections
	// not implemented yet included), for export.
	Stored *Metadata
	// Catalog is the data database's catalog the metadata was checked against.
	Catalog *catalog.Catalog
	// Inconsistent lists the stored objects that do not match the database.
	Inconsistent []InconsistentObject
	// SourceName names the source backed by the data database (see
	// Options.Source); Source returns it.
	SourceName string

	// fp is the catalog's fingerprint, to notice schema changes cheaply.
	fp catalog.Fingerprint
	// unreadable is set when the stored document could not be decoded;
	// raw then holds it as stored, for export, and nothing is served.
	unreadable error
	raw        json.RawMessage
}

// Options configures a Service.
type Options struct {
	// Source is the name of the source backed by the data database. When
	// empty it is "default", or else the stored metadata's only Postgres
	// source (a Hasura project may name its source differently).
	Source string
	// MaxBodyBytes bounds a request body (64 MiB when zero).
	MaxBodyBytes int
}

// Service owns the metadata: it loads and stores it, checks it against the
// data database, answers the admin APIs and publishes Snapshots.
type Service struct {
	store store
	data  *pgxpool.Pool
	opts  Options

	mu  sync.Mutex // serialises writers within this instance
	cur atomic.Pointer[Snapshot]
	// enc encodes the stored document, re-encoding only changed tables;
	// warming fills it in the background after a load.
	enc     docEncoder
	warming sync.WaitGroup

	lmu       sync.Mutex
	listeners []func(*Snapshot)
}

// Open prepares the catalog tables in the metadata database, loads the stored
// metadata (an empty document with source "default" when there is none),
// introspects the data database and publishes the first Snapshot.
// Inconsistent objects never make Open fail; they are reported.
func Open(ctx context.Context, metaPool, dataPool *pgxpool.Pool, opts Options) (*Service, error) {
	if opts.MaxBodyBytes == 0 {
		opts.MaxBodyBytes = 64 << 20
	}
	s := &Service{store: store{pool: metaPool}, data: dataPool, opts: opts}
	if err := s.store.init(ctx); err != nil {
		return nil, fmt.Errorf("metadata: prepare hdb_catalog: %w", err)
	}
	if err := s.reload(ctx); err != nil {
		return nil, err
	}
	return s, nil
}

// Current returns the latest Snapshot.
func (s *Service) Current() *Snapshot { return s.cur.Load() }

// OnChange registers f to be called with every new Snapshot (in the order
// they are published, from the goroutine that published it).
func (s *Service) OnChange(f func(*Snapshot)) {
	s.lmu.Lock()
	defer s.lmu.Unlock()
	s.listeners = append(s.listeners, f)
}

// publish makes snap current and tells the listeners.
func (s *Service) publish(snap *Snapshot) {
	s.cur.Store(snap)
	s.lmu.Lock()
	ls := append([]func(*Snapshot){}, s.listeners...)
	s.lmu.Unlock()
	for _, f := range ls {
		f(snap)
	}
}

// reload reads the stored metadata and the catalog afresh and publishes them.
func (s *Service) reload(ctx context.Context) error {
	doc, rv, err := s.store.load(ctx)
	if err != nil {
		return fmt.Errorf("metadata: load: %w", err)
	}
	md := Empty()
	var unreadable error
	if doc != nil {
		parsed, err := Parse(doc)
		if err != nil {
			// A document this server cannot read must neither stop it
			// from starting nor be lost: it is kept as stored, reported,
			// and only replace_metadata or clear_metadata may change it.
			unreadable = err
		} else {
			md = parsed
		}
	}
	fp, err := catalog.TakeFingerprint(ctx, s.data)
	if err != nil {
		return fmt.Errorf("metadata: introspect data database: %w", err)
	}
	cat, err := catalog.Load(ctx, s.data)
	if err != nil {
		return fmt.Errorf("metadata: introspect data database: %w", err)
	}
	snap := s.build(ctx, md, rv, cat, s.data)
	snap.fp = fp
	if unreadable != nil {
		snap.unreadable, snap.raw = unreadable, doc
		snap.Inconsistent = append(snap.Inconsistent, InconsistentObject{Type: "metadata", Name: "metadata",
			Reason: "the stored metadata could not be read: " + unreadable.Error(), Definition: json.RawMessage("null")})
	}
	s.publish(snap)
	if unreadable == nil {
		s.warming.Add(1)
		go func() {
			defer s.warming.Done()
			s.enc.warm(md)
		}()
	}
	return nil
}

// build checks md against cat and makes a Snapshot.
func (s *Service) build(ctx context.Context, md *Metadata, rv int64, cat *catalog.Catalog, qr catalog.Querier) *Snapshot {
	good, bad := checkConsistency(ctx, md, cat, s.sourceName(md), fetchEnumValues(qr))
	return s.snapshot(md, rv, cat, good, bad)
}

// snapshot makes a Snapshot of md checked against cat (good is its
// consistent part, bad its inconsistent objects).
func (s *Service) snapshot(md *Metadata, rv int64, cat *catalog.Catalog, good *Metadata, bad []InconsistentObject) *Snapshot {
	return &Snapshot{Version: rv, Metadata: good, Stored: md, Catalog: cat, Inconsistent: bad, SourceName: s.sourceName(md)}
}

// sourceName is the name of the source backed by the data database.
func (s *Service) sourceName(md *Metadata) string {
	if s.opts.Source != "" {
		return s.opts.Source
	}
	if md == nil || md.Source("default") != nil {
		return "default"
	}
	var pg []string
	for _, src := range md.Sources {
		if src.Kind == "postgres" || src.Kind == "" {
			pg = append(pg, src.Name)
		}
	}
	if len(pg) == 1 {
		return pg[0]
	}
	return "default"
}

// Source returns the served source backed by the data database (nil when
// the metadata has none).
func (s *Snapshot) Source() *Source { return s.Metadata.Source(s.SourceName) }

// Refresh re-reads the metadata when another instance changed it (its
// resource_version moved) and reports whether it did.
func (s *Service) Refresh(ctx context.Context) (bool, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.refreshLocked(ctx)
}

func (s *Service) refreshLocked(ctx context.Context) (bool, error) {
	rv, err := s.store.version(ctx)
	if err != nil {
		return false, err
	}
	if cur := s.Current(); cur != nil && cur.Version == rv {
		return false, nil
	}
	return true, s.reload(ctx)
}

// Watch calls Refresh every interval until ctx ends, so that changes made by
// other instances are picked up.
func (s *Service) Watch(ctx context.Context, interval time.Duration) {
	t := time.NewTicker(interval)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			_, _ = s.Refresh(ctx)
		}
	}
}

// Listen re-reads the metadata as soon as another instance announces a
// change (LISTEN on the metadata database), until ctx ends. It holds one
// connection of its own, so it needs a session-level connection (not
// PgBouncer in transaction mode, where Watch's polling works instead).
func (s *Service) Listen(ctx context.Context) error {
	pc, err := s.store.pool.Acquire(ctx)
	if err != nil {
		return err
	}
	conn := pc.Hijack()
	defer conn.Close(context.Background())
	if _, err := conn.Exec(ctx, "LISTEN "+notifyChannel); err != nil {
		return err
	}
	for {
		if _, err := conn.WaitForNotification(ctx); err != nil {
			if ctx.Err() != nil {
				return nil
			}
			return err
		}
		_, _ = s.Refresh(ctx)
	}
}

// Health reports whether the metadata and data databases answer; when strict,
// inconsistent metadata is an error too.
func (s *Service) Health(ctx context.Context, strict bool) error {
	if _, err := s.store.version(ctx); err != nil {
		return apierr.Internalf("metadata database: %v", err)
	}
	if err := s.data.Ping(ctx); err != nil {
		return apierr.Internalf("data database: %v", err)
	}
	if strict && len(s.Current().Inconsistent) > 0 {
		return apierr.New(apierr.Inconsistent, "inconsistent objects in schema").WithStatus(500)
	}
	return nil
}
