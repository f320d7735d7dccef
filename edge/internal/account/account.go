// Package account answers who a caller is (GET /v1/me: the user or the device behind the
// credential, its scopes, the subscription state) and keeps the user's settings (GET/PUT
// /v1/settings: default texture resolution, default Blender, notification e-mails) in
// public.user_settings. A user without a row has the defaults; the first write creates it.
package account

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"slices"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/octanebridge/octane-bridge/edge/internal/auth"
	"github.com/octanebridge/octane-bridge/edge/internal/postgres"
	"github.com/octanebridge/octane-bridge/internal/apierror"
)

// Resolutions a user may choose as their default (user_settings.default_resolution).
var Resolutions = []string{"1k", "2k", "4k"}

// Service reads callers and keeps settings. It is safe for concurrent use.
type Service struct{ db *pgxpool.Pool }

// New keeps settings in db.
func New(db *pgxpool.Pool) *Service { return &Service{db: db} }

// Me is the body of GET /v1/me.
type Me struct {
	// Kind is "user" for a web session or a personal key, "device" for a paired Blender's
	// key or JWT.
	Kind string `json:"kind"`
	// Credential is how the caller authenticated: "session", "api_key" or "device_jwt".
	Credential   string       `json:"credential"`
	UserID       uuid.UUID    `json:"user_id"`
	Email        *string      `json:"email"`
	Scopes       []string     `json:"scopes"`
	Device       *Device      `json:"device"`
	APIKey       *Key         `json:"api_key"`
	Subscription Subscription `json:"subscription"`
}

// Device is the calling Blender (device credentials only).
type Device struct {
	ID       uuid.UUID `json:"id"`
	Name     string    `json:"name"`
	Platform string    `json:"platform"`
}

// Key is the calling API key (key credentials only).
type Key struct {
	ID        string     `json:"id"`
	Name      string     `json:"name"`
	ExpiresAt *time.Time `json:"expires_at"`
}

// Subscription is the library subscription as the account shows it (public.subscription_state).
type Subscription struct {
	Status   string `json:"status"`   // active, trialing, past_due, canceled or inactive
	Entitled bool   `json:"entitled"` // the paid library can be imported
}

// Me describes p.
func (s *Service) Me(ctx context.Context, p auth.Principal) (Me, error) {
	scopes := slices.Clone(p.Scopes)
	slices.Sort(scopes)
	out := Me{Kind: "user", Credential: "session", UserID: p.UserID, Scopes: scopes}
	switch {
	case p.Kind == auth.Device:
		out.Kind, out.Credential = "device", "device_jwt"
	case p.Kind == auth.Key && p.DeviceID != uuid.Nil:
		out.Kind, out.Credential = "device", "api_key"
	case p.Kind == auth.Key:
		out.Credential = "api_key"
	}
	err := s.db.QueryRow(ctx, `select u.email::text, public.subscription_state(u.id) from auth.users u where u.id = $1`, p.UserID).
		Scan(&out.Email, &out.Subscription.Status)
	if err != nil {
		return Me{}, postgres.Error(err, "user")
	}
	out.Subscription.Entitled = out.Subscription.Status == "active" || out.Subscription.Status == "trialing"
	if p.DeviceID != uuid.Nil {
		d := Device{ID: p.DeviceID}
		if err := s.db.QueryRow(ctx, `select name, platform from public.devices where id = $1 and user_id = $2`, p.DeviceID, p.UserID).
			Scan(&d.Name, &d.Platform); err != nil {
			return Me{}, postgres.Error(err, "device")
		}
		out.Device = &d
	}
	if p.Kind == auth.Key {
		k := Key{ID: p.KeyID}
		if err := s.db.QueryRow(ctx, `select name, expires_at from public.api_keys where id = $1 and user_id = $2`, p.KeyID, p.UserID).
			Scan(&k.Name, &k.ExpiresAt); err != nil {
			return Me{}, postgres.Error(err, "api key")
		}
		out.APIKey = &k
	}
	return out, nil
}

// Settings is the body of GET /v1/settings and of the answer to PUT.
type Settings struct {
	DefaultResolution string        `json:"default_resolution"`
	DefaultDeviceID   *uuid.UUID    `json:"default_device_id"`
	Notifications     Notifications `json:"notifications"`
	// UpdatedAt is null until the user first saves their settings.
	UpdatedAt *time.Time `json:"updated_at"`
}

// Notifications are the e-mails the user wants.
type Notifications struct {
	ImportFailed bool `json:"import_failed"`
	Billing      bool `json:"billing"`
	ProductNews  bool `json:"product_news"`
}

