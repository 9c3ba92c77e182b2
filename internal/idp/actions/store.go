package actions

import (
	"context"
	"crypto/cipher"
	"crypto/rand"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"
)

// schemaSQL creates the Actions tables; %[1]s is the quoted schema. Every
// statement is idempotent so start-up runs it each time.
const schemaSQL = `
CREATE SCHEMA IF NOT EXISTS %[1]s;
CREATE TABLE IF NOT EXISTS %[1]s.action_actions (
  id text PRIMARY KEY,
  name text NOT NULL UNIQUE,
  code text NOT NULL DEFAULT '',
  runtime text NOT NULL DEFAULT 'node22',
  supported_triggers jsonb NOT NULL DEFAULT '[]',
  dependencies jsonb NOT NULL DEFAULT '[]',
  secrets jsonb NOT NULL DEFAULT '[]',
  created_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now()
);
CREATE TABLE IF NOT EXISTS %[1]s.action_versions (
  id text PRIMARY KEY,
  action_id text NOT NULL REFERENCES %[1]s.action_actions ON DELETE CASCADE,
  number integer NOT NULL,
  code text NOT NULL,
  runtime text NOT NULL,
  supported_triggers jsonb NOT NULL,
  dependencies jsonb NOT NULL,
  secrets jsonb NOT NULL,
  deployed boolean NOT NULL DEFAULT false,
  created_at timestamptz NOT NULL DEFAULT now(),
  UNIQUE (action_id, number)
);
CREATE UNIQUE INDEX IF NOT EXISTS action_versions_deployed ON %[1]s.action_versions (action_id) WHERE deployed;
CREATE TABLE IF NOT EXISTS %[1]s.action_bindings (
  id text PRIMARY KEY,
  trigger_id text NOT NULL,
  position integer NOT NULL,
  action_id text NOT NULL REFERENCES %[1]s.action_actions ON DELETE CASCADE,
  display_name text NOT NULL DEFAULT '',
  created_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now(),
  UNIQUE (trigger_id, position)
)`

// Limits from Auth0's Actions limitations page.
const (
	maxCodeBytes    = 100 << 10
	maxSecrets      = 30
	maxSecretName   = 128
	maxSecretValue  = 4096
	maxDependencies = 10
	maxBindings     = 20
	maxVersions     = 50
)

// TriggerRef is an entry of supported_triggers.
type TriggerRef struct {
	ID      string `json:"id"`
	Version string `json:"version,omitempty"`
}

// Secret is an action secret. Value is write-only: the API never returns it.
type Secret struct {
	Name      string    `json:"name"`
	Value     string    `json:"value,omitempty"`
	UpdatedAt time.Time `json:"updated_at"`
}

// ActionRecord is a stored action (its current, possibly undeployed, draft).
type ActionRecord struct {
	ID                string
	Name              string
	Code              string
	Runtime           string
	SupportedTriggers []TriggerRef
	Dependencies      []Dependency
	Secrets           []Secret
	CreatedAt         time.Time
	UpdatedAt         time.Time
	// Deployed is the deployed version, nil until the first deploy.
	Deployed *VersionRecord
}

// VersionRecord is an immutable deployed snapshot of an action.
type VersionRecord struct {
	ID                string
	ActionID          string
	Number            int
	Code              string
	Runtime           string
	SupportedTriggers []TriggerRef
	Dependencies      []Dependency
	Secrets           []Secret
	Deployed          bool
	CreatedAt         time.Time
}

// BindingRecord binds an action to a trigger at a position.
type BindingRecord struct {
	ID          string
	TriggerID   string
	Position    int
	ActionID    string
	DisplayName string
	CreatedAt   time.Time
	UpdatedAt   time.Time
	Action      *ActionRecord
}

// ActionInput is a create or update request; nil fields are left as they
// are on update.
type ActionInput struct {
	Name              *string       `json:"name"`
	Code              *string       `json:"code"`
	Runtime           *string       `json:"runtime"`
	SupportedTriggers *[]TriggerRef `json:"supported_triggers"`
	Dependencies      *[]Dependency `json:"dependencies"`
	Secrets           *[]Secret     `json:"secrets"`
}

