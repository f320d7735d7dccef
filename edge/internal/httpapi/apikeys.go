package httpapi

import (
	"net/http"
	"slices"
	"strings"
	"time"

	"github.com/google/uuid"
	"github.com/labstack/echo/v4"

	"github.com/octanebridge/octane-bridge/edge/internal/apikey"
	"github.com/octanebridge/octane-bridge/edge/internal/auth"
	"github.com/octanebridge/octane-bridge/internal/apierror"
)

type keyOut struct {
	ID         string     `json:"id"`
	Name       string     `json:"name"`
	Masked     string     `json:"masked"`
	Platform   string     `json:"platform"`
	DeviceID   *uuid.UUID `json:"device_id"`
	Scopes     []string   `json:"scopes"`
	ExpiresAt  *time.Time `json:"expires_at"`
	LastUsedAt *time.Time `json:"last_used_at"`
	CreatedAt  time.Time  `json:"created_at"`
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
	var in struct {
		Name          string   `json:"name"`
		Scopes        []string `json:"scopes"`
		ExpiresInDays *int     `json:"expires_in_days"`
	}
	if err := bind(c, &in); err != nil {
		return err
	}
	name := strings.TrimSpace(in.Name)
	if name == "" {
		return apierror.New(apierror.MissingRequiredField, "name is required")
	}
	if len([]rune(name)) > 80 {
		return apierror.New(apierror.InvalidInput, "name is at most 80 characters")
	}
	scopes := in.Scopes
	if len(scopes) == 0 {
		scopes = []string{auth.ScopeCatalogRead, auth.ScopeImportsCreate}
	}
	for _, s := range scopes {
		if !slices.Contains(auth.PersonalScopes(), s) {
			return apierror.New(apierror.InvalidInput, "scopes may contain "+strings.Join(auth.PersonalScopes(), ", "))
		}
	}
	slices.Sort(scopes)
	scopes = slices.Compact(scopes)
	var expires *time.Time
	if in.ExpiresInDays != nil {
		if *in.ExpiresInDays < 1 || *in.ExpiresInDays > 366 {
			return apierror.New(apierror.InvalidInput, "expires_in_days must be between 1 and 366")
		}
		t := a.Now().Add(time.Duration(*in.ExpiresInDays) * 24 * time.Hour).UTC().Truncate(time.Second)
		expires = &t
	}
	raw, k := apikey.New()
	out := keyOut{ID: k.ID, Name: name, Masked: apikey.Masked(k.ID), Platform: "web", Scopes: scopes, ExpiresAt: expires}
	err := a.DB.QueryRow(c.Request().Context(), `insert into public.api_keys (id, user_id, name, platform, secret_hash, prefix, scopes, expires_at)
		values ($1, $2, $3, 'web', $4, $5, $6, $7) returning created_at`,
		k.ID, p.UserID, name, apikey.Hash(a.Pepper, k.Secret), apikey.Prefix+k.ID, scopes, expires).Scan(&out.CreatedAt)
	if err != nil {
		return dbError(err, "key")
	}
	return c.JSON(http.StatusCreated, struct {
		keyOut
		APIKey string `json:"api_key"`
	}{out, raw})
}

func (a *api) keyList(c echo.Context) error {
	p := principal(c)
	if err := sessionOnly(p); err != nil {
		return err
	}
	rows, err := a.DB.Query(c.Request().Context(), `select id, name, platform, device_id, scopes, expires_at, last_used_at, created_at
		from public.api_keys where user_id = $1 and revoked_at is null order by created_at desc`, p.UserID)
	if err != nil {
		return dbError(err, "keys")
	}
	defer rows.Close()
	out := []keyOut{}
	for rows.Next() {
		var k keyOut
		if err := rows.Scan(&k.ID, &k.Name, &k.Platform, &k.DeviceID, &k.Scopes, &k.ExpiresAt, &k.LastUsedAt, &k.CreatedAt); err != nil {
			return dbError(err, "keys")
		}
		k.Masked = apikey.Masked(k.ID)
		out = append(out, k)
	}
	if err := rows.Err(); err != nil {
		return dbError(err, "keys")
	}
	return c.JSON(http.StatusOK, map[string]any{"api_keys": out})
}

func (a *api) keyRevoke(c echo.Context) error {
	p := principal(c)
	if err := sessionOnly(p); err != nil {
		return err
	}
	tag, err := a.DB.Exec(c.Request().Context(), `update public.api_keys set revoked_at = now()
		where id = $1 and user_id = $2 and revoked_at is null`, c.Param("id"), p.UserID)
	if err != nil {
		return dbError(err, "key")
	}
	if tag.RowsAffected() == 0 {
		return apierror.New(apierror.NotFound, "API key not found")
	}
	return c.NoContent(http.StatusNoContent)
}
