package httpapi

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"net"

	"strings"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/labstack/echo/v4"

	"github.com/octanebridge/octane-bridge/internal/apierror"
)

// bind decodes a JSON object, refusing anything else (null too), unknown fields and trailing data.
func bind(c echo.Context, v any) error {
	var raw json.RawMessage
	dec := json.NewDecoder(c.Request().Body)
	if err := dec.Decode(&raw); err != nil {
		if errors.Is(err, io.EOF) {
			return apierror.New(apierror.InvalidInput, "the body must be a JSON object")
		}
		var tooBig interface{ Error() string }
		if errors.As(err, &tooBig) && tooBig.Error() == "http: request body too large" {
			return apierror.New(apierror.InvalidInput, "the request body is too large")
		}
		return apierror.Wrap(apierror.InvalidInput, "the body must be a JSON object with the documented fields", err)
	}
	if raw[0] != '{' {
		return apierror.New(apierror.InvalidInput, "the body must be a JSON object")
	}
	// Token, not More: More is false before a stray '}' or ']' (found by FuzzBind).
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		return apierror.New(apierror.InvalidInput, "trailing data after the JSON object")
	}
	fields := json.NewDecoder(bytes.NewReader(raw))
	fields.DisallowUnknownFields()
	if err := fields.Decode(v); err != nil {
		return apierror.Wrap(apierror.InvalidInput, "the body must be a JSON object with the documented fields", err)
	}
	return nil
}

// pathID parses the :id parameter; anything that is not a UUID cannot exist.
func pathID(c echo.Context) (uuid.UUID, error) {
	id, err := uuid.Parse(c.Param("id"))
	if err != nil {
		return uuid.Nil, apierror.New(apierror.NotFound, "not found")
	}
	return id, nil
}

// dbError maps the stable exception messages of the SQL functions (raise ... using errcode
// P0001) to API codes; anything else is internal and stays in the log.
func dbError(err error, what string) error {
	if errors.Is(err, pgx.ErrNoRows) {
		return apierror.New(apierror.NotFound, what+" not found")
	}
	var pe *pgconn.PgError
	if errors.As(err, &pe) && pe.Code == "P0001" {
		switch pe.Message {
		case "NOT_FOUND":
			return apierror.Wrap(apierror.NotFound, what+" not found", err)
		case "DEVICE_NOT_FOUND":
			return apierror.Wrap(apierror.NotFound, "device not found: pair a Blender first", err)
		case "SUBSCRIPTION_REQUIRED":
			return apierror.Wrap(apierror.SubscriptionRequired, "an active subscription is required for this shader", err)
		case "INVALID_TOKEN":
			return apierror.Wrap(apierror.InvalidToken, "the import token is invalid, used or expired", err)
		case "CONFLICT":
			return apierror.Wrap(apierror.Conflict, "the import is no longer waiting ("+pe.Detail+")", err)
		case "INVALID_INPUT":
			return apierror.Wrap(apierror.InvalidInput, "invalid input", err)
		}
	}
	if errors.As(err, &pe) && (pe.Code == "22P02" || pe.Code == "23514") {
		return apierror.Wrap(apierror.InvalidInput, "invalid input", err)
	}
	return apierror.Wrap(apierror.Internal, "internal error", err)
}

// connectionLost says whether err means the database (or the network to it) went away rather
// than a query being wrong: the request may be retried, so it answers SERVICE_UNAVAILABLE, not
// INTERNAL_ERROR. Transactions roll back with the connection, so nothing is half-written.
func connectionLost(err error) bool {
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
