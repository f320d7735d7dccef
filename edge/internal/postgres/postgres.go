// Package postgres maps what PostgreSQL answers to the API's error codes: the stable exception
// messages of the SQL functions (raise ... using errcode P0001), and a lost connection, which may
// be retried. The feature packages (apikeys, devices, imports) call Error on their queries; the
// router's error handler calls ConnectionLost.
package postgres

import (
	"context"
	"errors"
	"io"
	"net"
	"strings"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"

	"github.com/octanebridge/octane-bridge/internal/apierror"
	"github.com/octanebridge/octane-bridge/internal/codes"
)

// Error maps the stable exception messages of the SQL functions (raise ... using errcode
// P0001) to API codes; anything else is internal and stays in the log. what names the object
// in NOT_FOUND messages ("import", "device").
func Error(err error, what string) error {
	if errors.Is(err, pgx.ErrNoRows) {
		return apierror.New(apierror.NotFound, what+" not found")
	}
	var pe *pgconn.PgError
	if errors.As(err, &pe) && pe.Code == "P0001" {
		switch pe.Message {
		case string(codes.NotFound):
			return apierror.Wrap(apierror.NotFound, what+" not found", err)
		case string(codes.DeviceNotFound):
			return apierror.Wrap(apierror.NotFound, "device not found: pair a Blender first", err)
		case string(codes.SubscriptionRequired):
			return apierror.Wrap(apierror.SubscriptionRequired, "an active subscription is required for this shader", err)
		case string(codes.InvalidToken):
			return apierror.Wrap(apierror.InvalidToken, "the import token is invalid, used or expired", err)
		case string(codes.Conflict):
			return apierror.Wrap(apierror.Conflict, "the import is no longer waiting ("+pe.Detail+")", err)
		case string(codes.InvalidInput):
			// The detail, when the function gives one, is written for the caller ("this version
			// has no 8k textures (it has 1k, 2k)").
			msg := "invalid input"
			if pe.Detail != "" {
				msg = pe.Detail
			}
			return apierror.Wrap(apierror.InvalidInput, msg, err)
		}
	}
	if errors.As(err, &pe) && (pe.Code == "22P02" || pe.Code == "23514") {
		return apierror.Wrap(apierror.InvalidInput, "invalid input", err)
	}
	return apierror.Wrap(apierror.Internal, "internal error", err)
}

// ConnectionLost says whether err means the database (or the network to it) went away rather
// than a query being wrong: the request may be retried, so it answers SERVICE_UNAVAILABLE, not
// INTERNAL_ERROR. Transactions roll back with the connection, so nothing is half-written.
func ConnectionLost(err error) bool {
	var pe *pgconn.PgError
	if errors.As(err, &pe) {
		// 08: connection exception; 57P01-57P03: admin/crash shutdown, cannot connect now;
		// 53300: too many connections.
		return strings.HasPrefix(pe.Code, "08") || pe.Code == "57P01" || pe.Code == "57P02" || pe.Code == "57P03" || pe.Code == "53300"
	}
	var ce *pgconn.ConnectError
	var ne net.Error
	return errors.As(err, &ce) || errors.As(err, &ne) || pgconn.Timeout(err) || pgconn.SafeToRetry(err) ||
		errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, context.DeadlineExceeded) ||
		errors.Is(err, net.ErrClosed)
}

// Unavailable is the answer when the database cannot be reached or a transaction cannot commit.
func Unavailable(err error) error {
	return apierror.Wrap(apierror.ServiceUnavailable, "try again shortly", err)
}