// BindingRef names the action a binding points at.
type BindingRef struct {
	Type  string `json:"type"` // action_id or action_name
	Value string `json:"value"`
}

// BindingInput is one entry of a bindings update.
type BindingInput struct {
	Ref         BindingRef `json:"ref"`
	DisplayName string     `json:"display_name"`
}

// Store keeps actions, versions and bindings in Postgres.
type Store struct {
	pool *pgxpool.Pool
	s    string
	now  func() time.Time
	aead cipher.AEAD // seals secret values at rest; nil stores them as they are
}

// OpenStore creates the Actions tables in schema (default postgate_auth)
// when they are missing and returns the store.
func OpenStore(ctx context.Context, pool *pgxpool.Pool, schema string, opts ...StoreOption) (*Store, error) {
	if schema == "" {
		schema = "postgate_auth"
	}
	q := pgx.Identifier{schema}.Sanitize()
	conn, err := pool.Acquire(ctx)
	if err != nil {
		return nil, err
	}
	defer conn.Release()
	if _, err := conn.Exec(ctx, `SELECT pg_advisory_lock(hashtext('postgate_auth_actions_migrate'))`); err != nil {
		return nil, err
	}
	defer conn.Exec(context.Background(), `SELECT pg_advisory_unlock(hashtext('postgate_auth_actions_migrate'))`) //nolint:errcheck
	for _, stmt := range strings.Split(fmt.Sprintf(schemaSQL, q), ";\n") {
		if strings.TrimSpace(stmt) == "" {
			continue
		}
		if _, err := conn.Exec(ctx, stmt); err != nil {
			return nil, fmt.Errorf("actions: creating tables in %s: %w", schema, err)
		}
	}
	st := &Store{pool: pool, s: q, now: time.Now}
	for _, o := range opts {
		o(st)
	}
	return st, nil
}

func (s *Store) t(name string) string { return s.s + "." + name }

// newID returns a random UUID (version 4), the form of Auth0's action ids.
func newID() string {
	var b [16]byte
	_, _ = rand.Read(b[:])
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	return fmt.Sprintf("%x-%x-%x-%x-%x", b[0:4], b[4:6], b[6:8], b[8:10], b[10:16])
}

// validate checks a complete action draft.
func validateDraft(a *ActionRecord) error {
	if strings.TrimSpace(a.Name) == "" {
		return invalidf("Payload validation error: 'Missing required property: name'.")
	}
	if len(a.Code) > maxCodeBytes {
		return invalidf("the code is larger than %d bytes", maxCodeBytes)
	}
	if len(a.SupportedTriggers) == 0 {
		return invalidf("Payload validation error: 'Missing required property: supported_triggers'.")
	}
	for _, tr := range a.SupportedTriggers {
		if !Trigger(tr.ID).Valid() {
			return invalidf("supported_triggers: the trigger %q is not supported (supported: post-login, credentials-exchange, pre-user-registration, post-user-registration)", tr.ID)
		}
	}
	switch a.Runtime {
	case "node12", "node16", "node18", "node18-actions", "node22":
	default:
		return invalidf("runtime: %q is not a supported runtime (node18, node22)", a.Runtime)
	}
	if len(a.Dependencies) > maxDependencies {
		return invalidf("dependencies: at most %d modules", maxDependencies)
	}
	if err := CheckDependencies(a.Dependencies); err != nil {
		return err
	}
	if len(a.Secrets) > maxSecrets {
		return invalidf("secrets: at most %d secrets", maxSecrets)
	}
	seen := map[string]bool{}
	for _, sec := range a.Secrets {
		if sec.Name == "" || len(sec.Name) > maxSecretName {
			return invalidf("secrets: a secret name must have 1 to %d characters", maxSecretName)
		}
		if seen[sec.Name] {
			return invalidf("secrets: %q is given twice", sec.Name)
		}
		seen[sec.Name] = true
		if len(sec.Value) > maxSecretValue {
			return invalidf("secrets: the value of %q is longer than %d characters", sec.Name, maxSecretValue)
		}
	}
	return nil
}

