// Package imports is the import flow's server side: queueing an import (target resolution,
// entitlement, a single-use token minted and sent to the device in one transaction), reading one,
// redeeming a token for a signed delivery and presigned downloads (a v2 version's base and its one
// texture set), a fresh token for a queued import and a fresh delivery for an unfinished one; and
// Blender's own asks (a resolution switch, a version update: device.go). The state machine itself
// is SQL (create_import, import_resolution, redeem_import_token, reissue_import_token,
// redeliver_import).
package imports

import (
	"context"
	"encoding/json"
	"errors"
	"regexp"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	"go.opentelemetry.io/otel/metric"
	"go.opentelemetry.io/otel/trace"

	"github.com/octanebridge/octane-bridge/edge/internal/postgres"
	"github.com/octanebridge/octane-bridge/edge/internal/telemetry"
	"github.com/octanebridge/octane-bridge/edge/internal/token"
	"github.com/octanebridge/octane-bridge/internal/apierror"
	"github.com/octanebridge/octane-bridge/internal/shaderpkg"
	"github.com/octanebridge/octane-bridge/internal/wire"
)

const instrumentationScope = "github.com/octanebridge/octane-bridge/edge/internal/imports"

var (
	versionPattern    = regexp.MustCompile(`^[0-9]+\.[0-9]+\.[0-9]+$`)
	resolutionPattern = regexp.MustCompile(`^[1-9][0-9]?k$`) // a texture set's name (package format v2)
)

// Presigner signs download URLs (edge/internal/storage in production).
type Presigner interface {
	PresignGet(ctx context.Context, key string, ttl time.Duration) (string, time.Time, error)
}

// Deps are the service's collaborators. Presigner may be nil (redemption then answers
// SERVICE_UNAVAILABLE); the providers may be nil (no-op).
type Deps struct {
	DB          *pgxpool.Pool
	Tokens      *token.Keyring
	Delivery    *shaderpkg.SigningKeyring
	Presigner   Presigner
	QueueWindow time.Duration // a queued import expires after this (IMPORT_QUEUE_WINDOW)
	DownloadTTL time.Duration // presigned GET lifetime, at most 300 s

	TracerProvider trace.TracerProvider
	MeterProvider  metric.MeterProvider
}

// Service runs the import flow. It is safe for concurrent use.
type Service struct {
	d       Deps
	tracer  trace.Tracer
	minted  metric.Int64Counter
	targets targets // the last resolutions, to sign for before mint_import
}

// New fills the defaults: a 15-minute queue window, 300 s downloads.
func New(d Deps) *Service {
	if d.QueueWindow <= 0 {
		d.QueueWindow = 15 * time.Minute
	}
	if d.DownloadTTL <= 0 || d.DownloadTTL > 300*time.Second {
		d.DownloadTTL = 300 * time.Second
	}
	tp, mp := telemetry.OrNoop(d.TracerProvider, d.MeterProvider)
	s := &Service{d: d, tracer: tp.Tracer(instrumentationScope)}
	// The SDK's instrument constructors fail only on an invalid name; this is a constant.
	s.minted, _ = mp.Meter(instrumentationScope).Int64Counter("edge.imports.minted", metric.WithUnit("{import}"),
		metric.WithDescription("Imports queued with a freshly minted token."))
	return s
}

// CreateRequest is the body of POST /v1/imports. InstanceID names one Blender running on the
// device (its device follows from it); without it the most recently seen Blender there gets it.
// Resolution names the texture set of a v2 version; without it the account's default decides
// (import_resolution).
type CreateRequest struct {
	ShaderID   string  `json:"shader_id"`
	Version    *string `json:"version"`
	DeviceID   *string `json:"device_id"`
	InstanceID *string `json:"instance_id"`
	Resolution *string `json:"resolution"`
}

