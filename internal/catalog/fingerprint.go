package catalog

import (
	"context"
	"fmt"
	"maps"
	"slices"
	"sort"
	"strings"
	"sync"
)

// Fingerprint summarises the database's schema cheaply: a hash per
// relation, per function name (all overloads) and per user type. Taking one
// before and after arbitrary DDL and comparing them with Diff tells which
// objects need reloading. It needs no superuser rights.
//
// The maps of a fingerprint returned by TakeFingerprint may be shared with
// other fingerprints of the same schema and must not be modified.
type Fingerprint struct {
	Relations map[QName]string
	Functions map[QName]string
	Types     map[QName]string
	// The oids of relations, functions (when not overloaded) and types
	// identify them across renames.
	RelationOIDs, FunctionOIDs, TypeOIDs map[QName]uint32

	// sum is a hash of all the entries above, computed by the database
	// ("" when unknown, as in a Fingerprint built by hand): two
	// fingerprints with the same sum are equal.
	sum string
	// buckets spreads the entries over fingerprintBuckets buckets by name
	// (nil when unknown), so that the next fingerprint can be read as the
	// buckets that changed.
	buckets *fpBuckets
}

// fingerprintBuckets is the number of buckets of the fingerprint query.
const fingerprintBuckets = 64

// fpBuckets are the buckets of a fingerprint: the sum of each (computed by
// the database) and the entries in each. A fingerprint shares the key
// slices of the buckets that did not change with the one it was read
// from; they are never modified.
type fpBuckets struct {
	sums [fingerprintBuckets]string
	keys [fingerprintBuckets][]fpKey
	// joined is sums separated by commas, as the query takes them.
	joined string
}

// fpKey names an entry of a fingerprint: its kind ('r', 'f' or 't') and
// name.
type fpKey struct {
	kind byte
	name QName
}

// Changes names the objects that were created, altered or dropped between
// two fingerprints, each list in (schema, name) order.
type Changes struct {
	Relations []QName
	Functions []QName
	Types     []QName
	// Renamed maps the old name of each renamed relation, function or type
	// to its new name (both names also appear in the lists above).
	Renamed map[QName]QName
}

// Empty reports whether nothing changed.
func (c Changes) Empty() bool {
	return len(c.Relations) == 0 && len(c.Functions) == 0 && len(c.Types) == 0
}

// TakeFingerprint reads the current fingerprint of the database behind q
// (one query). Pass the same options as to Load.
//
// The query sends back one row when the schema is one whose fingerprint
// was taken recently (by any caller, on any database): the common case of a
// metadata change made through Postgate, which compares the fingerprint
// with the last one. When the schema changed, it sends the rows of the
// objects in the buckets (1/64th of the objects each, by name) that differ
// from the last fingerprint taken, whose other entries are kept; the first
// fingerprint a process takes reads every object.
func TakeFingerprint(ctx context.Context, q Querier, opts ...Option) (Fingerprint, error) {
	var fp Fingerprint
	err := inSnapshot(ctx, q, func(q Querier) error {
		var err error
		fp, _, err = fingerprint(ctx, q, newOptions(opts), &recentFingerprints)
		return err
	})
	return fp, err
}

// fingerprintCache remembers the fingerprints last taken, by sum. Equal
// sums mean equal fingerprints whatever the database or options they were
// taken with, so one cache serves all.
type fingerprintCache struct {
	mu   sync.Mutex
	last []Fingerprint // most recent first
}

// recentFingerprintsSize is how many fingerprints recentFingerprints keeps:
// a few, for processes serving several databases, each with a few states
// in flight (before and after run_sql).
const recentFingerprintsSize = 4

var recentFingerprints fingerprintCache

// sums returns the sums of the cached fingerprints.
func (c *fingerprintCache) sums() []string {
	s, _ := c.known()
	return s
}

// known returns the sums of the cached fingerprints and the most recent
// one (nil when there is none).
func (c *fingerprintCache) known() ([]string, *Fingerprint) {
	c.mu.Lock()
	defer c.mu.Unlock()
	out := make([]string, len(c.last))
	for i, fp := range c.last {
		out[i] = fp.sum
	}
	if len(c.last) == 0 {
		return out, nil
	}
	last := c.last[0]
	return out, &last
}

