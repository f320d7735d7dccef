package httpapi

import (
	"context"
	"errors"
	"net/http"

	"github.com/google/uuid"
	"github.com/labstack/echo/v4"

	"github.com/octanebridge/octane-bridge/edge/internal/auth"
	"github.com/octanebridge/octane-bridge/edge/internal/devices"
	"github.com/octanebridge/octane-bridge/internal/apierror"
)

// deviceService is what the pairing and device handlers need of edge/internal/devices.
type deviceService interface {
	Authorize(ctx context.Context, in devices.AuthorizeRequest, clientIP string) (devices.Grant, error)
	Exchange(ctx context.Context, in devices.TokenRequest) (devices.Paired, error)
	Lookup(ctx context.Context, code, clientIP string) (devices.Pending, error)
	Decide(ctx context.Context, user uuid.UUID, code, status string) (name, platform string, err error)
	List(ctx context.Context, user uuid.UUID) ([]devices.Device, error)
	Rename(ctx context.Context, user, id uuid.UUID, name string) (devices.Device, error)
	Revoke(ctx context.Context, user, id uuid.UUID) error
}

// deviceAuthorize starts an RFC 8628 device authorization grant.
func (a *api) deviceAuthorize(c echo.Context) error {
	var in devices.AuthorizeRequest
	if err := Bind(c, &in); err != nil {
		return err
	}
	g, err := a.devices.Authorize(c.Request().Context(), in, c.RealIP())
	if err != nil {
		return err
	}
	verify := a.SiteURL + "/connect"
	return c.JSON(http.StatusOK, map[string]any{
		"device_code": g.DeviceCode, "user_code": g.UserCode, "verification_uri": verify,
		"verification_uri_complete": verify + "?code=" + g.UserCode, "expires_in": int(devices.GrantTTL.Seconds()),
		"interval": devices.PollInterval,
	})
}

func oauthError(c echo.Context, code string) error {
	return c.JSON(http.StatusBadRequest, map[string]string{"error": code})
}

// deviceToken is the RFC 8628 token poll. Errors use the RFC's shape, not the API's.
func (a *api) deviceToken(c echo.Context) error {
	var in devices.TokenRequest
	if err := Bind(c, &in); err != nil {
		return oauthError(c, "invalid_request")
	}
	paired, err := a.devices.Exchange(c.Request().Context(), in)
	var ge devices.GrantError
	if errors.As(err, &ge) {
		return oauthError(c, string(ge))
	}
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, paired)
}

// deviceLookup shows the signed-in user what a pending pairing code would connect, before they
// approve it (devices.Service.Lookup).
func (a *api) deviceLookup(c echo.Context) error {
	p := principal(c)
	if p.Kind != auth.User {
		return apierror.New(apierror.InsufficientPermissions, "sign in on the web site to review a device")
	}
	var in devices.CodeRequest
	if err := Bind(c, &in); err != nil {
		return err
	}
	out, err := a.devices.Lookup(c.Request().Context(), in.UserCode, c.RealIP())
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, out)
}

// deviceApprove lets the signed-in user approve a pending grant by its user code.
func (a *api) deviceApprove(c echo.Context) error { return a.decideGrant(c, "approved", "approve") }

// deviceDeny lets the signed-in user refuse a pending grant by its user code (a code they did
// not start), so the polling bridge gets RFC 8628 access_denied instead of waiting for expiry.
func (a *api) deviceDeny(c echo.Context) error { return a.decideGrant(c, "denied", "deny") }

// decideGrant moves a pending, unexpired grant to status (approved or denied) for the signed-in
// user and answers {<status>: true, name, platform}.
func (a *api) decideGrant(c echo.Context, status, verb string) error {
	p := principal(c)
	if p.Kind != auth.User {
		return apierror.New(apierror.InsufficientPermissions, "sign in on the web site to "+verb+" a device")
	}
	var in devices.CodeRequest
	if err := Bind(c, &in); err != nil {
		return err
	}
	name, platform, err := a.devices.Decide(c.Request().Context(), p.UserID, in.UserCode, status)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, map[string]any{status: true, "name": name, "platform": platform})
}

func (a *api) deviceList(c echo.Context) error {
	out, err := a.devices.List(c.Request().Context(), principal(c).UserID)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, map[string]any{"devices": out})
}

// deviceRenameRequest is the body of PATCH /v1/devices/:id.
type deviceRenameRequest struct {
	Name string `json:"name"`
}

func (a *api) deviceRename(c echo.Context) error {
	p := principal(c)
	id, err := pathID(c)
	if err != nil {
		return err
	}
	var in deviceRenameRequest
	if err := Bind(c, &in); err != nil {
		return err
	}
	d, err := a.devices.Rename(c.Request().Context(), p.UserID, id, in.Name)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, d)
}

// deviceRevoke revokes the device and its keys (devices.Service.Revoke).
func (a *api) deviceRevoke(c echo.Context) error {
	p := principal(c)
	id, err := pathID(c)
	if err != nil {
		return err
	}
	if err := a.devices.Revoke(c.Request().Context(), p.UserID, id); err != nil {
		return err
	}
	return c.NoContent(http.StatusNoContent)
}

// authToken exchanges a device API key for a short-lived device JWT.
func (a *api) authToken(c echo.Context) error {
	p := principal(c)
	if p.Kind != auth.Key || p.DeviceID == uuid.Nil {
		return apierror.New(apierror.InsufficientPermissions, "a device API key is required")
	}
	tok, exp, err := a.JWTs.MintDevice(p.UserID, p.DeviceID, p.Platform, a.Now())
	if err != nil {
		return apierror.Wrap(apierror.Internal, "internal error", err)
	}
	return c.JSON(http.StatusOK, map[string]any{"access_token": tok, "token_type": "bearer",
		"expires_in": int(a.JWTs.DeviceTTL().Seconds()), "expires_at": exp.Unix(), "device_id": p.DeviceID, "user_id": p.UserID})
}
