package httpapi

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"regexp"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
	"github.com/labstack/echo/v4"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	"go.opentelemetry.io/otel/trace"

	"github.com/octanebridge/octane-bridge/edge/internal/auth"
	"github.com/octanebridge/octane-bridge/edge/internal/token"
	"github.com/octanebridge/octane-bridge/internal/apierror"
	"github.com/octanebridge/octane-bridge/internal/shaderpkg"
)

var versionPattern = regexp.MustCompile(`^[0-9]+\.[0-9]+\.[0-9]+$`)

type importOut struct {
	ImportID  uuid.UUID `json:"import_id"`
	Status    string    `json:"status"`
	DeviceID  uuid.UUID `json:"device_id"`
	ShaderID  uuid.UUID `json:"shader_id"`
	Version   string    `json:"version"`
	ExpiresAt time.Time `json:"expires_at"`
}

// createImport queues an import: target resolution (entitlement, device ownership, default
// device), token minting, the rows and the device message, all in one transaction.
func (a *api) createImport(c echo.Context) error {
	p := principal(c)
	var in struct {
		ShaderID string  `json:"shader_id"`
		Version  *string `json:"version"`
		DeviceID *string `json:"device_id"`
	}
	if err := bind(c, &in); err != nil {
		return err
	}
	if in.ShaderID == "" {
		return apierror.New(apierror.MissingRequiredField, "shader_id is required")
	}
	shader, err := uuid.Parse(in.ShaderID)
	if err != nil {
		return apierror.New(apierror.InvalidInput, "shader_id must be a UUID")
	}
	if in.Version != nil && !versionPattern.MatchString(*in.Version) {
		return apierror.New(apierror.InvalidInput, "version must look like 1.2.3")
	}
	var device *uuid.UUID
	if in.DeviceID != nil {
		d, err := uuid.Parse(*in.DeviceID)
		if err != nil {
			return apierror.New(apierror.InvalidInput, "device_id must be a UUID")
		}
		device = &d
	}
	var (
		svid                        uuid.UUID
		out                         = importOut{ImportID: uuid.New(), ShaderID: shader}
		sha, shaderName, shaderSlug string
	)
	// One span around the mint: resolution, the token and the transaction (ids only, never the token).
	ctx, span := a.tel.tracer.Start(c.Request().Context(), "imports.mint", trace.WithAttributes(
		attribute.String("edge.import_id", out.ImportID.String()), attribute.String("edge.shader_id", shader.String())))
	defer span.End()
	// Resolution is a read; create_import re-checks all of it inside the write.
	err = a.DB.QueryRow(ctx, `
		select r.shader_version_id, r.version, r.sha256, r.device_id, s.name, s.slug
		from public.resolve_import_target($1, $2, $3, $4) r join public.shaders s on s.id = $2`,
		p.UserID, shader, in.Version, device).Scan(&svid, &out.Version, &sha, &out.DeviceID, &shaderName, &shaderSlug)
	if err != nil {
		return dbError(err, "shader")
	}
	jti := uuid.New()
	tok, claims, err := a.Tokens.Mint(token.Claims{JTI: jti.String(), Sub: p.UserID.String(), DID: out.DeviceID.String(),
		SID: shader.String(), Ver: out.Version, SHA: sha}, a.Now())
	if err != nil {
		return apierror.Wrap(apierror.Internal, "internal error", err)
	}
	msg, _ := json.Marshal(map[string]string{"import_id": out.ImportID.String(), "token": tok, "shader_id": shader.String(),
		"version": out.Version, "shader_name": shaderName, "shader_slug": shaderSlug})
	// One statement, so one transaction: the import row, its token row and the device message
	// commit together or not at all (realtime.send only becomes visible on commit).
	err = a.DB.QueryRow(ctx, `
		select i.status::text, i.expires_at
		from public.create_import($1, $2, $3, $4, $5, $6, $7, $8) i
		cross join lateral (select realtime.send($9::jsonb, 'import_request', 'device:' || i.device_id::text, true)) m`,
		out.ImportID, p.UserID, svid, out.DeviceID, jti, token.Hash(tok), time.Unix(claims.EXP, 0), a.QueueWindow, msg).
		Scan(&out.Status, &out.ExpiresAt)
	if err != nil {
		span.SetStatus(codes.Error, "create_import failed")
		return dbError(err, "shader")
	}
	span.SetAttributes(attribute.String("edge.device_id", out.DeviceID.String()))
	a.tel.minted.Add(ctx, 1)
	return c.JSON(http.StatusCreated, out)
}