// apply lays in over a (the stored draft, or a new one).
func (s *Store) apply(a *ActionRecord, in ActionInput) {
	now := s.now().UTC()
	if in.Name != nil {
		a.Name = strings.TrimSpace(*in.Name)
	}
	if in.Code != nil {
		a.Code = *in.Code
	}
	if in.Runtime != nil && *in.Runtime != "" {
		a.Runtime = *in.Runtime
	}
	if in.SupportedTriggers != nil {
		a.SupportedTriggers = *in.SupportedTriggers
		for i := range a.SupportedTriggers {
			if a.SupportedTriggers[i].Version == "" {
				a.SupportedTriggers[i].Version = triggerVersions[Trigger(a.SupportedTriggers[i].ID)]
			}
		}
	}
	if in.Dependencies != nil {
		a.Dependencies = *in.Dependencies
	}
	if in.Secrets != nil {
		old := map[string]Secret{}
		for _, sec := range a.Secrets {
			old[sec.Name] = sec
		}
		next := make([]Secret, 0, len(*in.Secrets))
		for _, sec := range *in.Secrets {
			if prev, ok := old[sec.Name]; ok && sec.Value == "" {
				next = append(next, prev) // unchanged: the value was not sent back
				continue
			}
			next = append(next, Secret{Name: sec.Name, Value: sec.Value, UpdatedAt: now})
		}
		a.Secrets = next
	}
	if a.Runtime == "" {
		a.Runtime = "node22"
	}
	if a.SupportedTriggers == nil {
		a.SupportedTriggers = []TriggerRef{}
	}
	if a.Dependencies == nil {
		a.Dependencies = []Dependency{}
	}
	if a.Secrets == nil {
		a.Secrets = []Secret{}
	}
	a.UpdatedAt = now
}

func isUnique(err error) bool {
	var pe *pgconn.PgError
	return errors.As(err, &pe) && pe.Code == "23505"
}

// Create stores a new action draft.
func (s *Store) Create(ctx context.Context, in ActionInput) (*ActionRecord, error) {
	a := &ActionRecord{ID: newID()}
	s.apply(a, in)
	a.CreatedAt = a.UpdatedAt
	if err := validateDraft(a); err != nil {
		return nil, err
	}
	trig, deps, secs := mustJSON(a.SupportedTriggers), mustJSON(a.Dependencies), s.encodeSecrets(a.Secrets)
	_, err := s.pool.Exec(ctx, `INSERT INTO `+s.t("action_actions")+` (id, name, code, runtime, supported_triggers, dependencies, secrets, created_at, updated_at)
VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $8)`, a.ID, a.Name, a.Code, a.Runtime, trig, deps, secs, a.CreatedAt)
	if isUnique(err) {
		return nil, fmt.Errorf("%w: an action named %q already exists", ErrConflict, a.Name)
	}
	if err != nil {
		return nil, err
	}
	return a, nil
}

// Update changes an action's draft; deploy makes the change live.
func (s *Store) Update(ctx context.Context, id string, in ActionInput) (*ActionRecord, error) {
	a, err := s.Get(ctx, id)
	if err != nil {
		return nil, err
	}
	s.apply(a, in)
	if err := validateDraft(a); err != nil {
		return nil, err
	}
	_, err = s.pool.Exec(ctx, `UPDATE `+s.t("action_actions")+` SET name = $2, code = $3, runtime = $4, supported_triggers = $5,
dependencies = $6, secrets = $7, updated_at = $8 WHERE id = $1`,
		a.ID, a.Name, a.Code, a.Runtime, mustJSON(a.SupportedTriggers), mustJSON(a.Dependencies), s.encodeSecrets(a.Secrets), a.UpdatedAt)
	if isUnique(err) {
		return nil, fmt.Errorf("%w: an action named %q already exists", ErrConflict, a.Name)
	}
	if err != nil {
		return nil, err
	}
	return a, nil
}