// Update is the body of PUT /v1/settings: the fields present are set, the others kept.
type Update struct {
	DefaultResolution *string              `json:"default_resolution"`
	DefaultDeviceID   OptionalID           `json:"default_device_id"`
	Notifications     *NotificationsUpdate `json:"notifications"`
}

// NotificationsUpdate sets the flags present.
type NotificationsUpdate struct {
	ImportFailed *bool `json:"import_failed"`
	Billing      *bool `json:"billing"`
	ProductNews  *bool `json:"product_news"`
}

// OptionalID tells an absent field (keep) from null (clear) and from an id (set).
type OptionalID struct {
	Set bool
	ID  *uuid.UUID
}

func (o *OptionalID) UnmarshalJSON(b []byte) error {
	o.Set = true
	if bytes.Equal(b, []byte("null")) {
		o.ID = nil
		return nil
	}
	var id uuid.UUID
	if err := json.Unmarshal(b, &id); err != nil {
		return err
	}
	o.ID = &id
	return nil
}

const settingsCols = `default_resolution, default_device_id, notify_import_failed, notify_billing, notify_product_news, updated_at`

func scanSettings(row pgx.Row) (Settings, error) {
	var s Settings
	var updated time.Time
	err := row.Scan(&s.DefaultResolution, &s.DefaultDeviceID, &s.Notifications.ImportFailed, &s.Notifications.Billing,
		&s.Notifications.ProductNews, &updated)
	s.UpdatedAt = &updated
	return s, err
}

// Defaults are the settings of a user who never saved any (the column defaults).
func Defaults() Settings {
	return Settings{DefaultResolution: "2k", Notifications: Notifications{ImportFailed: true, Billing: true}}
}

// Get returns user's settings, the defaults when they never saved any.
func (s *Service) Get(ctx context.Context, user uuid.UUID) (Settings, error) {
	out, err := scanSettings(s.db.QueryRow(ctx, `select `+settingsCols+` from public.user_settings where user_id = $1`, user))
	if errors.Is(err, pgx.ErrNoRows) {
		return Defaults(), nil
	}
	if err != nil {
		return Settings{}, postgres.Error(err, "settings")
	}
	return out, nil
}

// Put sets the fields of in that are present. The default Blender must be one of user's
// unrevoked devices (another user's answers NOT_FOUND, as everywhere).
func (s *Service) Put(ctx context.Context, user uuid.UUID, in Update) (Settings, error) {
	if in.DefaultResolution != nil && !slices.Contains(Resolutions, *in.DefaultResolution) {
		return Settings{}, apierror.New(apierror.InvalidInput, "default_resolution must be 1k, 2k or 4k")
	}
	n := in.Notifications
	if n == nil {
		n = &NotificationsUpdate{}
	}
	tx, err := s.db.Begin(ctx)
	if err != nil {
		return Settings{}, postgres.Unavailable(err)
	}
	defer tx.Rollback(ctx) //nolint:errcheck // no-op after commit
	if in.DefaultDeviceID.ID != nil {
		var live bool
		if err := tx.QueryRow(ctx, `select exists (select 1 from public.devices where id = $1 and user_id = $2 and revoked_at is null)`,
			*in.DefaultDeviceID.ID, user).Scan(&live); err != nil {
			return Settings{}, postgres.Error(err, "device")
		}
		if !live {
			return Settings{}, apierror.New(apierror.NotFound, "default_device_id is not one of your Blenders")
		}
	}
	d := Defaults()
	out, err := scanSettings(tx.QueryRow(ctx, `insert into public.user_settings as us (user_id, default_resolution, default_device_id,
			notify_import_failed, notify_billing, notify_product_news)
		values ($1, coalesce($2::text, $8::text), $4::uuid, coalesce($5::boolean, $9::boolean), coalesce($6::boolean, $10::boolean),
			coalesce($7::boolean, $11::boolean))
		on conflict (user_id) do update set
			default_resolution = coalesce($2::text, us.default_resolution),
			default_device_id = case when $3::boolean then $4::uuid else us.default_device_id end,
			notify_import_failed = coalesce($5::boolean, us.notify_import_failed),
			notify_billing = coalesce($6::boolean, us.notify_billing),
			notify_product_news = coalesce($7::boolean, us.notify_product_news),
			updated_at = now()
		returning `+settingsCols,
		user, in.DefaultResolution, in.DefaultDeviceID.Set, in.DefaultDeviceID.ID, n.ImportFailed, n.Billing, n.ProductNews,
		d.DefaultResolution, d.Notifications.ImportFailed, d.Notifications.Billing, d.Notifications.ProductNews))
	if err != nil {
		return Settings{}, postgres.Error(err, "settings")
	}
	if err := tx.Commit(ctx); err != nil {
		return Settings{}, postgres.Unavailable(err)
	}
	return out, nil
}