// Created is a queued import.
type Created struct {
	ImportID uuid.UUID `json:"import_id"`
	Status   string    `json:"status"`
	DeviceID uuid.UUID `json:"device_id"`
	// InstanceID is the Blender it goes to; null when no Blender runs on the device yet (the
	// first one to start there takes it).
	InstanceID *uuid.UUID `json:"instance_id"`
	ShaderID   uuid.UUID  `json:"shader_id"`
	Version    string     `json:"version"`
	// Resolution is the texture set it delivers; null for a version without sets (v1).
	Resolution *string   `json:"resolution"`
	ExpiresAt  time.Time `json:"expires_at"`
	// Steps is how long each part of the mint took, for the Server-Timing header (docs/latency.md).
	Steps MintSteps `json:"-"`
	// request is the import_request for the device (sent, or the answer to Blender's own ask).
	request wire.ImportRequest
}

// MintSteps times Create: Resolve (statements that only resolved the ask: its first mint on this
// edge, or a target that changed since; zero otherwise), Sign (the token) and Tx (the one statement
// that resolves, writes the rows and sends the device message, commit included), which started at
// TxStart.
type MintSteps struct {
	Resolve, Sign, Tx time.Duration
	TxStart           time.Time
}

// Create queues an import for user: target resolution (entitlement, device ownership, default
// device), token minting, the rows and the device message, all in one transaction.
func (s *Service) Create(ctx context.Context, user uuid.UUID, in CreateRequest, now time.Time) (Created, error) {
	return s.create(ctx, user, in, purposeImport, now)
}

// Why an import is made: the web's import, or a change Blender asks for (DeviceCreate).
const (
	purposeImport = "import"
	purposeSwitch = "switch"
	purposeUpdate = "update"
)

