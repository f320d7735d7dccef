package httpapi_test

import (
	"context"
	"encoding/json"
	"slices"
	"testing"

	"github.com/google/uuid"

	"github.com/octanebridge/octane-bridge/edge/internal/account"
	"github.com/octanebridge/octane-bridge/edge/internal/httpapi"
	"github.com/octanebridge/octane-bridge/internal/apierror"
)

func decode[T any](t *testing.T, r resp) T {
	t.Helper()
	return httpapi.DecodeJSON[T](t, r.code, r.body)
}

// GET /v1/me names the caller for every kind of credential: a web session, a personal key, the
// device key and the device JWT of a paired Blender; without one it is AUTH_REQUIRED.
func TestMeDescribesEveryCredential(t *testing.T) {
	s := newStack(t)
	pro := userJWT(t, proUser)
	device, deviceKey, devJWT := s.pairSignedIn(proUser)
	personal := s.do("POST", "/v1/api-keys", pro, map[string]any{"name": "farm", "scopes": []string{"imports:create", "devices:read"}}).json(t)["api_key"].(string)

	me := decode[account.Me](t, s.do("GET", "/v1/me", pro, nil))
	if me.Kind != "user" || me.Credential != "session" || me.UserID.String() != proUser || me.Email == nil || *me.Email != "pro@octane.local" ||
		me.Device != nil || me.APIKey != nil || !me.Subscription.Entitled || me.Subscription.Status != "active" ||
		!slices.Contains(me.Scopes, "settings:write") {
		t.Fatalf("session: %+v", me)
	}
	me = decode[account.Me](t, s.do("GET", "/v1/me", personal, nil))
	if me.Kind != "user" || me.Credential != "api_key" || me.APIKey == nil || me.APIKey.Name != "farm" ||
		!slices.Equal(me.Scopes, []string{"devices:read", "imports:create"}) {
		t.Fatalf("personal key: %+v", me)
	}
	for cred, want := range map[string]string{deviceKey: "api_key", devJWT: "device_jwt"} {
		me = decode[account.Me](t, s.do("GET", "/v1/me", cred, nil))
		if me.Kind != "device" || me.Credential != want || me.Device == nil || me.Device.ID.String() != device ||
			me.Device.Platform != "blender" || !slices.Contains(me.Scopes, "imports:receive") || !me.Subscription.Entitled {
			t.Fatalf("device %s: %+v", want, me)
		}
	}
	free := decode[account.Me](t, s.do("GET", "/v1/me", userJWT(t, freeUser), nil))
	if free.Subscription.Status != "inactive" || free.Subscription.Entitled {
		t.Fatalf("free user: %+v", free.Subscription)
	}
	if r := s.do("GET", "/v1/me", "", nil); r.errCode(t) != apierror.AuthRequired {
		t.Fatal("no credential must be AUTH_REQUIRED")
	}
}

// Settings start at the defaults, change field by field, keep the rest, and refuse what does not
// belong to the caller; a device credential has no settings scope.
func TestSettingsPartialUpdatesAndOwnership(t *testing.T) {
	s := newStack(t)
	pro, free := userJWT(t, proUser), userJWT(t, freeUser)
	got := decode[account.Settings](t, s.do("GET", "/v1/settings", pro, nil))
	if want := account.Defaults(); got.DefaultResolution != want.DefaultResolution || got.DefaultDeviceID != nil ||
		got.Notifications != want.Notifications || got.UpdatedAt != nil {
		t.Fatalf("defaults: %+v", got)
	}
	// The edge's defaults are the table's column defaults.
	ctx := context.Background()
	tx, err := s.db.Begin(ctx)
	if err != nil {
		t.Fatal(err)
	}
	var col account.Settings
	if err := tx.QueryRow(ctx, `insert into public.user_settings (user_id) values ($1)
		returning default_resolution, notify_import_failed, notify_billing, notify_product_news`, freeUser).
		Scan(&col.DefaultResolution, &col.Notifications.ImportFailed, &col.Notifications.Billing, &col.Notifications.ProductNews); err != nil {
		t.Fatal(err)
	}
	_ = tx.Rollback(ctx)
	if want := account.Defaults(); col.DefaultResolution != want.DefaultResolution || col.Notifications != want.Notifications {
		t.Fatalf("column defaults %+v, the edge answers %+v", col, want)
	}

	got = decode[account.Settings](t, s.do("PUT", "/v1/settings", pro, map[string]any{"default_resolution": "4k"}))
	if got.DefaultResolution != "4k" || got.Notifications != account.Defaults().Notifications || got.UpdatedAt == nil {
		t.Fatalf("after resolution: %+v", got)
	}
	got = decode[account.Settings](t, s.do("PUT", "/v1/settings", pro, map[string]any{"notifications": map[string]bool{"billing": false}}))
	if got.DefaultResolution != "4k" || got.Notifications.Billing || !got.Notifications.ImportFailed {
		t.Fatalf("after one flag: %+v", got)
	}
	for body, code := range map[string]apierror.Code{
		`{"default_resolution":"8k"}`:                      apierror.InvalidInput,
		`{"default_device_id":"not-a-uuid"}`:               apierror.InvalidInput,
		`{"theme":"dark"}`:                                 apierror.InvalidInput,
		`{"default_device_id":"` + uuid.NewString() + `"}`: apierror.NotFound,
	} {
		if r := s.do("PUT", "/v1/settings", pro, json.RawMessage(body)); r.errCode(t) != code {
			t.Errorf("%s: %s, want %s", body, r.body, code)
		}
	}
	device, deviceKey := s.pair(proUser)
	if r := s.do("PUT", "/v1/settings", free, map[string]any{"default_device_id": device}); r.errCode(t) != apierror.NotFound {
		t.Fatalf("another user's Blender as default: %s", r.body)
	}
	if r := s.do("GET", "/v1/settings", s.deviceJWT(deviceKey), nil); r.errCode(t) != apierror.InsufficientPermissions {
		t.Fatalf("a device reading settings: %s", r.body)
	}
	readOnly := s.do("POST", "/v1/api-keys", pro, map[string]any{"name": "ro", "scopes": []string{"settings:read"}}).json(t)["api_key"].(string)
	if r := s.do("GET", "/v1/settings", readOnly, nil); r.code != 200 {
		t.Fatalf("settings:read key: %d %s", r.code, r.body)
	}
	if r := s.do("PUT", "/v1/settings", readOnly, map[string]any{"default_resolution": "1k"}); r.errCode(t) != apierror.InsufficientPermissions {
		t.Fatalf("settings:read key writing: %s", r.body)
	}
	// A studio script's key with settings:write changes them like the site does.
	writer := s.do("POST", "/v1/api-keys", pro, map[string]any{"name": "rw", "scopes": []string{"settings:write"}}).json(t)["api_key"].(string)
	if got = decode[account.Settings](t, s.do("PUT", "/v1/settings", writer, map[string]any{"default_resolution": "1k"})); got.DefaultResolution != "1k" || got.Notifications.Billing {
		t.Fatalf("settings:write key: %+v", got)
	}
}

