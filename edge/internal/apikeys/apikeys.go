// Package apikeys manages API keys in PostgreSQL: a signed-in user's personal keys (create,
// list, revoke) and the lookup that turns a presented key into its principal. The key format
// (prefix, id, secret, peppered hash) is edge/internal/apikey's; device keys are created at
// pairing by edge/internal/devices.
package apikeys

import (
	"context"
	"errors"
	"log/slog"
	"slices"
	"strings"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/octanebridge/octane-bridge/edge/internal/apikey"
	"github.com/octanebridge/octane-bridge/edge/internal/auth"
	"github.com/octanebridge/octane-bridge/edge/internal/postgres"
	"github.com/octanebridge/octane-bridge/internal/apierror"
)

// Store reads and writes public.api_keys. It is safe for concurrent use.
type Store struct {
	db     *pgxpool.Pool
	pepper []byte
	log    *slog.Logger
}

// New keeps keys in db, hashing secrets with pepper (API_KEY_PEPPER).
func New(db *pgxpool.Pool, pepper []byte, log *slog.Logger) *Store {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	return &Store{db: db, pepper: pepper, log: log}
}

// Key is a key as its owner sees it: never its secret.
type Key struct {
	ID         string     `json:"id"`
	Name       string     `json:"name"`
	Masked     string     `json:"masked"`
	Platform   string     `json:"platform"`
	DeviceID   *uuid.UUID `json:"device_id"`
	Scopes     []string   `json:"scopes"`
	ExpiresAt  *time.Time `json:"expires_at"`
	LastUsedAt *time.Time `json:"last_used_at"`
	CreatedAt  time.Time  `json:"created_at"`
}

// CreateRequest is the body of POST /v1/api-keys.
type CreateRequest struct {
	Name          string   `json:"name"`
	Scopes        []string `json:"scopes"`
	ExpiresInDays *int     `json:"expires_in_days"`
}

// Created is a new key with its secret, which exists only in this answer.
type Created struct {
	Key
	APIKey string `json:"api_key"`
}

// Create makes a personal key for user: a name of 1-80 characters, personal scopes only
// (default catalog:read and imports:create), and an optional lifetime of 1-366 days from now.
func (s *Store) Create(ctx context.Context, user uuid.UUID, in CreateRequest, now time.Time) (Created, error) {
	name := strings.TrimSpace(in.Name)
	if name == "" {
		return Created{}, apierror.New(apierror.MissingRequiredField, "name is required")
	}
	if len([]rune(name)) > 80 {
		return Created{}, apierror.New(apierror.InvalidInput, "name is at most 80 characters")
	}
	scopes := in.Scopes
	if len(scopes) == 0 {
		scopes = []string{auth.ScopeCatalogRead, auth.ScopeImportsCreate}
	}
	for _, sc := range scopes {
		if !slices.Contains(auth.PersonalScopes(), sc) {
			return Created{}, apierror.New(apierror.InvalidInput, "scopes may contain "+strings.Join(auth.PersonalScopes(), ", "))
		}
	}
	slices.Sort(scopes)
	scopes = slices.Compact(scopes)
	var expires *time.Time
	if in.ExpiresInDays != nil {
		if *in.ExpiresInDays < 1 || *in.ExpiresInDays > 366 {
			return Created{}, apierror.New(apierror.InvalidInput, "expires_in_days must be between 1 and 366")
		}
		t := now.Add(time.Duration(*in.ExpiresInDays) * 24 * time.Hour).UTC().Truncate(time.Second)
		expires = &t
	}
	raw, k := apikey.New()
	out := Key{ID: k.ID, Name: name, Masked: apikey.Masked(k.ID), Platform: "web", Scopes: scopes, ExpiresAt: expires}
	err := s.db.QueryRow(ctx, `insert into public.api_keys (id, user_id, name, platform, secret_hash, prefix, scopes, expires_at)
		values ($1, $2, $3, 'web', $4, $5, $6, $7) returning created_at`,
		k.ID, user, name, apikey.Hash(s.pepper, k.Secret), apikey.Prefix+k.ID, scopes, expires).Scan(&out.CreatedAt)
	if err != nil {
		return Created{}, postgres.Error(err, "key")
	}
	return Created{Key: out, APIKey: raw}, nil
}

