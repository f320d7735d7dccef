package httpapi

import (
	"context"
	"net/http"
	"time"

	"github.com/google/uuid"
	"github.com/labstack/echo/v4"

	"github.com/octanebridge/octane-bridge/edge/internal/apikeys"
	"github.com/octanebridge/octane-bridge/edge/internal/auth"
	"github.com/octanebridge/octane-bridge/internal/apierror"
)

// keyStore is what the key handlers and authentication need of edge/internal/apikeys.
type keyStore interface {
	Create(ctx context.Context, user uuid.UUID, in apikeys.CreateRequest, now time.Time) (apikeys.Created, error)
	List(ctx context.Context, user uuid.UUID) ([]apikeys.Key, error)
	Revoke(ctx context.Context, user uuid.UUID, id string) error
	Principal(ctx context.Context, raw string) (auth.Principal, error)
}

func sessionOnly(p auth.Principal) error {
	if p.Kind != auth.User {
		return apierror.New(apierror.InsufficientPermissions, "sign in on the web site to manage API keys")
	}
	return nil
}

// keyCreate makes a personal key; the secret is in this response only.
func (a *api) keyCreate(c echo.Context) error {
	p := principal(c)
	if err := sessionOnly(p); err != nil {
		return err
	}
	var in apikeys.CreateRequest
	if err := Bind(c, &in); err != nil {
		return err
	}
	k, err := a.keys.Create(c.Request().Context(), p.UserID, in, a.Now())
	if err != nil {
		return err
	}
	return c.JSON(http.StatusCreated, k)
}

func (a *api) keyList(c echo.Context) error {
	p := principal(c)
	if err := sessionOnly(p); err != nil {
		return err
	}
	keys, err := a.keys.List(c.Request().Context(), p.UserID)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, map[string]any{"api_keys": keys})
}

func (a *api) keyRevoke(c echo.Context) error {
	p := principal(c)
	if err := sessionOnly(p); err != nil {
		return err
	}
	if err := a.keys.Revoke(c.Request().Context(), p.UserID, c.Param("id")); err != nil {
		return err
	}
	return c.NoContent(http.StatusNoContent)
}
