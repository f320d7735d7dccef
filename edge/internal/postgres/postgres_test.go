package postgres

import (
	"context"
	"errors"
	"fmt"
	"io"
	"testing"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"

	"github.com/octanebridge/octane-bridge/internal/apierror"
)

// Every stable exception message of the SQL functions maps to its API code; other SQL errors
// are internal, except invalid text representations and check violations (the caller's input).
func TestErrorMapsTheSQLRaiseCodes(t *testing.T) {
	raise := func(msg string) error {
		return fmt.Errorf("query: %w", &pgconn.PgError{Code: "P0001", Message: msg, Detail: "status done"})
	}
	for _, c := range []struct {
		err  error
		want apierror.Code
	}{
		{pgx.ErrNoRows, apierror.NotFound},
		{raise("NOT_FOUND"), apierror.NotFound},
		{raise("DEVICE_NOT_FOUND"), apierror.NotFound},
		{raise("SUBSCRIPTION_REQUIRED"), apierror.SubscriptionRequired},
		{raise("INVALID_TOKEN"), apierror.InvalidToken},
		{raise("CONFLICT"), apierror.Conflict},
		{raise("INVALID_INPUT"), apierror.InvalidInput},
		{raise("SOMETHING_NEW"), apierror.Internal},
		{&pgconn.PgError{Code: "22P02"}, apierror.InvalidInput},
		{&pgconn.PgError{Code: "23514"}, apierror.InvalidInput},
		{&pgconn.PgError{Code: "42703"}, apierror.Internal},
		{errors.New("boom"), apierror.Internal},
	} {
		var ae *apierror.Error
		if got := Error(c.err, "import"); !errors.As(got, &ae) || ae.Code != c.want {
			t.Errorf("Error(%v) = %v, want %s", c.err, got, c.want)
		}
	}
	var ae *apierror.Error
	if !errors.As(Error(raise("CONFLICT"), "import"), &ae) || ae.Message != "the import is no longer waiting (status done)" {
		t.Errorf("CONFLICT: %v", ae)
	}
	if !errors.As(Error(raise("INVALID_INPUT"), "import"), &ae) || ae.Message != "status done" {
		t.Errorf("INVALID_INPUT with a detail: %v", ae)
	}
	if !errors.As(Error(&pgconn.PgError{Code: "P0001", Message: "INVALID_INPUT"}, "import"), &ae) || ae.Message != "invalid input" {
		t.Errorf("INVALID_INPUT without a detail: %v", ae)
	}
}

func TestConnectionLost(t *testing.T) {
	for _, err := range []error{io.EOF, io.ErrUnexpectedEOF, context.DeadlineExceeded, &pgconn.PgError{Code: "08006"},
		&pgconn.PgError{Code: "57P01"}, &pgconn.PgError{Code: "53300"}} {
		if !ConnectionLost(fmt.Errorf("query: %w", err)) {
			t.Errorf("%v: not a lost connection", err)
		}
	}
	for _, err := range []error{errors.New("syntax"), &pgconn.PgError{Code: "P0001"}, &pgconn.PgError{Code: "23505"}} {
		if ConnectionLost(err) {
			t.Errorf("%v: a lost connection", err)
		}
	}
}
