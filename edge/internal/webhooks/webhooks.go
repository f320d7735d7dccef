// Package webhooks sends a user's events to the URLs they register, by the Standard Webhooks
// specification (webhook-id, webhook-timestamp and webhook-signature headers, whsec_ secrets,
// v1 HMAC-SHA256 signatures). Endpoints live in public.webhook_endpoints with their secrets
// encrypted; events are queued in public.webhook_deliveries by database triggers in the same
// transaction as the change they announce, and every edge instance runs a Worker that claims due
// deliveries (FOR UPDATE SKIP LOCKED, with a lease), sends them through the SSRF guard and
// records the outcome; the retry schedule and the disabling rule are SQL's (migration
// 20261203000200_webhooks).
package webhooks

import (
	"context"
	"errors"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/octanebridge/octane-bridge/edge/internal/postgres"
	"github.com/octanebridge/octane-bridge/internal/apierror"
)

// Events are the event types an endpoint may subscribe to.
var Events = []string{"import.completed", "import.failed", "subscription.updated", "device.paired", "device.revoked"}

const (
	// MaxEndpoints is how many endpoints one user may register.
	MaxEndpoints = 10
	// RotationOverlap is how long the previous secret keeps signing after a rotation.
	RotationOverlap = 24 * time.Hour
	// logLimit is how many deliveries the log answers, newest first.
	logLimit = 100
)

// Service registers and manages endpoints. It is safe for concurrent use.
type Service struct {
	db            *pgxpool.Pool
	seal          sealer
	allowLoopback bool
}

// New keeps endpoints in db; pepper (API_KEY_PEPPER) derives the key that encrypts their secrets;
// allowLoopback (WEBHOOK_ALLOW_LOOPBACK) admits loopback URLs (local stack and tests only).
func New(db *pgxpool.Pool, pepper []byte, allowLoopback bool) *Service {
	return &Service{db: db, seal: newSealer(pepper), allowLoopback: allowLoopback}
}

// Endpoint is an endpoint as its owner sees it: the secret only masked.
type Endpoint struct {
	ID                      uuid.UUID  `json:"id"`
	URL                     string     `json:"url"`
	Description             string     `json:"description"`
	Events                  []string   `json:"events"`
	SecretMasked            string     `json:"secret_masked"`
	PreviousSecretExpiresAt *time.Time `json:"previous_secret_expires_at"`
	FailingSince            *time.Time `json:"failing_since"`
	DisabledAt              *time.Time `json:"disabled_at"`
	DisabledReason          *string    `json:"disabled_reason"`
	CreatedAt               time.Time  `json:"created_at"`
}

// WithSecret is an endpoint with its new secret, which exists only in this answer.
type WithSecret struct {
	Endpoint
	Secret string `json:"secret"`
}

// CreateRequest is the body of POST /v1/webhooks.
type CreateRequest struct {
	URL         string   `json:"url"`
	Description string   `json:"description"`
	Events      []string `json:"events"`
}

// Delivery is one line of an endpoint's delivery log.
type Delivery struct {
	ID             uuid.UUID  `json:"id"`
	MessageID      string     `json:"message_id"`
	EventType      string     `json:"event_type"`
	Status         string     `json:"status"`
	Attempts       int        `json:"attempts"`
	NextAttemptAt  *time.Time `json:"next_attempt_at"`
	LastAttemptAt  *time.Time `json:"last_attempt_at"`
	ResponseStatus *int       `json:"response_status"`
	LatencyMS      *int       `json:"latency_ms"`
	Error          *string    `json:"error"`
	CreatedAt      time.Time  `json:"created_at"`
	DeliveredAt    *time.Time `json:"delivered_at"`
}

// Create registers an endpoint for user: a URL CheckURL accepts, a description of at most 200
// characters, events from Events (default all of them). The secret is in the answer only.
func (s *Service) Create(ctx context.Context, user uuid.UUID, in CreateRequest) (WithSecret, error) {
	if err := CheckURL(strings.TrimSpace(in.URL), s.allowLoopback); err != nil {
		code := apierror.InvalidInput
		if in.URL == "" {
			code = apierror.MissingRequiredField
		}
		return WithSecret{}, apierror.New(code, err.Error())
	}
	desc := strings.TrimSpace(in.Description)
	if utf8.RuneCountInString(desc) > 200 {
		return WithSecret{}, apierror.New(apierror.InvalidInput, "description is at most 200 characters")
	}
	events := slices.Clone(in.Events)
	if len(events) == 0 {
		events = slices.Clone(Events)
	}
	for _, e := range events {
		if !slices.Contains(Events, e) {
			return WithSecret{}, apierror.New(apierror.InvalidInput, "events may contain "+strings.Join(Events, ", "))
		}
	}
	slices.Sort(events)
	events = slices.Compact(events)
	id := uuid.New()
	secret := NewSecret()
	out := WithSecret{Endpoint: Endpoint{ID: id, URL: strings.TrimSpace(in.URL), Description: desc, Events: events,
		SecretMasked: Masked(secret)}, Secret: secret}
	err := s.db.QueryRow(ctx, `insert into public.webhook_endpoints (id, user_id, url, description, events, secret_enc)
		select $1, $2, $3, $4, $5, $6
		where (select count(*) from public.webhook_endpoints where user_id = $2) < $7
		returning created_at`, id, user, out.URL, desc, events, s.seal.seal(secret, id[:]), MaxEndpoints).Scan(&out.CreatedAt)
	if errors.Is(err, pgx.ErrNoRows) {
		return WithSecret{}, apierror.New(apierror.Conflict, "at most 10 webhook endpoints per account; delete one first")
	}
	if err != nil {
		return WithSecret{}, postgres.Error(err, "webhook endpoint")
	}
	return out, nil
}