// create is Create for any purpose: a web import is sent to the device (import_request on
// device:<id>) in the transaction; a Blender's own ask is answered with that message instead.
func (s *Service) create(ctx context.Context, user uuid.UUID, in CreateRequest, purpose string, now time.Time) (Created, error) {
	if in.ShaderID == "" {
		return Created{}, apierror.New(apierror.MissingRequiredField, "shader_id is required")
	}
	shader, err := uuid.Parse(in.ShaderID)
	if err != nil {
		return Created{}, apierror.New(apierror.InvalidInput, "shader_id must be a UUID")
	}
	if in.Version != nil && !versionPattern.MatchString(*in.Version) {
		return Created{}, apierror.New(apierror.InvalidInput, "version must look like 1.2.3")
	}
	if in.Resolution != nil && !resolutionPattern.MatchString(*in.Resolution) {
		return Created{}, apierror.New(apierror.InvalidInput, "resolution must look like 2k")
	}
	var device *uuid.UUID
	if in.DeviceID != nil {
		d, err := uuid.Parse(*in.DeviceID)
		if err != nil {
			return Created{}, apierror.New(apierror.InvalidInput, "device_id must be a UUID")
		}
		device = &d
	}
	instance, err := optionalUUID(in.InstanceID, "instance_id")
	if err != nil {
		return Created{}, err
	}
	if instance != nil && device == nil {
		// The Blender names its machine.
		var d uuid.UUID
		if err := s.d.DB.QueryRow(ctx, `select device_id from public.device_instances where id = $1 and user_id = $2`,
			*instance, user).Scan(&d); err != nil {
			if errors.Is(err, pgx.ErrNoRows) {
				return Created{}, apierror.New(apierror.NotFound, "device not found: pair a Blender first")
			}
			return Created{}, postgres.Unavailable(err)
		}
		device = &d
	}
	out := Created{ImportID: uuid.New(), ShaderID: shader}
	// One span around the mint: resolution, the token and the transaction (ids only, never the token).
	ctx, span := s.tracer.Start(ctx, "imports.mint")
	defer span.End()
	recording := span.IsRecording() // without a tracer, no ids are formatted for it
	if recording {
		span.SetAttributes(attribute.String("edge.import_id", out.ImportID.String()), attribute.String("edge.shader_id", shader.String()))
	}
	k := ask{user: user, shader: shader}
	if in.Version != nil {
		k.version = *in.Version
	}
	if device != nil {
		k.device = *device
	}
	if instance != nil {
		k.instance = *instance
	}
	// One statement resolves the ask and writes (mint_import), for the target the token is
	// signed for: what this shader and this user's placement last resolved to. Without that, or
	// when it is no longer right, the statement writes nothing and answers the target to sign for
	// (Resolve in Server-Timing).
	t, known := s.targets.get(k)
	var resolve time.Duration
	for range 3 {
		t0 := time.Now()
		var (
			jti      *uuid.UUID
			hash     *string
			exp      *time.Time
			msg      []byte
			expected = t
			req      wire.ImportRequest
		)
		if known {
			id, tok, e, err := s.mint(user, t.device, shader, t.version, t.sha, now)
			if err != nil {
				return Created{}, err
			}
			h := token.Hash(tok)
			jti, hash, exp = &id, &h, &e
			req = wire.ImportRequest{ImportID: out.ImportID.String(), Token: tok, ShaderID: shader.String(),
				Version: t.version, ShaderName: t.name, ShaderSlug: t.slug}
			if t.instance != nil {
				req.InstanceID = t.instance.String()
			}
			if purpose == purposeImport { // Blender's own ask is not sent: the answer carries it
				msg, _ = json.Marshal(req)
			}
		}
		t1 := time.Now()
		var minted bool
		var status *string
		var expires *time.Time
		err := s.d.DB.QueryRow(ctx, `
			select minted, shader_version_id, version, sha256, device_id, instance_id, shader_name, shader_slug,
			       status, expires_at, resolution
			from public.mint_import($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19)`,
			out.ImportID, user, shader, in.Version, device, instance,
			nilUnless(known, expected.versionID), nilUnless(known, expected.device), expected.instance,
			nilStringUnless(known, expected.name), nilStringUnless(known, expected.slug),
			jti, hash, exp, s.d.QueueWindow, in.Resolution, purpose, msg, wire.ImportRequestEvent).
			Scan(&minted, &t.versionID, &t.version, &t.sha, &t.device, &t.instance, &t.name, &t.slug,
				&status, &expires, &out.Resolution)
		if err != nil {
			span.SetStatus(codes.Error, "mint_import failed")
			return Created{}, postgres.Error(err, "shader")
		}
		s.targets.put(k, t)
		if !minted {
			resolve += time.Since(t0)
			known = true
			continue
		}
		out.Status, out.ExpiresAt = *status, *expires
		out.Version, out.DeviceID, out.InstanceID = t.version, t.device, t.instance
		out.Steps = MintSteps{Resolve: resolve, Sign: t1.Sub(t0), Tx: time.Since(t1), TxStart: t1}
		out.request = req
		break
	}
	if out.Status == "" { // the target moved under three statements in a row
		return Created{}, apierror.New(apierror.ServiceUnavailable, "the shader or device changed while queueing; try again")
	}
	if recording {
		span.SetAttributes(attribute.String("edge.device_id", out.DeviceID.String()))
	}
	s.minted.Add(ctx, 1)
	return out, nil
}

// optionalUUID parses an optional UUID field of a request body.
func optionalUUID(v *string, field string) (*uuid.UUID, error) {
	if v == nil {
		return nil, nil
	}
	u, err := uuid.Parse(*v)
	if err != nil {
		return nil, apierror.New(apierror.InvalidInput, field+" must be a UUID")
	}
	return &u, nil
}

// mint makes a single-use import token for user's device and one shader version: its jti, the
// token and its expiry (the database keeps the jti and the token's hash).
func (s *Service) mint(user, dev, shader uuid.UUID, version, sha string, now time.Time) (uuid.UUID, string, time.Time, error) {
	jti := uuid.New()
	tok, claims, err := s.d.Tokens.Mint(token.Claims{JTI: jti.String(), Sub: user.String(), DID: dev.String(),
		SID: shader.String(), Ver: version, SHA: sha}, now)
	if err != nil {
		return uuid.Nil, "", time.Time{}, apierror.Wrap(apierror.Internal, "internal error", err)
	}
	return jti, tok, time.Unix(claims.EXP, 0), nil
}