// Delete removes an action with its versions. A bound action is refused
// unless force detaches it from its triggers.
func (s *Store) Delete(ctx context.Context, id string, force bool) error {
	if !force {
		var n int
		if err := s.pool.QueryRow(ctx, `SELECT count(*) FROM `+s.t("action_bindings")+` WHERE action_id = $1`, id).Scan(&n); err != nil {
			return err
		}
		if n > 0 {
			return fmt.Errorf("%w: the action is bound to a trigger; remove the binding first or pass force=true", ErrConflict)
		}
	}
	tag, err := s.pool.Exec(ctx, `DELETE FROM `+s.t("action_actions")+` WHERE id = $1`, id)
	if err != nil {
		return err
	}
	if tag.RowsAffected() == 0 {
		return fmt.Errorf("%w: the action does not exist", ErrNotFound)
	}
	return nil
}

const actionCols = `a.id, a.name, a.code, a.runtime, a.supported_triggers, a.dependencies, a.secrets, a.created_at, a.updated_at`
const versionCols = `v.id, v.action_id, v.number, v.code, v.runtime, v.supported_triggers, v.dependencies, v.secrets, v.deployed, v.created_at`

func (s *Store) scanVersion(row pgx.Row, v *VersionRecord) error {
	var trig, deps, secs []byte
	if err := row.Scan(&v.ID, &v.ActionID, &v.Number, &v.Code, &v.Runtime, &trig, &deps, &secs, &v.Deployed, &v.CreatedAt); err != nil {
		return err
	}
	return errors.Join(json.Unmarshal(trig, &v.SupportedTriggers), json.Unmarshal(deps, &v.Dependencies), s.decodeSecrets(secs, &v.Secrets))
}

// Get returns an action with its deployed version.
func (s *Store) Get(ctx context.Context, id string) (*ActionRecord, error) {
	list, err := s.list(ctx, `WHERE a.id = $1`, id)
	if err != nil {
		return nil, err
	}
	if len(list) == 0 {
		return nil, fmt.Errorf("%w: the action does not exist", ErrNotFound)
	}
	return list[0], nil
}

// ListFilter narrows List.
type ListFilter struct {
	TriggerID  string
	ActionName string
	Deployed   *bool
}

// List returns the actions, oldest first.
func (s *Store) List(ctx context.Context, f ListFilter) ([]*ActionRecord, error) {
	var conds []string
	var args []any
	if f.TriggerID != "" {
		args = append(args, mustJSON([]map[string]string{{"id": f.TriggerID}}))
		conds = append(conds, fmt.Sprintf("a.supported_triggers @> $%d::jsonb", len(args)))
	}
	if f.ActionName != "" {
		args = append(args, f.ActionName)
		conds = append(conds, fmt.Sprintf("a.name = $%d", len(args)))
	}
	if f.Deployed != nil {
		args = append(args, *f.Deployed)
		conds = append(conds, fmt.Sprintf("(v.id IS NOT NULL) = $%d", len(args)))
	}
	where := ""
	if len(conds) > 0 {
		where = "WHERE " + strings.Join(conds, " AND ")
	}
	return s.list(ctx, where, args...)
}

