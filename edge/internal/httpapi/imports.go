package httpapi

import (
	"context"
	"fmt"
	"net/http"
	"time"

	"github.com/google/uuid"
	"github.com/labstack/echo/v4"

	"github.com/octanebridge/octane-bridge/edge/internal/auth"
	"github.com/octanebridge/octane-bridge/edge/internal/imports"
	"github.com/octanebridge/octane-bridge/internal/apierror"
	"github.com/octanebridge/octane-bridge/internal/wire"
)

// importService is what the import handlers need of edge/internal/imports.
type importService interface {
	Create(ctx context.Context, user uuid.UUID, in imports.CreateRequest, now time.Time) (imports.Created, error)
	Get(ctx context.Context, user, device, id uuid.UUID) (imports.Import, error)
	Redeem(ctx context.Context, user, dev, id uuid.UUID, in imports.RedeemRequest, now time.Time) (imports.Delivery, error)
	Redeliver(ctx context.Context, user, dev, id uuid.UUID, in imports.RedeliverRequest, now time.Time) (imports.Delivery, error)
	Reissue(ctx context.Context, user, dev, id uuid.UUID, now time.Time) (imports.Reissued, error)
	Cancel(ctx context.Context, user, id uuid.UUID) (imports.Import, error)
	DeviceCreate(ctx context.Context, user, dev uuid.UUID, in imports.DeviceRequest, now time.Time) (wire.ImportRequest, error)
	Shader(ctx context.Context, user uuid.UUID, slug string) (imports.ShaderInfo, error)
}

// createImport queues an import (imports.Service.Create).
func (a *api) createImport(c echo.Context) error {
	start := time.Now()
	var in imports.CreateRequest
	if err := Bind(c, &in); err != nil {
		return err
	}
	out, err := a.imports.Create(c.Request().Context(), principal(c).UserID, in, a.Now())
	if err != nil {
		return err
	}
	c.Response().Header().Set("Server-Timing", serverTiming(start, out.Steps))
	return c.JSON(http.StatusCreated, out)
}

func (a *api) getImport(c echo.Context) error {
	p := principal(c)
	id, err := pathID(c)
	if err != nil {
		return err
	}
	out, err := a.imports.Get(c.Request().Context(), p.UserID, p.DeviceID, id)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, out)
}

// cancelImport stops one of the caller's imports until Blender has it (imports.Service.Cancel).
// The route's scope (imports:create) is the user's: a device cancels in Blender by reporting the
// import cancelled (report_import_status), a credential that cannot queue imports cannot stop one.
func (a *api) cancelImport(c echo.Context) error {
	id, err := pathID(c)
	if err != nil {
		return err
	}
	out, err := a.imports.Cancel(c.Request().Context(), principal(c).UserID, id)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, out)
}

// deviceOnly is the device a credential speaks for; user sessions and personal keys have none.
func deviceOnly(p auth.Principal) (uuid.UUID, error) {
	if p.DeviceID == uuid.Nil {
		return uuid.Nil, apierror.New(apierror.InsufficientPermissions, "a device credential is required")
	}
	return p.DeviceID, nil
}

// deviceAndImport is the calling device and the :id of a device-only import route.
func deviceAndImport(c echo.Context) (auth.Principal, uuid.UUID, uuid.UUID, error) {
	p := principal(c)
	dev, err := deviceOnly(p)
	if err != nil {
		return p, uuid.Nil, uuid.Nil, err
	}
	id, err := pathID(c)
	return p, dev, id, err
}

// redeem spends a token once and answers with a short-lived download URL and the signed delivery.
func (a *api) redeem(c echo.Context) error {
	p, dev, id, err := deviceAndImport(c)
	if err != nil {
		return err
	}
	var in imports.RedeemRequest
	if err := Bind(c, &in); err != nil {
		return err
	}
	out, err := a.imports.Redeem(c.Request().Context(), p.UserID, dev, id, in, a.Now())
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, out)
}

// redeliver gives a redeemed but unfinished import of this device a fresh delivery.
func (a *api) redeliver(c echo.Context) error {
	p, dev, id, err := deviceAndImport(c)
	if err != nil {
		return err
	}
	// The body is optional (bridges before several-Blender support send none).
	var in imports.RedeliverRequest
	if c.Request().ContentLength != 0 {
		if err := Bind(c, &in); err != nil {
			return err
		}
	}
	out, err := a.imports.Redeliver(c.Request().Context(), p.UserID, dev, id, in, a.Now())
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, out)
}

// reissue gives a queued import addressed to this device a fresh token (the old ones are voided).
func (a *api) reissue(c echo.Context) error {
	p, dev, id, err := deviceAndImport(c)
	if err != nil {
		return err
	}
	out, err := a.imports.Reissue(c.Request().Context(), p.UserID, dev, id, a.Now())
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, out)
}

// deviceImport queues an import Blender asks for (a resolution switch or a version update) and
// answers the import_request the bridge redeems (imports.Service.DeviceCreate).
func (a *api) deviceImport(c echo.Context) error {
	p := principal(c)
	dev, err := deviceOnly(p)
	if err != nil {
		return err
	}
	var in imports.DeviceRequest
	if err := Bind(c, &in); err != nil {
		return err
	}
	out, err := a.imports.DeviceCreate(c.Request().Context(), p.UserID, dev, in, a.Now())
	if err != nil {
		return err
	}
	return c.JSON(http.StatusCreated, out)
}

// deviceShader is what Blender's panel shows of a shader: newest version, its texture sets and
// whether the account may import it (imports.Service.Shader).
func (a *api) deviceShader(c echo.Context) error {
	p := principal(c)
	if _, err := deviceOnly(p); err != nil {
		return err
	}
	out, err := a.imports.Shader(c.Request().Context(), p.UserID, c.Param("slug"))
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, out)
}

// serverTiming describes where the edge spent a mint (docs/latency.md): the handler's duration
// and the steps of imports.Service.Create, the handler's and the transaction's starts on the wall
// clock in desc (Unix ms: the import benchmark places them between the browser's send and receive
// and before the bridge hears of the import). Cheap, so always sent; no Timing-Allow-Origin, so
// other origins' pages cannot read it.
func serverTiming(start time.Time, s imports.MintSteps) string {
	ms := func(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }
	unix := func(t time.Time) float64 { return float64(t.UnixMicro()) / 1000 }
	return fmt.Sprintf(`handler;dur=%.2f;desc="%.1f", resolve;dur=%.2f, sign;dur=%.2f, tx;dur=%.2f;desc="%.1f"`,
		ms(time.Since(start)), unix(start), ms(s.Resolve), ms(s.Sign), ms(s.Tx), unix(s.TxStart))
}