const endpointColumns = `id, url, description, events, secret_enc, previous_secret_expires_at, failing_since,
	disabled_at, disabled_reason, created_at`

func (s *Service) scanEndpoint(row pgx.Row) (Endpoint, error) {
	var e Endpoint
	var box []byte
	if err := row.Scan(&e.ID, &e.URL, &e.Description, &e.Events, &box, &e.PreviousSecretExpiresAt, &e.FailingSince,
		&e.DisabledAt, &e.DisabledReason, &e.CreatedAt); err != nil {
		return Endpoint{}, err
	}
	secret, err := s.seal.open(box, e.ID[:])
	if err != nil {
		return Endpoint{}, err
	}
	e.SecretMasked = Masked(secret)
	if e.PreviousSecretExpiresAt != nil && !e.PreviousSecretExpiresAt.After(time.Now()) {
		e.PreviousSecretExpiresAt = nil
	}
	return e, nil
}

// List returns user's endpoints, oldest first.
func (s *Service) List(ctx context.Context, user uuid.UUID) ([]Endpoint, error) {
	rows, err := s.db.Query(ctx, `select `+endpointColumns+` from public.webhook_endpoints where user_id = $1 order by created_at, id`, user)
	if err != nil {
		return nil, postgres.Error(err, "webhook endpoints")
	}
	out, err := pgx.CollectRows(rows, func(row pgx.CollectableRow) (Endpoint, error) { return s.scanEndpoint(row) })
	if err != nil {
		return nil, postgres.Error(err, "webhook endpoints")
	}
	return out, nil
}

// Rotate gives one of user's endpoints a new secret; the current one keeps signing beside it for
// RotationOverlap (a second rotation within that time drops the oldest).
func (s *Service) Rotate(ctx context.Context, user, id uuid.UUID) (WithSecret, error) {
	secret := NewSecret()
	e, err := s.scanEndpoint(s.db.QueryRow(ctx, `update public.webhook_endpoints
		set previous_secret_enc = secret_enc, previous_secret_expires_at = now() + $3::interval, secret_enc = $4, updated_at = now()
		where id = $1 and user_id = $2
		returning `+endpointColumns, id, user, RotationOverlap, s.seal.seal(secret, id[:])))
	if err != nil {
		return WithSecret{}, postgres.Error(err, "webhook endpoint")
	}
	return WithSecret{Endpoint: e, Secret: secret}, nil
}

// Delete removes one of user's endpoints and its delivery log.
func (s *Service) Delete(ctx context.Context, user, id uuid.UUID) error {
	tag, err := s.db.Exec(ctx, `delete from public.webhook_endpoints where id = $1 and user_id = $2`, id, user)
	if err != nil {
		return postgres.Error(err, "webhook endpoint")
	}
	if tag.RowsAffected() == 0 {
		return apierror.New(apierror.NotFound, "webhook endpoint not found")
	}
	return nil
}

// Deliveries is the delivery log of one of user's endpoints: the newest 100 deliveries.
func (s *Service) Deliveries(ctx context.Context, user, id uuid.UUID) ([]Delivery, error) {
	var mine bool
	if err := s.db.QueryRow(ctx, `select exists (select 1 from public.webhook_endpoints where id = $1 and user_id = $2)`,
		id, user).Scan(&mine); err != nil {
		return nil, postgres.Error(err, "webhook endpoint")
	}
	if !mine {
		return nil, apierror.New(apierror.NotFound, "webhook endpoint not found")
	}
	rows, err := s.db.Query(ctx, `select id, message_id, event_type, status, attempts,
			case when status = 'pending' then next_attempt_at end, last_attempt_at, response_status, latency_ms, error,
			created_at, delivered_at
		from public.webhook_deliveries where endpoint_id = $1 order by created_at desc, id limit $2`, id, logLimit)
	if err != nil {
		return nil, postgres.Error(err, "webhook deliveries")
	}
	out, err := pgx.CollectRows(rows, pgx.RowToStructByPos[Delivery])
	if err != nil {
		return nil, postgres.Error(err, "webhook deliveries")
	}
	return out, nil
}