// get returns the cached fingerprint with this sum, moving it first.
func (c *fingerprintCache) get(sum string) (Fingerprint, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	for i, fp := range c.last {
		if fp.sum == sum {
			copy(c.last[1:i+1], c.last[:i])
			c.last[0] = fp
			return fp, true
		}
	}
	return Fingerprint{}, false
}

// put adds fp first, dropping the oldest beyond recentFingerprintsSize.
func (c *fingerprintCache) put(fp Fingerprint) {
	c.mu.Lock()
	defer c.mu.Unlock()
	for i, old := range c.last {
		if old.sum == fp.sum {
			c.last = append(c.last[:i], c.last[i+1:]...)
			break
		}
	}
	if len(c.last) < recentFingerprintsSize {
		c.last = append(c.last, Fingerprint{})
	}
	copy(c.last[1:], c.last[:len(c.last)-1])
	c.last[0] = fp
}

// fingerprint runs the fingerprint query, sending the sums cached in c
// and the buckets of the most recent one, and returns the fingerprint and
// the number of per-object rows received (0 when it was cached).
func fingerprint(ctx context.Context, q Querier, o options, c *fingerprintCache) (Fingerprint, int, error) {
	known, base := c.known()
	fp, n, err := fingerprintQuery(ctx, q, o, known, base)
	if err != nil || !slices.Contains(known, fp.sum) {
		if err == nil {
			c.put(fp)
		}
		return fp, n, err
	}
	// The database has not changed since that fingerprint was taken.
	if cached, ok := c.get(fp.sum); ok {
		return cached, 0, nil
	}
	// It was dropped from the cache meanwhile (by other callers).
	fp, n, err = fingerprintQuery(ctx, q, o, nil, nil)
	if err == nil {
		c.put(fp)
	}
	return fp, n, err
}

// fingerprintQuery runs the fingerprint query. It returns a fingerprint
// with only its sum set when the sum is one of known. Otherwise the
// entries of the buckets whose sum is that of base are taken from base,
// the others read.
func fingerprintQuery(ctx context.Context, q Querier, o options, known []string, base *Fingerprint) (Fingerprint, int, error) {
	var fp Fingerprint
	if known == nil {
		known = []string{}
	}
	if base != nil && base.buckets == nil {
		base = nil
	}
	baseSums := ""
	if base != nil {
		baseSums = base.buckets.joined
	}
	rows, err := q.Query(ctx, query("fingerprint"), o.exclude, known, baseSums)
	if err != nil {
		return fp, 0, fmt.Errorf("catalog: fingerprint: %w", err)
	}
	defer rows.Close()
	var kind, hash string
	var name QName
	var oid uint32
	var bucket int32
	scan := func() error {
		if err := rows.Scan(&kind, &name.Schema, &name.Name, &oid, &hash, &bucket); err != nil {
			return fmt.Errorf("catalog: fingerprint: %w", err)
		}
		if bucket < 0 || bucket >= fingerprintBuckets {
			return fmt.Errorf("catalog: fingerprint: bucket %d", bucket)
		}
		return nil
	}
	// The first row is the sum.
	if !rows.Next() {
		if err := rows.Err(); err != nil {
			return fp, 0, fmt.Errorf("catalog: fingerprint: %w", err)
		}
		return fp, 0, fmt.Errorf("catalog: fingerprint: no rows")
	}
	if err := scan(); err != nil {
		return fp, 0, err
	}
	if kind != "*" || hash == "" {
		return fp, 0, fmt.Errorf("catalog: fingerprint: first row %q %q", kind, hash)
	}
	fp.sum = hash
	if slices.Contains(known, fp.sum) {
		rows.Close()
		return fp, 0, rows.Err()
	}
	b := &fpBuckets{}
	if base != nil {
		*b = *base.buckets
		fp.Relations, fp.Functions, fp.Types = maps.Clone(base.Relations), maps.Clone(base.Functions), maps.Clone(base.Types)
		fp.RelationOIDs, fp.FunctionOIDs, fp.TypeOIDs = maps.Clone(base.RelationOIDs), maps.Clone(base.FunctionOIDs), maps.Clone(base.TypeOIDs)
	} else {
		fp.Relations, fp.Functions, fp.Types = map[QName]string{}, map[QName]string{}, map[QName]string{}
		fp.RelationOIDs, fp.FunctionOIDs, fp.TypeOIDs = map[QName]uint32{}, map[QName]uint32{}, map[QName]uint32{}
	}
	fp.buckets = b
	var changed [fingerprintBuckets]bool
	n := 0
	for rows.Next() {
		if err := scan(); err != nil {
			return fp, n, err
		}
		switch kind {
		case "b":
			// A changed bucket (before its entries): drop its old ones.
			for _, k := range b.keys[bucket] {
				fp.delete(k)
			}
			b.sums[bucket], b.keys[bucket] = hash, nil
			changed[bucket] = true
			continue
		case "r":
			fp.Relations[name], fp.RelationOIDs[name] = hash, oid
		case "f":
			fp.Functions[name], fp.FunctionOIDs[name] = hash, oid
		case "t":
			fp.Types[name], fp.TypeOIDs[name] = hash, oid
		default:
			return fp, n, fmt.Errorf("catalog: fingerprint: row of kind %q", kind)
		}
		if !changed[bucket] {
			// (The buckets' rows come first; the entries of a bucket that
			// did not change are base's.)
			return fp, n, fmt.Errorf("catalog: fingerprint: %s in unchanged bucket %d", name, bucket)
		}
		n++
		b.keys[bucket] = append(b.keys[bucket], fpKey{kind: kind[0], name: name})
	}
	if err := rows.Err(); err != nil {
		return fp, n, fmt.Errorf("catalog: fingerprint: %w", err)
	}
	b.joined = strings.Join(b.sums[:], ",")
	return fp, n, nil
}

