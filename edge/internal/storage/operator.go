package storage

import (
	"context"
	"errors"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
	"github.com/labstack/echo/v4"

	"github.com/octanebridge/octane-bridge/internal/apierror"
)

// Querier is the part of a pgx pool the operator check needs.
type Querier interface {
	QueryRow(ctx context.Context, sql string, args ...any) pgx.Row
}

// OperatorFromProfiles is the production Operator: the signed-in user (from current) must have
// profiles.is_operator, which only the operator can grant (see the catalog migration).
func OperatorFromProfiles(db Querier, current func(echo.Context) (uuid.UUID, bool)) Operator {
	return func(c echo.Context) (bool, error) {
		user, ok := current(c)
		if !ok {
			return false, apierror.New(apierror.AuthRequired, "sign in as the library operator")
		}
		var op bool
		err := db.QueryRow(c.Request().Context(), `select is_operator from public.profiles where id = $1`, user).Scan(&op)
		if errors.Is(err, pgx.ErrNoRows) {
			return false, nil
		}
		if err != nil {
			return false, apierror.Wrap(apierror.Internal, "could not check permissions", err)
		}
		return op, nil
	}
}
