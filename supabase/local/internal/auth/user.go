package auth

import (
	"context"
	"errors"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
)

// user is a row of auth.users.
type user struct {
	ID             uuid.UUID
	Aud, Role      string
	Email, Phone   string
	EmailConfirmed *time.Time
	LastSignIn     *time.Time
	AppMeta        map[string]any
	UserMeta       map[string]any
	CreatedAt      time.Time
	UpdatedAt      time.Time
	IsAnonymous    bool
	BannedUntil    *time.Time
}

const userCols = `id, coalesce(aud,''), coalesce(role,''), coalesce(email,''), coalesce(phone,''), email_confirmed_at,
 last_sign_in_at, raw_app_meta_data, raw_user_meta_data, created_at, updated_at, is_anonymous, banned_until`

type querier interface {
	QueryRow(ctx context.Context, sql string, args ...any) pgx.Row
}

func scanUser(row pgx.Row) (*user, error) {
	var u user
	err := row.Scan(&u.ID, &u.Aud, &u.Role, &u.Email, &u.Phone, &u.EmailConfirmed, &u.LastSignIn,
		&u.AppMeta, &u.UserMeta, &u.CreatedAt, &u.UpdatedAt, &u.IsAnonymous, &u.BannedUntil)
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, nil
	}
	return &u, err
}

func userByID(ctx context.Context, q querier, id uuid.UUID) (*user, error) {
	return scanUser(q.QueryRow(ctx, "select "+userCols+" from auth.users where id = $1 and deleted_at is null", id))
}

func userByEmail(ctx context.Context, q querier, email string) (*user, error) {
	return scanUser(q.QueryRow(ctx, "select "+userCols+" from auth.users where lower(email) = lower($1) and deleted_at is null", email))
}

func ts(t *time.Time) any {
	if t == nil {
		return nil
	}
	return t.UTC().Format(time.RFC3339Nano)
}

func (u *user) banned(now time.Time) bool { return u.BannedUntil != nil && u.BannedUntil.After(now) }

// identityData is what GoTrue keeps for the email identity.
func (u *user) identityData() map[string]any {
	return map[string]any{"email": u.Email, "email_verified": u.EmailConfirmed != nil, "phone_verified": false, "sub": u.ID.String()}
}

// JSON is GoTrue's user object. The email identity is derived from the user (the stand-in keeps no
// auth.identities table); its id is a stable UUIDv5 of the user id.
func (u *user) JSON(withIdentities bool) map[string]any {
	m := map[string]any{
		"id": u.ID.String(), "aud": u.Aud, "role": u.Role, "email": u.Email,
		"phone": u.Phone, "app_metadata": orEmpty(u.AppMeta), "user_metadata": orEmpty(u.UserMeta),
		"created_at": ts(&u.CreatedAt), "updated_at": ts(&u.UpdatedAt), "is_anonymous": u.IsAnonymous,
	}
	if u.EmailConfirmed != nil {
		m["email_confirmed_at"] = ts(u.EmailConfirmed)
		m["confirmed_at"] = ts(u.EmailConfirmed)
	}
	if u.LastSignIn != nil {
		m["last_sign_in_at"] = ts(u.LastSignIn)
	}
	if u.BannedUntil != nil {
		m["banned_until"] = ts(u.BannedUntil)
	}
	if withIdentities {
		ids := []any{}
		if u.Email != "" {
			ids = append(ids, map[string]any{
				"identity_id": uuid.NewSHA1(u.ID, []byte("email")).String(), "id": u.ID.String(), "user_id": u.ID.String(),
				"identity_data": u.identityData(), "provider": "email", "last_sign_in_at": ts(u.LastSignIn),
				"created_at": ts(&u.CreatedAt), "updated_at": ts(&u.UpdatedAt), "email": u.Email,
			})
		}
		m["identities"] = ids
	} else {
		m["identities"] = nil
	}
	return m
}

func orEmpty(m map[string]any) map[string]any {
	if m == nil {
		return map[string]any{}
	}
	return m
}
