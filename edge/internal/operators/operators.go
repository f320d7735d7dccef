// Package operators says who the library operator is: the users in public.operators, a table no
// API role can read or write (supabase/migrations/20261203000600_operator_role.sql). The router
// asks it before an operator route and gives such a user's web session auth.OperatorScopes.
package operators

import (
	"context"
	"slices"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"

	"github.com/octanebridge/octane-bridge/edge/internal/auth"
	"github.com/octanebridge/octane-bridge/edge/internal/postgres"
)

// Querier is the part of a pgx pool the lookup needs.
type Querier interface {
	QueryRow(ctx context.Context, sql string, args ...any) pgx.Row
}

// Store looks operators up in PostgreSQL.
type Store struct{ db Querier }

// New returns a Store over db.
func New(db Querier) *Store { return &Store{db: db} }

// Is reports whether user is an operator; SERVICE_UNAVAILABLE when the database cannot answer.
func (s *Store) Is(ctx context.Context, user uuid.UUID) (bool, error) {
	var is bool
	err := s.db.QueryRow(ctx, `select exists (select 1 from public.operators where user_id = $1)`, user).Scan(&is)
	if err != nil {
		return false, postgres.Unavailable(err)
	}
	return is, nil
}

// Scopes returns p with the operator scopes as the database says: removed from every credential
// (an API key row or a token cannot carry them), added back for the web session of an operator.
// A device credential is never the operator, even when its owner is.
func (s *Store) Scopes(ctx context.Context, p auth.Principal) (auth.Principal, error) {
	p.Scopes = slices.DeleteFunc(slices.Clone(p.Scopes), auth.IsOperatorScope)
	if p.Kind != auth.User {
		return p, nil
	}
	is, err := s.Is(ctx, p.UserID)
	if err != nil || !is {
		return p, err
	}
	p.Scopes = append(p.Scopes, auth.OperatorScopes()...)
	return p, nil
}
