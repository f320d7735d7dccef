package httpapi

import (
	"context"
	"net/http"

	"github.com/google/uuid"
	"github.com/labstack/echo/v4"

	"github.com/octanebridge/octane-bridge/edge/internal/auth"
	"github.com/octanebridge/octane-bridge/edge/internal/webhooks"
	"github.com/octanebridge/octane-bridge/internal/apierror"
)

// webhookService is what the webhook handlers need of edge/internal/webhooks.
type webhookService interface {
	Create(ctx context.Context, user uuid.UUID, in webhooks.CreateRequest) (webhooks.WithSecret, error)
	List(ctx context.Context, user uuid.UUID) ([]webhooks.Endpoint, error)
	Rotate(ctx context.Context, user, id uuid.UUID) (webhooks.WithSecret, error)
	Delete(ctx context.Context, user, id uuid.UUID) error
	Deliveries(ctx context.Context, user, id uuid.UUID) ([]webhooks.Delivery, error)
}

// accountCaller is the user a session or a personal key with the route's scope speaks for;
// device credentials never manage the account.
func accountCaller(c echo.Context) (uuid.UUID, error) {
	p := principal(c)
	if p.DeviceID != uuid.Nil || (p.Kind != auth.User && p.Kind != auth.Key) {
		return uuid.Nil, apierror.New(apierror.InsufficientPermissions, "a user session or a personal API key is required")
	}
	return p.UserID, nil
}

func (a *api) webhookCreate(c echo.Context) error {
	user, err := accountCaller(c)
	if err != nil {
		return err
	}
	var in webhooks.CreateRequest
	if err := Bind(c, &in); err != nil {
		return err
	}
	out, err := a.webhooks.Create(c.Request().Context(), user, in)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusCreated, out)
}

func (a *api) webhookList(c echo.Context) error {
	user, err := accountCaller(c)
	if err != nil {
		return err
	}
	out, err := a.webhooks.List(c.Request().Context(), user)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, map[string]any{"webhooks": out})
}

// webhookEndpoint is the caller and the :id of a route on one endpoint.
func webhookEndpoint(c echo.Context) (uuid.UUID, uuid.UUID, error) {
	user, err := accountCaller(c)
	if err != nil {
		return uuid.Nil, uuid.Nil, err
	}
	id, err := pathID(c)
	return user, id, err
}

func (a *api) webhookRotate(c echo.Context) error {
	user, id, err := webhookEndpoint(c)
	if err != nil {
		return err
	}
	out, err := a.webhooks.Rotate(c.Request().Context(), user, id)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, out)
}

func (a *api) webhookDelete(c echo.Context) error {
	user, id, err := webhookEndpoint(c)
	if err != nil {
		return err
	}
	if err := a.webhooks.Delete(c.Request().Context(), user, id); err != nil {
		return err
	}
	return c.NoContent(http.StatusNoContent)
}

func (a *api) webhookDeliveries(c echo.Context) error {
	user, id, err := webhookEndpoint(c)
	if err != nil {
		return err
	}
	out, err := a.webhooks.Deliveries(c.Request().Context(), user, id)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, map[string]any{"deliveries": out})
}