func (a *api) getImport(c echo.Context) error {
	p := principal(c)
	id, err := pathID(c)
	if err != nil {
		return err
	}
	var out struct {
		ID           uuid.UUID       `json:"id"`
		Status       string          `json:"status"`
		Progress     int             `json:"progress"`
		ErrorCode    *string         `json:"error_code"`
		ErrorMessage *string         `json:"error_message"`
		ShaderID     uuid.UUID       `json:"shader_id"`
		Version      string          `json:"version"`
		DeviceID     uuid.UUID       `json:"device_id"`
		Timings      json.RawMessage `json:"timings"`
		CreatedAt    time.Time       `json:"created_at"`
		UpdatedAt    time.Time       `json:"updated_at"`
		ExpiresAt    time.Time       `json:"expires_at"`
	}
	err = a.DB.QueryRow(c.Request().Context(), `
		select id, status::text, progress, error_code, error_message, shader_id, version, device_id, timings,
		       created_at, updated_at, expires_at
		from public.imports where id = $1 and user_id = $2 and ($3::uuid is null or device_id = $3)`,
		id, p.UserID, nilUUID(p.DeviceID)).Scan(&out.ID, &out.Status, &out.Progress, &out.ErrorCode, &out.ErrorMessage,
		&out.ShaderID, &out.Version, &out.DeviceID, &out.Timings, &out.CreatedAt, &out.UpdatedAt, &out.ExpiresAt)
	if err != nil {
		return dbError(err, "import")
	}
	return c.JSON(http.StatusOK, out)
}

func nilUUID(u uuid.UUID) *uuid.UUID {
	if u == uuid.Nil {
		return nil
	}
	return &u
}

// deviceOnly is the device a credential speaks for; user sessions and personal keys have none.
func deviceOnly(p auth.Principal) (uuid.UUID, error) {
	if p.DeviceID == uuid.Nil {
		return uuid.Nil, apierror.New(apierror.InsufficientPermissions, "a device credential is required")
	}
	return p.DeviceID, nil
}

// redeem spends a token once and answers with a short-lived download URL and the signed delivery.
func (a *api) redeem(c echo.Context) error {
	p := principal(c)
	dev, err := deviceOnly(p)
	if err != nil {
		return err
	}
	id, err := pathID(c)
	if err != nil {
		return err
	}
	var in struct {
		Token string `json:"token"`
	}
	if err := bind(c, &in); err != nil {
		return err
	}
	if in.Token == "" {
		return apierror.New(apierror.MissingRequiredField, "token is required")
	}
	now := a.Now()
	claims, err := a.Tokens.Verify(in.Token, now)
	if err != nil {
		return apierror.Wrap(apierror.InvalidToken, "the import token is invalid, used or expired", err)
	}
	// The token is bound to one user and one device; the SQL binds it to the import too.
	if claims.DID != dev.String() || claims.Sub != p.UserID.String() {
		return apierror.New(apierror.InvalidToken, "the import token is invalid, used or expired")
	}
	jti, err := uuid.Parse(claims.JTI)
	if err != nil {
		return apierror.New(apierror.InvalidToken, "the import token is invalid, used or expired")
	}
	ctx := c.Request().Context()
	tx, err := a.DB.Begin(ctx)
	if err != nil {
		return apierror.Wrap(apierror.ServiceUnavailable, "try again shortly", err)
	}
	defer tx.Rollback(context.WithoutCancel(ctx)) //nolint:errcheck // no-op after commit
	var (
		status  string
		errCode *string
		svid    uuid.UUID
	)
	err = tx.QueryRow(ctx, `select i.status::text, i.error_code, i.shader_version_id
		from public.redeem_import_token($1, $2, $3, $4) i`, id, jti, dev, token.Hash(in.Token)).Scan(&status, &errCode, &svid)
	if err != nil {
		return dbError(err, "import")
	}
	if status == "failed" && errCode != nil && *errCode == string(apierror.SubscriptionRequired) {
		if err := tx.Commit(ctx); err != nil {
			return apierror.Wrap(apierror.ServiceUnavailable, "try again shortly", err)
		}
		return apierror.New(apierror.SubscriptionRequired, "an active subscription is required for this shader")
	}
	return a.deliver(c, tx, id, svid, now)
}