// Import is an import as its user (or the device it is addressed to) sees it.
type Import struct {
	ID           uuid.UUID       `json:"id"`
	Status       string          `json:"status"`
	Progress     int             `json:"progress"`
	ErrorCode    *string         `json:"error_code"`
	ErrorMessage *string         `json:"error_message"`
	ShaderID     uuid.UUID       `json:"shader_id"`
	Version      string          `json:"version"`
	DeviceID     uuid.UUID       `json:"device_id"`
	InstanceID   *uuid.UUID      `json:"instance_id"`
	Resolution   *string         `json:"resolution"` // the texture set it delivers (null: v1)
	Purpose      string          `json:"purpose"`    // import (the web's), or switch/update (Blender's own)
	Timings      json.RawMessage `json:"timings"`
	CreatedAt    time.Time       `json:"created_at"`
	UpdatedAt    time.Time       `json:"updated_at"`
	ExpiresAt    time.Time       `json:"expires_at"`
}

// Get reads one of user's imports; a device credential (device not Nil) sees only imports
// addressed to that device.
func (s *Service) Get(ctx context.Context, user, device, id uuid.UUID) (Import, error) {
	var out Import
	err := s.d.DB.QueryRow(ctx, `
		select `+importColumns+`
		from public.imports where id = $1 and user_id = $2 and ($3::uuid is null or device_id = $3)`,
		id, user, nilUUID(device)).Scan(out.fields()...)
	if err != nil {
		return Import{}, postgres.Error(err, "import")
	}
	return out, nil
}

// importColumns are the columns of public.imports that Import.fields scans, in order.
const importColumns = `id, status::text, progress, error_code, error_message, shader_id, version, device_id, instance_id,
		resolution, purpose, timings, created_at, updated_at, expires_at`

func (i *Import) fields() []any {
	return []any{&i.ID, &i.Status, &i.Progress, &i.ErrorCode, &i.ErrorMessage, &i.ShaderID, &i.Version, &i.DeviceID,
		&i.InstanceID, &i.Resolution, &i.Purpose, &i.Timings, &i.CreatedAt, &i.UpdatedAt, &i.ExpiresAt}
}

// Cancel stops one of user's imports until Blender has it (queued to verifying); cancelling a
// cancelled import answers it again. CONFLICT once Blender is importing it or it ended. The
// database tells the device (import_cancelled on device:<id>), whose bridge stops its download.
func (s *Service) Cancel(ctx context.Context, user, id uuid.UUID) (Import, error) {
	var out Import
	err := s.d.DB.QueryRow(ctx, `select `+importColumns+` from public.cancel_import_as($1, $2)`, id, user).Scan(out.fields()...)
	if err != nil {
		return Import{}, postgres.Error(err, "import")
	}
	return out, nil
}

// nilUnless is u, or NULL when the mint has no expectation yet.
func nilUnless(known bool, u uuid.UUID) *uuid.UUID {
	if !known {
		return nil
	}
	return &u
}

func nilStringUnless(known bool, v string) *string {
	if !known {
		return nil
	}
	return &v
}

func nilUUID(u uuid.UUID) *uuid.UUID {
	if u == uuid.Nil {
		return nil
	}
	return &u
}

// RedeemRequest is the body of POST /v1/imports/:id/redeem. InstanceID is the redeeming Blender
// (an import for another Blender of the machine is NOT_FOUND to it).
type RedeemRequest struct {
	Token      string  `json:"token"`
	InstanceID *string `json:"instance_id"`
}

// RedeliverRequest is the optional body of POST /v1/imports/:id/delivery.
type RedeliverRequest struct {
	InstanceID *string `json:"instance_id"`
}

// Delivery is what a redemption answers: a presigned GET and the signed delivery manifest; for
// a package format v2 version DownloadURL is the base and TexturesURL the chosen texture set
// (nil for a v1 version or one without sets). (Fields in alphabetical order, as the answer has
// always been encoded.)
type Delivery struct {
	Delivery    shaderpkg.Signed `json:"delivery"`
	DownloadURL string           `json:"download_url"`
	ExpiresAt   time.Time        `json:"expires_at"`
	ImportID    uuid.UUID        `json:"import_id"`
	TexturesURL *string          `json:"textures_url"`
}