func (s *Store) list(ctx context.Context, where string, args ...any) ([]*ActionRecord, error) {
	rows, err := s.pool.Query(ctx, `SELECT `+actionCols+`, `+versionCols+` FROM `+s.t("action_actions")+` a
LEFT JOIN `+s.t("action_versions")+` v ON v.action_id = a.id AND v.deployed `+where+` ORDER BY a.created_at, a.id`, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []*ActionRecord
	for rows.Next() {
		a := &ActionRecord{}
		var v struct {
			id, actionID, code, runtime *string
			number                      *int
			trig, deps, secs            []byte
			deployed                    *bool
			created                     *time.Time
		}
		var trig, deps, secs []byte
		if err := rows.Scan(&a.ID, &a.Name, &a.Code, &a.Runtime, &trig, &deps, &secs, &a.CreatedAt, &a.UpdatedAt,
			&v.id, &v.actionID, &v.number, &v.code, &v.runtime, &v.trig, &v.deps, &v.secs, &v.deployed, &v.created); err != nil {
			return nil, err
		}
		if err := errors.Join(json.Unmarshal(trig, &a.SupportedTriggers), json.Unmarshal(deps, &a.Dependencies), s.decodeSecrets(secs, &a.Secrets)); err != nil {
			return nil, err
		}
		if v.id != nil {
			d := &VersionRecord{ID: *v.id, ActionID: *v.actionID, Number: *v.number, Code: *v.code, Runtime: *v.runtime, Deployed: *v.deployed, CreatedAt: *v.created}
			if err := errors.Join(json.Unmarshal(v.trig, &d.SupportedTriggers), json.Unmarshal(v.deps, &d.Dependencies), s.decodeSecrets(v.secs, &d.Secrets)); err != nil {
				return nil, err
			}
			a.Deployed = d
		}
		out = append(out, a)
	}
	return out, rows.Err()
}

// Deploy snapshots the action's draft as a new immutable version and makes
// it the deployed one. The code must compile and its dependencies must be
// ones Postgate provides.
func (s *Store) Deploy(ctx context.Context, id string) (*VersionRecord, error) {
	a, err := s.Get(ctx, id)
	if err != nil {
		return nil, err
	}
	if err := validateDraft(a); err != nil {
		return nil, err
	}
	if _, err := Compile(a.Name, a.Code); err != nil {
		return nil, invalidf("the action's code does not compile: %v", err)
	}
	v := &VersionRecord{ID: newID(), ActionID: a.ID, Code: a.Code, Runtime: a.Runtime, SupportedTriggers: a.SupportedTriggers,
		Dependencies: a.Dependencies, Secrets: a.Secrets, Deployed: true, CreatedAt: s.now().UTC()}
	err = pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, `SELECT 1 FROM `+s.t("action_actions")+` WHERE id = $1 FOR UPDATE`, a.ID); err != nil {
			return err
		}
		if err := tx.QueryRow(ctx, `SELECT coalesce(max(number), 0) + 1 FROM `+s.t("action_versions")+` WHERE action_id = $1`, a.ID).Scan(&v.Number); err != nil {
			return err
		}
		if _, err := tx.Exec(ctx, `UPDATE `+s.t("action_versions")+` SET deployed = false WHERE action_id = $1 AND deployed`, a.ID); err != nil {
			return err
		}
		if _, err := tx.Exec(ctx, `INSERT INTO `+s.t("action_versions")+` (id, action_id, number, code, runtime, supported_triggers, dependencies, secrets, deployed, created_at)
VALUES ($1, $2, $3, $4, $5, $6, $7, $8, true, $9)`, v.ID, v.ActionID, v.Number, v.Code, v.Runtime,
			mustJSON(v.SupportedTriggers), mustJSON(v.Dependencies), s.encodeSecrets(v.Secrets), v.CreatedAt); err != nil {
			return err
		}
		// Keep the newest versions only, as Auth0 does.
		_, err := tx.Exec(ctx, `DELETE FROM `+s.t("action_versions")+` WHERE action_id = $1 AND number <= $2 AND NOT deployed`, a.ID, v.Number-maxVersions)
		return err
	})
	if err != nil {
		return nil, err
	}
	return v, nil
}

// Rollback makes an earlier version of an action the deployed one again.
func (s *Store) Rollback(ctx context.Context, actionID, versionID string) (*VersionRecord, error) {
	if _, err := s.Version(ctx, actionID, versionID); err != nil {
		return nil, err
	}
	err := pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, `SELECT 1 FROM `+s.t("action_actions")+` WHERE id = $1 FOR UPDATE`, actionID); err != nil {
			return err
		}
		if _, err := tx.Exec(ctx, `UPDATE `+s.t("action_versions")+` SET deployed = false WHERE action_id = $1 AND deployed AND id <> $2`, actionID, versionID); err != nil {
			return err
		}
		_, err := tx.Exec(ctx, `UPDATE `+s.t("action_versions")+` SET deployed = true WHERE action_id = $1 AND id = $2`, actionID, versionID)
		return err
	})
	if err != nil {
		return nil, err
	}
	return s.Version(ctx, actionID, versionID)
}

