package httpapi

import (
	"context"
	"net/http"

	"github.com/google/uuid"
	"github.com/labstack/echo/v4"

	"github.com/octanebridge/octane-bridge/edge/internal/account"
	"github.com/octanebridge/octane-bridge/edge/internal/auth"
)

// accountService is what GET /v1/me and /v1/settings need of edge/internal/account.
type accountService interface {
	Me(ctx context.Context, p auth.Principal) (account.Me, error)
	Get(ctx context.Context, user uuid.UUID) (account.Settings, error)
	Put(ctx context.Context, user uuid.UUID, in account.Update) (account.Settings, error)
}

// me says who the caller is: any valid credential may ask.
func (a *api) me(c echo.Context) error {
	out, err := a.account.Me(c.Request().Context(), principal(c))
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, out)
}

func (a *api) settingsGet(c echo.Context) error {
	out, err := a.account.Get(c.Request().Context(), principal(c).UserID)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, out)
}

// settingsPut sets the fields present in the body and answers the whole settings.
func (a *api) settingsPut(c echo.Context) error {
	var in account.Update
	if err := Bind(c, &in); err != nil {
		return err
	}
	out, err := a.account.Put(c.Request().Context(), principal(c).UserID, in)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, out)
}