// delete removes the entry named k.
func (fp *Fingerprint) delete(k fpKey) {
	switch k.kind {
	case 'r':
		delete(fp.Relations, k.name)
		delete(fp.RelationOIDs, k.name)
	case 'f':
		delete(fp.Functions, k.name)
		delete(fp.FunctionOIDs, k.name)
	case 't':
		delete(fp.Types, k.name)
		delete(fp.TypeOIDs, k.name)
	}
}

// Diff returns the objects whose hash differs between a and b, including
// those present in only one of them.
func Diff(a, b Fingerprint) Changes {
	if a.sum != "" && a.sum == b.sum {
		return Changes{}
	}
	ch := Changes{
		Relations: diffMap(a.Relations, b.Relations),
		Functions: diffMap(a.Functions, b.Functions),
		Types:     diffMap(a.Types, b.Types),
	}
	renames(a.RelationOIDs, b.RelationOIDs, &ch.Renamed)
	renames(a.FunctionOIDs, b.FunctionOIDs, &ch.Renamed)
	renames(a.TypeOIDs, b.TypeOIDs, &ch.Renamed)
	return ch
}

// renames adds to *out each name of a that is gone from b while its oid
// lives on under a new name.
func renames(a, b map[QName]uint32, out *map[QName]QName) {
	added := map[uint32]QName{}
	for n, oid := range b {
		if _, ok := a[n]; !ok && oid != 0 {
			added[oid] = n
		}
	}
	for n, oid := range a {
		if _, ok := b[n]; ok || oid == 0 {
			continue
		}
		if to, ok := added[oid]; ok {
			if *out == nil {
				*out = map[QName]QName{}
			}
			(*out)[n] = to
		}
	}
}

func diffMap(a, b map[QName]string) []QName {
	var out []QName
	for n, h := range a {
		if h2, ok := b[n]; !ok || h2 != h {
			out = append(out, n)
		}
	}
	for n := range b {
		if _, ok := a[n]; !ok {
			out = append(out, n)
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Less(out[j]) })
	return out
}