// Versions lists an action's versions, newest first.
func (s *Store) Versions(ctx context.Context, actionID string) ([]*VersionRecord, error) {
	if _, err := s.Get(ctx, actionID); err != nil {
		return nil, err
	}
	rows, err := s.pool.Query(ctx, `SELECT `+versionCols+` FROM `+s.t("action_versions")+` v WHERE v.action_id = $1 ORDER BY v.number DESC`, actionID)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []*VersionRecord
	for rows.Next() {
		v := &VersionRecord{}
		if err := s.scanVersion(rows, v); err != nil {
			return nil, err
		}
		out = append(out, v)
	}
	return out, rows.Err()
}

// Version returns one version of an action.
func (s *Store) Version(ctx context.Context, actionID, versionID string) (*VersionRecord, error) {
	v := &VersionRecord{}
	err := s.scanVersion(s.pool.QueryRow(ctx, `SELECT `+versionCols+` FROM `+s.t("action_versions")+` v WHERE v.action_id = $1 AND v.id = $2`, actionID, versionID), v)
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, fmt.Errorf("%w: the version does not exist", ErrNotFound)
	}
	return v, err
}

// Bindings returns a trigger's bindings in order.
func (s *Store) Bindings(ctx context.Context, trigger Trigger) ([]*BindingRecord, error) {
	if !trigger.Valid() {
		return nil, fmt.Errorf("%w: the trigger %q does not exist", ErrNotFound, trigger)
	}
	rows, err := s.pool.Query(ctx, `SELECT b.id, b.trigger_id, b.position, b.action_id, b.display_name, b.created_at, b.updated_at, `+actionCols+`
FROM `+s.t("action_bindings")+` b JOIN `+s.t("action_actions")+` a ON a.id = b.action_id WHERE b.trigger_id = $1 ORDER BY b.position`, string(trigger))
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []*BindingRecord
	for rows.Next() {
		b := &BindingRecord{Action: &ActionRecord{}}
		a := b.Action
		var trig, deps, secs []byte
		if err := rows.Scan(&b.ID, &b.TriggerID, &b.Position, &b.ActionID, &b.DisplayName, &b.CreatedAt, &b.UpdatedAt,
			&a.ID, &a.Name, &a.Code, &a.Runtime, &trig, &deps, &secs, &a.CreatedAt, &a.UpdatedAt); err != nil {
			return nil, err
		}
		if err := errors.Join(json.Unmarshal(trig, &a.SupportedTriggers), json.Unmarshal(deps, &a.Dependencies), s.decodeSecrets(secs, &a.Secrets)); err != nil {
			return nil, err
		}
		out = append(out, b)
	}
	return out, rows.Err()
}