// The default Blender is where an import without device_id goes, also from a script's personal
// key (devices:read lists the Blenders, imports:create queues); the import is in the user's
// history as the site reads it (RLS as the user); revoking the default clears it.
func TestDefaultBlenderAndScriptImports(t *testing.T) {
	s := newStack(t)
	pro := userJWT(t, proUser)
	shader, _ := s.publish("default-"+uuid.NewString()[:8], false)
	paired, _ := s.pair(proUser)
	recent := uuid.NewString()
	if _, err := s.db.Exec(context.Background(), `insert into public.devices (id, user_id, name, platform, last_seen_at)
		values ($1, $2, 'Recent Blender', 'blender', now())`, recent, proUser); err != nil {
		t.Fatal(err)
	}
	key := s.do("POST", "/v1/api-keys", pro, map[string]any{"name": "studio script",
		"scopes": []string{"devices:read", "imports:create", "imports:read"}}).json(t)["api_key"].(string)
	listed := decode[struct {
		Devices []struct{ ID, Name string }
	}](t, s.do("GET", "/v1/devices", key, nil))
	if len(listed.Devices) != 2 || listed.Devices[0].ID != recent {
		t.Fatalf("devices for the key: %+v", listed)
	}
	target := func() string {
		r := s.do("POST", "/v1/imports", key, map[string]any{"shader_id": shader})
		if r.code != 201 {
			t.Fatalf("import with the key: %d %s", r.code, r.body)
		}
		return r.json(t)["device_id"].(string)
	}
	if got := target(); got != recent {
		t.Fatalf("without a default the most recently seen Blender gets it, got %s", got)
	}
	if r := s.do("PUT", "/v1/settings", pro, map[string]any{"default_device_id": paired}); r.code != 200 {
		t.Fatalf("set default: %d %s", r.code, r.body)
	}
	if got := target(); got != paired {
		t.Fatalf("the default Blender must get it, got %s", got)
	}
	r := s.do("POST", "/v1/imports", key, map[string]any{"shader_id": shader, "device_id": recent})
	imp := r.json(t)["import_id"].(string)
	if r.code != 201 || r.json(t)["device_id"] != recent {
		t.Fatalf("an explicit device_id wins: %d %s", r.code, r.body)
	}
	// The web history reads public.imports as the user (RLS): the script's import is there.
	ctx := context.Background()
	tx, err := s.db.Begin(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer tx.Rollback(ctx) //nolint:errcheck
	var n int
	if err := tx.QueryRow(ctx, `select set_config('request.jwt.claims', json_build_object('sub', $1::text, 'role', 'authenticated')::text, true),
		set_config('role', 'authenticated', true)`, proUser).Scan(new(string), new(string)); err != nil {
		t.Fatal(err)
	}
	if err := tx.QueryRow(ctx, `select count(*) from public.imports where id = $1`, imp).Scan(&n); err != nil || n != 1 {
		t.Fatalf("the script's import is not in the user's history: %d %v", n, err)
	}
	_ = tx.Rollback(ctx)

	if r := s.do("DELETE", "/v1/devices/"+paired, pro, nil); r.code != 204 {
		t.Fatalf("revoke: %d %s", r.code, r.body)
	}
	if got := decode[account.Settings](t, s.do("GET", "/v1/settings", pro, nil)); got.DefaultDeviceID != nil {
		t.Fatalf("a revoked default Blender must be cleared: %+v", got)
	}
	if got := target(); got != recent {
		t.Fatalf("after revoking the default the most recently seen Blender gets it, got %s", got)
	}
}