// List returns user's unrevoked keys (personal and device keys), newest first.
func (s *Store) List(ctx context.Context, user uuid.UUID) ([]Key, error) {
	rows, err := s.db.Query(ctx, `select id, name, platform, device_id, scopes, expires_at, last_used_at, created_at
		from public.api_keys where user_id = $1 and revoked_at is null order by created_at desc`, user)
	if err != nil {
		return nil, postgres.Error(err, "keys")
	}
	out, err := pgx.CollectRows(rows, func(row pgx.CollectableRow) (Key, error) {
		var k Key
		err := row.Scan(&k.ID, &k.Name, &k.Platform, &k.DeviceID, &k.Scopes, &k.ExpiresAt, &k.LastUsedAt, &k.CreatedAt)
		k.Masked = apikey.Masked(k.ID)
		return k, err
	})
	if err != nil {
		return nil, postgres.Error(err, "keys")
	}
	return out, nil
}

// Revoke revokes one of user's keys; NOT_FOUND when there is no such unrevoked key of theirs.
func (s *Store) Revoke(ctx context.Context, user uuid.UUID, id string) error {
	tag, err := s.db.Exec(ctx, `update public.api_keys set revoked_at = now()
		where id = $1 and user_id = $2 and revoked_at is null`, id, user)
	if err != nil {
		return postgres.Error(err, "key")
	}
	if tag.RowsAffected() == 0 {
		return apierror.New(apierror.NotFound, "API key not found")
	}
	return nil
}

// Principal resolves a presented key: AUTH_FAILED unless it parses, exists, its secret matches
// and neither it nor its device is revoked or expired; SERVICE_UNAVAILABLE when the database
// cannot answer.
func (s *Store) Principal(ctx context.Context, raw string) (auth.Principal, error) {
	k, err := apikey.Parse(raw)
	if err != nil {
		return auth.Principal{}, apierror.New(apierror.AuthFailed, "the API key is invalid")
	}
	var (
		p      = auth.Principal{Kind: auth.Key, KeyID: k.ID}
		dev    *uuid.UUID
		hash   string
		usable bool
	)
	err = s.db.QueryRow(ctx, `
		select k.user_id, k.device_id, k.platform, k.scopes, k.secret_hash,
		       k.revoked_at is null and (k.expires_at is null or k.expires_at > now())
		         and (k.device_id is null or d.revoked_at is null)
		from public.api_keys k left join public.devices d on d.id = k.device_id
		where k.id = $1`, k.ID).Scan(&p.UserID, &dev, &p.Platform, &p.Scopes, &hash, &usable)
	if errors.Is(err, pgx.ErrNoRows) {
		return auth.Principal{}, apierror.New(apierror.AuthFailed, "the API key is invalid")
	}
	if err != nil {
		return auth.Principal{}, postgres.Unavailable(err)
	}
	if !apikey.Matches(s.pepper, k.Secret, hash) || !usable {
		return auth.Principal{}, apierror.New(apierror.AuthFailed, "the API key is invalid, expired or revoked")
	}
	if dev != nil {
		p.DeviceID = *dev
	}
	// last_used_at moves at most once a minute, so hot keys do not write on every request.
	if _, err := s.db.Exec(ctx, `update public.api_keys set last_used_at = now()
		where id = $1 and (last_used_at is null or last_used_at < now() - interval '1 minute')`, k.ID); err != nil {
		s.log.WarnContext(ctx, "api key last_used_at", "err", err)
	}
	return p, nil
}