// SetBindings replaces a trigger's ordered bindings. Every referenced
// action must exist, support the trigger and be deployed.
func (s *Store) SetBindings(ctx context.Context, trigger Trigger, in []BindingInput) ([]*BindingRecord, error) {
	if !trigger.Valid() {
		return nil, fmt.Errorf("%w: the trigger %q does not exist", ErrNotFound, trigger)
	}
	if len(in) > maxBindings {
		return nil, invalidf("bindings: at most %d actions per trigger", maxBindings)
	}
	all, err := s.List(ctx, ListFilter{})
	if err != nil {
		return nil, err
	}
	byID := map[string]*ActionRecord{}
	byName := map[string]*ActionRecord{}
	for _, a := range all {
		byID[a.ID], byName[a.Name] = a, a
	}
	ids := make([]string, len(in))
	for i, b := range in {
		var a *ActionRecord
		switch b.Ref.Type {
		case "action_id", "":
			a = byID[b.Ref.Value]
			if a == nil && b.Ref.Type == "" {
				a = byName[b.Ref.Value]
			}
		case "action_name":
			a = byName[b.Ref.Value]
		default:
			return nil, invalidf("bindings[%d].ref.type must be action_id or action_name", i)
		}
		if a == nil {
			return nil, invalidf("bindings[%d]: the action %q does not exist", i, b.Ref.Value)
		}
		if !slices.ContainsFunc(a.SupportedTriggers, func(t TriggerRef) bool { return t.ID == string(trigger) }) {
			return nil, invalidf("bindings[%d]: the action %q does not support the trigger %s", i, a.Name, trigger)
		}
		if a.Deployed == nil {
			return nil, invalidf("bindings[%d]: the action %q has not been deployed", i, a.Name)
		}
		if slices.Contains(ids[:i], a.ID) {
			return nil, invalidf("bindings[%d]: the action %q is bound twice", i, a.Name)
		}
		ids[i] = a.ID
	}
	now := s.now().UTC()
	err = pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, `SELECT pg_advisory_xact_lock(hashtext('postgate_auth_action_bindings'))`); err != nil {
			return err
		}
		if _, err := tx.Exec(ctx, `DELETE FROM `+s.t("action_bindings")+` WHERE trigger_id = $1`, string(trigger)); err != nil {
			return err
		}
		for i, b := range in {
			name := b.DisplayName
			if name == "" {
				name = byID[ids[i]].Name
			}
			if _, err := tx.Exec(ctx, `INSERT INTO `+s.t("action_bindings")+` (id, trigger_id, position, action_id, display_name, created_at, updated_at)
VALUES ($1, $2, $3, $4, $5, $6, $6)`, newID(), string(trigger), i, ids[i], name, now); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return s.Bindings(ctx, trigger)
}

// Chain returns the deployed versions bound to trigger, in order, ready to
// run.
func (s *Store) Chain(ctx context.Context, trigger Trigger) ([]Action, error) {
	rows, err := s.pool.Query(ctx, `SELECT a.id, a.name, v.id, v.code, v.secrets FROM `+s.t("action_bindings")+` b
JOIN `+s.t("action_actions")+` a ON a.id = b.action_id
JOIN `+s.t("action_versions")+` v ON v.action_id = a.id AND v.deployed
WHERE b.trigger_id = $1 ORDER BY b.position`, string(trigger))
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []Action
	for rows.Next() {
		var a Action
		var secs []byte
		if err := rows.Scan(&a.ID, &a.Name, &a.VersionID, &a.Code, &secs); err != nil {
			return nil, err
		}
		var list []Secret
		if err := s.decodeSecrets(secs, &list); err != nil {
			return nil, err
		}
		a.Secrets = secretMap(list)
		out = append(out, a)
	}
	return out, rows.Err()
}

func secretMap(list []Secret) map[string]string {
	m := make(map[string]string, len(list))
	for _, s := range list {
		m[s.Name] = s.Value
	}
	return m
}

// allChangesDeployed reports whether the draft equals the deployed version.
func (a *ActionRecord) allChangesDeployed() bool {
	d := a.Deployed
	if d == nil {
		return false
	}
	return d.Code == a.Code && d.Runtime == a.Runtime &&
		string(mustJSON(d.SupportedTriggers)) == string(mustJSON(a.SupportedTriggers)) &&
		string(mustJSON(d.Dependencies)) == string(mustJSON(a.Dependencies)) &&
		maps.Equal(secretMap(d.Secrets), secretMap(a.Secrets))
}

func mustJSON(v any) []byte {
	b, err := json.Marshal(v)
	if err != nil {
		panic(err) // plain structs and slices always encode
	}
	return b
}

// UnmarshalJSON reads id and version and ignores the other fields Auth0
// returns for a trigger (status, runtimes, ...), so that an action fetched
// from the API can be sent back as it is.
func (t *TriggerRef) UnmarshalJSON(b []byte) error {
	var v struct {
		ID      string `json:"id"`
		Version string `json:"version"`
	}
	if err := json.Unmarshal(b, &v); err != nil {
		return err
	}
	*t = TriggerRef{ID: v.ID, Version: v.Version}
	return nil
}