// deliver answers a redeemed import with a signed delivery and a presigned GET, committing tx
// (which made the import redeemed) only once both exist.
func (a *api) deliver(c echo.Context, tx pgx.Tx, id, svid uuid.UUID, now time.Time) error {
	ctx := c.Request().Context()
	var (
		key, sha string
		size     int64
		manifest []byte
	)
	err := tx.QueryRow(ctx, `select package_key, sha256, size, manifest::text from public.shader_versions where id = $1`, svid).
		Scan(&key, &sha, &size, &manifest)
	if err != nil {
		return dbError(err, "shader version")
	}
	m, err := shaderpkg.ParseManifest(manifest)
	if err != nil {
		return apierror.Wrap(apierror.Internal, "internal error", err)
	}
	signed, err := shaderpkg.SignDelivery(a.Delivery, shaderpkg.DeliveryFor(id.String(), m, sha, size, now, a.DownloadTTL))
	if err != nil {
		return apierror.Wrap(apierror.Internal, "internal error", err)
	}
	if a.Presigner == nil {
		return apierror.New(apierror.ServiceUnavailable, "downloads are not configured")
	}
	url, exp, err := a.Presigner.PresignGet(ctx, key, a.DownloadTTL)
	if err != nil {
		return apierror.Wrap(apierror.ServiceUnavailable, "try again shortly", err)
	}
	if err := tx.Commit(ctx); err != nil {
		return apierror.Wrap(apierror.ServiceUnavailable, "try again shortly", err)
	}
	return c.JSON(http.StatusOK, map[string]any{"import_id": id, "download_url": url, "expires_at": exp.UTC(), "delivery": signed})
}

// redeliver gives a redeemed but unfinished import of this device a fresh delivery: the bridge
// died after redeeming, Blender closed mid-download, or the redeem answer was lost after its
// commit. Only for the device the import is addressed to; entitlement re-checked; the import goes
// back to redeemed and the bridge walks the steps again.
func (a *api) redeliver(c echo.Context) error {
	p := principal(c)
	dev, err := deviceOnly(p)
	if err != nil {
		return err
	}
	id, err := pathID(c)
	if err != nil {
		return err
	}
	ctx := c.Request().Context()
	tx, err := a.DB.Begin(ctx)
	if err != nil {
		return apierror.Wrap(apierror.ServiceUnavailable, "try again shortly", err)
	}
	defer tx.Rollback(context.WithoutCancel(ctx)) //nolint:errcheck // no-op after commit
	var (
		status  string
		errCode *string
		svid    uuid.UUID
	)
	err = tx.QueryRow(ctx, `select i.status::text, i.error_code, i.shader_version_id
		from public.redeliver_import($1, $2, $3) i`, id, p.UserID, dev).Scan(&status, &errCode, &svid)
	if err != nil {
		return dbError(err, "import")
	}
	if status == "failed" && errCode != nil && *errCode == string(apierror.SubscriptionRequired) {
		if err := tx.Commit(ctx); err != nil {
			return apierror.Wrap(apierror.ServiceUnavailable, "try again shortly", err)
		}
		return apierror.New(apierror.SubscriptionRequired, "an active subscription is required for this shader")
	}
	return a.deliver(c, tx, id, svid, a.Now())
}

// reissue gives a queued import addressed to this device a fresh token (the old ones are voided).
func (a *api) reissue(c echo.Context) error {
	p := principal(c)
	dev, err := deviceOnly(p)
	if err != nil {
		return err
	}
	id, err := pathID(c)
	if err != nil {
		return err
	}
	ctx := c.Request().Context()
	var sid uuid.UUID
	var ver, sha string
	err = a.DB.QueryRow(ctx, `select sv.shader_id, sv.version, sv.sha256 from public.imports i
		join public.shader_versions sv on sv.id = i.shader_version_id
		where i.id = $1 and i.user_id = $2 and i.device_id = $3`, id, p.UserID, dev).Scan(&sid, &ver, &sha)
	if errors.Is(err, pgx.ErrNoRows) {
		return apierror.New(apierror.NotFound, "import not found")
	}
	if err != nil {
		return dbError(err, "import")
	}
	jti := uuid.New()
	tok, claims, err := a.Tokens.Mint(token.Claims{JTI: jti.String(), Sub: p.UserID.String(), DID: dev.String(),
		SID: sid.String(), Ver: ver, SHA: sha}, a.Now())
	if err != nil {
		return apierror.Wrap(apierror.Internal, "internal error", err)
	}
	exp := time.Unix(claims.EXP, 0)
	if _, err := a.DB.Exec(ctx, `select public.reissue_import_token($1, $2, $3, $4, $5, $6)`,
		id, p.UserID, dev, jti, token.Hash(tok), exp); err != nil {
		return dbError(err, "import")
	}
	return c.JSON(http.StatusOK, map[string]any{"token": tok, "expires_at": exp.UTC()})
}
