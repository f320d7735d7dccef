package storage

import (
	"context"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/labstack/echo/v4"

	"github.com/octanebridge/octane-bridge/internal/apierror"
	"github.com/octanebridge/octane-bridge/internal/testenv"
)

func TestOperatorFromProfiles(t *testing.T) {
	t.Parallel()
	pool, err := pgxpool.New(context.Background(), testenv.DB(t))
	if err != nil {
		t.Fatal(err)
	}
	defer pool.Close()
	check := OperatorFromProfiles(pool, func(c echo.Context) (uuid.UUID, bool) {
		u, err := uuid.Parse(c.Request().Header.Get("X-Test-User"))
		return u, err == nil
	})
	e := echo.New()
	ask := func(user string) (bool, error) {
		req := httptest.NewRequest(http.MethodPost, "/v1/uploads", nil)
		req.Header.Set("X-Test-User", user)
		return check(e.NewContext(req, httptest.NewRecorder()))
	}
	// The seed makes pro@octane.local the operator; free@octane.local is an artist.
	if ok, err := ask("11111111-1111-4111-8111-111111111111"); !ok || err != nil {
		t.Errorf("operator: %v %v", ok, err)
	}
	if ok, err := ask("22222222-2222-4222-8222-222222222222"); ok || err != nil {
		t.Errorf("artist: %v %v", ok, err)
	}
	if ok, err := ask(uuid.NewString()); ok || err != nil {
		t.Errorf("unknown user: %v %v", ok, err)
	}
	if _, err := ask(""); apierror.From(err).Code != apierror.AuthRequired {
		t.Errorf("signed out: %v", err)
	}
}