func subscriptionRequired() error {
	return apierror.New(apierror.SubscriptionRequired, "an active subscription is required for this shader")
}

// Redeem spends a token once for user's device and answers with a short-lived download URL
// and the signed delivery.
func (s *Service) Redeem(ctx context.Context, user, dev, id uuid.UUID, in RedeemRequest, now time.Time) (Delivery, error) {
	tok := in.Token
	instance, err := optionalUUID(in.InstanceID, "instance_id")
	if err != nil {
		return Delivery{}, err
	}
	if tok == "" {
		return Delivery{}, apierror.New(apierror.MissingRequiredField, "token is required")
	}
	claims, err := s.d.Tokens.Verify(tok, now)
	if err != nil {
		return Delivery{}, apierror.Wrap(apierror.InvalidToken, "the import token is invalid, used or expired", err)
	}
	// The token is bound to one user and one device; the SQL binds it to the import too.
	if claims.DID != dev.String() || claims.Sub != user.String() {
		return Delivery{}, apierror.New(apierror.InvalidToken, "the import token is invalid, used or expired")
	}
	jti, err := uuid.Parse(claims.JTI)
	if err != nil {
		return Delivery{}, apierror.New(apierror.InvalidToken, "the import token is invalid, used or expired")
	}
	tx, err := s.d.DB.Begin(ctx)
	if err != nil {
		return Delivery{}, postgres.Unavailable(err)
	}
	defer tx.Rollback(context.WithoutCancel(ctx)) //nolint:errcheck // no-op after commit
	return s.deliver(ctx, tx, id, tx.QueryRow(ctx, `select i.status::text, i.error_code, i.shader_version_id, i.resolution
		from public.redeem_import_token($1, $2, $3, $4, $5) i`, id, jti, dev, token.Hash(tok), instance), now)
}

// deliver reads the import that redeem_import_token or redeliver_import answered (its status,
// error code, shader version and resolution) and answers it with a signed delivery and presigned
// GETs (a v2 version: the base and only the import's texture set), committing tx (which made the
// import redeemed) only once all exist. An import that the function failed for want of a
// subscription is committed as failed and answers SUBSCRIPTION_REQUIRED.
func (s *Service) deliver(ctx context.Context, tx pgx.Tx, id uuid.UUID, redeemed pgx.Row, now time.Time) (Delivery, error) {
	var (
		status   string
		errCode  *string
		svid     uuid.UUID
		res      *string
		key, sha string
		size     int64
		manifest []byte
	)
	if err := redeemed.Scan(&status, &errCode, &svid, &res); err != nil {
		return Delivery{}, postgres.Error(err, "import")
	}
	if status == "failed" && errCode != nil && *errCode == string(apierror.SubscriptionRequired) {
		if err := tx.Commit(ctx); err != nil {
			return Delivery{}, postgres.Unavailable(err)
		}
		return Delivery{}, subscriptionRequired()
	}
	err := tx.QueryRow(ctx, `select package_key, sha256, size, manifest::text from public.shader_versions where id = $1`, svid).
		Scan(&key, &sha, &size, &manifest)
	if err != nil {
		return Delivery{}, postgres.Error(err, "shader version")
	}
	m, err := shaderpkg.ParseManifest(manifest)
	if err != nil {
		return Delivery{}, apierror.Wrap(apierror.Internal, "internal error", err)
	}
	d := shaderpkg.DeliveryFor(id.String(), m, sha, size, now, s.d.DownloadTTL)
	var setKey string // the texture set's S3 object, as the publisher registered it
	if m.SchemaVersion == shaderpkg.SchemaVersionV2 {
		if d, err = shaderpkg.DeliveryForSet(id.String(), m, sha, size, deref(res), now, s.d.DownloadTTL); err != nil {
			return Delivery{}, apierror.Wrap(apierror.Internal, "internal error", err)
		}
		if d.Textures != nil {
			// texture_sets rows are what the signed manifest says (a trigger checks it on insert).
			if err := tx.QueryRow(ctx, `select object_key from public.texture_sets where version_id = $1 and resolution = $2`,
				svid, d.Resolution).Scan(&setKey); err != nil {
				return Delivery{}, apierror.Wrap(apierror.Internal, "internal error", err)
			}
		}
	}
	signed, err := shaderpkg.SignDelivery(s.d.Delivery, d)
	if err != nil {
		return Delivery{}, apierror.Wrap(apierror.Internal, "internal error", err)
	}
	if s.d.Presigner == nil {
		return Delivery{}, apierror.New(apierror.ServiceUnavailable, "downloads are not configured")
	}
	url, exp, err := s.d.Presigner.PresignGet(ctx, key, s.d.DownloadTTL)
	if err != nil {
		return Delivery{}, postgres.Unavailable(err)
	}
	out := Delivery{ImportID: id, DownloadURL: url, ExpiresAt: exp.UTC(), Delivery: signed}
	if setKey != "" {
		textures, texExp, err := s.d.Presigner.PresignGet(ctx, setKey, s.d.DownloadTTL)
		if err != nil {
			return Delivery{}, postgres.Unavailable(err)
		}
		out.TexturesURL, out.ExpiresAt = &textures, minTime(exp, texExp).UTC()
	}
	if err := tx.Commit(ctx); err != nil {
		return Delivery{}, postgres.Unavailable(err)
	}
	return out, nil
}

