package httpapi_test

import (
	"context"
	"net/http"
	"testing"

	"github.com/labstack/echo/v4"

	"github.com/octanebridge/octane-bridge/edge/internal/auth"
	"github.com/octanebridge/octane-bridge/edge/internal/httpapi"
	"github.com/octanebridge/octane-bridge/internal/apierror"
)

// The seed's library operator (public.operators); pro and free are artists.
const operatorUser = "99999999-9999-4999-8999-999999999999"

// TestOnlyTheOperatorsSessionReachesOperatorRoutes: the operator routes (every route whose scope
// is in auth.OperatorScopes) answer the operator's web session and nobody else: not an artist's
// session, not an API key (even the operator's own, even one whose row was given the scope in the
// database), not a device credential (even one of the operator's own Blenders), not anonymous.
func TestOnlyTheOperatorsSessionReachesOperatorRoutes(t *testing.T) {
	t.Parallel()
	reached := func(c echo.Context) error { return c.NoContent(http.StatusNoContent) }
	s := newStackWith(t, func(d *httpapi.Deps) {
		d.UploadCreate, d.UploadPart, d.UploadComplete, d.UploadAbort = reached, reached, reached, reached
	})
	var routes []httpapi.Route
	for _, r := range httpapi.RouteTable(httpapi.Deps{}) {
		if auth.IsOperatorScope(r.Scope) {
			routes = append(routes, r)
		}
	}
	if len(routes) == 0 {
		t.Fatal("no operator routes in the route table")
	}

	opSession := userJWT(t, operatorUser)
	// The operator's personal key with every scope a key may hold.
	r := s.do("POST", "/v1/api-keys", opSession, map[string]any{"name": "ci", "scopes": auth.PersonalScopes()})
	if r.code != http.StatusCreated {
		t.Fatalf("create key: %d %s", r.code, r.body)
	}
	opKey := r.json(t)["api_key"].(string)
	// An artist's key whose row says uploads:write (written past the API): the scope is not the key's to hold.
	r = s.do("POST", "/v1/api-keys", userJWT(t, proUser), map[string]any{"name": "forged", "scopes": []string{"catalog:read"}})
	if r.code != http.StatusCreated {
		t.Fatalf("create key: %d %s", r.code, r.body)
	}
	forged := r.json(t)
	if _, err := s.db.Exec(context.Background(), `update public.api_keys set scopes = $2 where id = $1`,
		forged["id"], append(auth.PersonalScopes(), auth.OperatorScopes()...)); err != nil {
		t.Fatal(err)
	}
	_, opDeviceKey := s.pair(operatorUser)
	_, proDeviceKey := s.pair(proUser)

	refused := map[string]string{
		"artist session (subscriber)":       userJWT(t, proUser),
		"artist session (free)":             userJWT(t, freeUser),
		"operator's API key":                opKey,
		"API key with the scope in its row": forged["api_key"].(string),
		"operator's device API key":         opDeviceKey,
		"operator's device JWT":             s.deviceJWT(opDeviceKey),
		"artist's device JWT":               s.deviceJWT(proDeviceKey),
	}
	for _, rt := range routes {
		for name, cred := range refused {
			r := s.do(rt.Method, rt.Path, cred, map[string]any{})
			if r.code != http.StatusForbidden || r.errCode(t) != apierror.InsufficientPermissions {
				t.Errorf("%s: %s %s = %d %s, want 403 INSUFFICIENT_PERMISSIONS", name, rt.Method, rt.Path, r.code, r.body)
			}
		}
		if r := s.do(rt.Method, rt.Path, "", map[string]any{}); r.code != http.StatusUnauthorized || r.errCode(t) != apierror.AuthRequired {
			t.Errorf("anonymous: %s %s = %d %s", rt.Method, rt.Path, r.code, r.body)
		}
		if r := s.do(rt.Method, rt.Path, opSession, map[string]any{}); r.code != http.StatusNoContent {
			t.Errorf("operator session: %s %s = %d %s, want the handler", rt.Method, rt.Path, r.code, r.body)
		}
	}

	// The grant lives in the database: revoked there, the same session is refused at once.
	if _, err := s.db.Exec(context.Background(), `delete from public.operators where user_id = $1`, operatorUser); err != nil {
		t.Fatal(err)
	}
	if r := s.do(routes[0].Method, routes[0].Path, opSession, map[string]any{}); r.code != http.StatusForbidden {
		t.Errorf("revoked operator: %d %s", r.code, r.body)
	}
}
