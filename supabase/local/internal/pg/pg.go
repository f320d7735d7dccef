// Package pg runs work in PostgreSQL as an API role, the way PostgREST does: one transaction per
// request, SET LOCAL ROLE to the JWT's role and request.jwt.claims set transaction-locally, so
// row-level security is decided by PostgreSQL itself.
package pg

import (
	"context"
	"fmt"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
)

// APIRoles are the roles a JWT may ask for.
var apiRoles = map[string]bool{"anon": true, "authenticated": true, "service_role": true}

// IsAPIRole reports whether role may be assumed by a request.
func IsAPIRole(role string) bool { return apiRoles[role] }

// DB wraps the pool.
type DB struct {
	Pool *pgxpool.Pool
	URL  string
}

// Open connects a pool.
func Open(ctx context.Context, url string, maxConns int32) (*DB, error) {
	cfg, err := pgxpool.ParseConfig(url)
	if err != nil {
		return nil, fmt.Errorf("DATABASE_URL: %w", err)
	}
	if maxConns > 0 {
		cfg.MaxConns = maxConns
	}
	pool, err := pgxpool.NewWithConfig(ctx, cfg)
	if err != nil {
		return nil, err
	}
	if err := pool.Ping(ctx); err != nil {
		pool.Close()
		return nil, fmt.Errorf("database: %w", err)
	}
	return &DB{Pool: pool, URL: url}, nil
}

// Close closes the pool.
func (d *DB) Close() { d.Pool.Close() }

// As describes the identity a transaction runs under.
type As struct {
	Role     string
	Claims   string // JSON object; empty for none
	ReadOnly bool
	// Settings are extra transaction-local settings (e.g. realtime.topic, request.method).
	Settings map[string]string
}

// InTx runs fn in a transaction switched to as.Role. fn's error rolls back; so does commit=false.
func (d *DB) InTx(ctx context.Context, as As, fn func(tx pgx.Tx) (commit bool, err error)) error {
	if !IsAPIRole(as.Role) {
		return fmt.Errorf("pg: role %q is not an API role", as.Role)
	}
	opts := pgx.TxOptions{}
	if as.ReadOnly {
		opts.AccessMode = pgx.ReadOnly
	}
	tx, err := d.Pool.BeginTx(ctx, opts)
	if err != nil {
		return err
	}
	defer tx.Rollback(context.WithoutCancel(ctx))
	batch := &pgx.Batch{}
	// The role name comes from the closed set above, so quoting it is enough.
	batch.Queue("set local role " + pgx.Identifier{as.Role}.Sanitize())
	batch.Queue("select set_config('request.jwt.claims', $1, true)", as.Claims)
	for k, v := range as.Settings {
		batch.Queue("select set_config($1, $2, true)", k, v)
	}
	if err := tx.SendBatch(ctx, batch).Close(); err != nil {
		return err
	}
	commit, err := fn(tx)
	if err != nil {
		return err
	}
	if commit {
		return tx.Commit(ctx)
	}
	return nil
}