func deref(s *string) string {
	if s == nil {
		return ""
	}
	return *s
}

func minTime(a, b time.Time) time.Time {
	if b.Before(a) {
		return b
	}
	return a
}

// Redeliver gives a redeemed but unfinished import of user's device a fresh delivery: the bridge
// died after redeeming, Blender closed mid-download, or the redeem answer was lost after its
// commit. Only for the device the import is addressed to; entitlement re-checked; the import goes
// back to redeemed and the bridge walks the steps again.
func (s *Service) Redeliver(ctx context.Context, user, dev, id uuid.UUID, in RedeliverRequest, now time.Time) (Delivery, error) {
	instance, err := optionalUUID(in.InstanceID, "instance_id")
	if err != nil {
		return Delivery{}, err
	}
	tx, err := s.d.DB.Begin(ctx)
	if err != nil {
		return Delivery{}, postgres.Unavailable(err)
	}
	defer tx.Rollback(context.WithoutCancel(ctx)) //nolint:errcheck // no-op after commit
	return s.deliver(ctx, tx, id, tx.QueryRow(ctx, `select i.status::text, i.error_code, i.shader_version_id, i.resolution
		from public.redeliver_import($1, $2, $3, $4) i`, id, user, dev, instance), now)
}

// Reissued is a fresh token for a queued import. (Fields in alphabetical order, as the answer
// has always been encoded.)
type Reissued struct {
	ExpiresAt time.Time `json:"expires_at"`
	Token     string    `json:"token"`
}

// Reissue gives a queued import addressed to user's device a fresh token (the old ones are voided).
func (s *Service) Reissue(ctx context.Context, user, dev, id uuid.UUID, now time.Time) (Reissued, error) {
	var sid uuid.UUID
	var ver, sha string
	err := s.d.DB.QueryRow(ctx, `select sv.shader_id, sv.version, sv.sha256 from public.imports i
		join public.shader_versions sv on sv.id = i.shader_version_id
		where i.id = $1 and i.user_id = $2 and i.device_id = $3`, id, user, dev).Scan(&sid, &ver, &sha)
	if err != nil { // no row: NOT_FOUND "import not found"
		return Reissued{}, postgres.Error(err, "import")
	}
	jti, tok, exp, err := s.mint(user, dev, sid, ver, sha, now)
	if err != nil {
		return Reissued{}, err
	}
	if _, err := s.d.DB.Exec(ctx, `select public.reissue_import_token($1, $2, $3, $4, $5, $6)`,
		id, user, dev, jti, token.Hash(tok), exp); err != nil {
		return Reissued{}, postgres.Error(err, "import")
	}
	return Reissued{Token: tok, ExpiresAt: exp.UTC()}, nil
}
