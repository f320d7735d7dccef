package httpapi

import (
	"context"
	"encoding/json"
	"net/http"
	"testing"
	"time"

	"github.com/google/uuid"
)

// instance makes a Blender running on dev (as its bridge's instance_heartbeat would).
func (en *env) instance(user, dev uuid.UUID, file string, seen time.Duration) uuid.UUID {
	en.t.Helper()
	id := uuid.New()
	if _, err := en.db.Exec(context.Background(), `insert into public.device_instances (id, device_id, user_id, blend_file, last_seen_at)
		values ($1, $2, $3, $4, now() - $5::interval)`, id, dev, user, file, seen.String()); err != nil {
		en.t.Fatal(err)
	}
	return id
}

// Two Blenders on one machine: an import names the one it is for (asked for, or the most recently
// seen by default), the device message says so, and the other Blender can neither redeem it nor
// take it over by redelivery.
func TestImportToOneOfSeveralBlenders(t *testing.T) {
	en := newEnv(t)
	dev := en.device(proUser, "blender", dur(time.Second))
	scene := en.instance(proUser, dev, "scene.blend", 5*time.Second)
	assets := en.instance(proUser, dev, "assets.blend", time.Second)
	other := en.instance(proUser, en.device(proUser, "blender", dur(time.Hour)), "", time.Second)

	id, gotDev, tok := en.createImport(proUser, map[string]any{"shader_id": en.shader.String(), "instance_id": scene.String()})
	if gotDev != dev {
		t.Fatalf("an instance-addressed import went to device %s, want %s", gotDev, dev)
	}
	var msg map[string]any
	var payload []byte
	if err := en.db.QueryRow(context.Background(), `select payload::text from realtime.messages where event = 'import_request'
		and payload ->> 'import_id' = $1`, id.String()).Scan(&payload); err != nil {
		t.Fatal(err)
	}
	_ = json.Unmarshal(payload, &msg)
	if msg["instance_id"] != scene.String() {
		t.Fatalf("device message %s does not name the Blender %s", payload, scene)
	}
	jwt := en.deviceJWT(proUser, dev)
	redeem := func(as uuid.UUID) resp {
		return en.do(http.MethodPost, "/v1/imports/"+id.String()+"/redeem", jwt, map[string]any{"token": tok, "instance_id": as.String()})
	}
	if r := redeem(assets); r.errCode(t) != "NOT_FOUND" {
		t.Fatalf("another Blender of the machine redeemed it: %d %s", r.Code, r.Body)
	}
	if r := redeem(scene); r.Code != http.StatusOK {
		t.Fatalf("its own Blender could not redeem it (the refused attempt spent the token?): %d %s", r.Code, r.Body)
	}
	if r := en.do(http.MethodPost, "/v1/imports/"+id.String()+"/delivery", jwt, map[string]any{"instance_id": assets.String()}); r.errCode(t) != "NOT_FOUND" {
		t.Fatalf("another Blender took it over by redelivery: %d %s", r.Code, r.Body)
	}
	if r := en.do(http.MethodPost, "/v1/imports/"+id.String()+"/delivery", jwt, nil); r.Code != http.StatusOK {
		t.Fatalf("a bridge naming no Blender (older add-on) is refused a redelivery: %d %s", r.Code, r.Body)
	}

	// Default: the most recently seen Blender of the (default) device; the answer names it.
	r := en.do(http.MethodPost, "/v1/imports", en.session(proUser), map[string]any{"shader_id": en.shader.String(), "device_id": dev.String()})
	if r.Code != http.StatusCreated || r.json(t)["instance_id"] != assets.String() {
		t.Fatalf("default Blender: %d %s, want %s", r.Code, r.Body, assets)
	}
	// A Blender of another machine than the one asked for, or of another user, is not found.
	for _, body := range []map[string]any{
		{"shader_id": en.shader.String(), "device_id": dev.String(), "instance_id": other.String()},
		{"shader_id": en.shader.String(), "instance_id": uuid.NewString()},
	} {
		if r := en.do(http.MethodPost, "/v1/imports", en.session(proUser), body); r.errCode(t) != "NOT_FOUND" {
			t.Fatalf("%v: %d %s", body, r.Code, r.Body)
		}
	}
	if r := en.do(http.MethodPost, "/v1/imports", en.session(freeUser), map[string]any{"shader_id": en.shader.String(), "instance_id": scene.String()}); r.Code != http.StatusNotFound && r.Code != http.StatusPaymentRequired {
		t.Fatalf("another user's Blender: %d %s", r.Code, r.Body)
	}
	if r := en.do(http.MethodPost, "/v1/imports", en.session(proUser), map[string]any{"shader_id": en.shader.String(), "instance_id": "nope"}); r.errCode(t) != "INVALID_INPUT" {
		t.Fatalf("a malformed instance id: %d %s", r.Code, r.Body)
	}
}

// POST /v1/imports/{id}/cancel: the owner cancels until Blender has it; the device topic is told;
// a device credential may not use the route; another user's import is NOT_FOUND; an import Blender
// is applying is CONFLICT; cancelling twice answers the cancelled import.
func TestCancelImport(t *testing.T) {
	en := newEnv(t)
	dev := en.device(proUser, "blender", dur(time.Second))
	id, _, tok := en.createImport(proUser, map[string]any{"shader_id": en.shader.String()})
	cancel := func(cred string) resp { return en.do(http.MethodPost, "/v1/imports/"+id.String()+"/cancel", cred, nil) }

	if r := cancel(en.deviceJWT(proUser, dev)); r.errCode(t) != "INSUFFICIENT_PERMISSIONS" {
		t.Fatalf("a device credential cancelled through the user's route: %d %s", r.Code, r.Body)
	}
	if r := cancel(en.session(freeUser)); r.errCode(t) != "NOT_FOUND" {
		t.Fatalf("another user cancelled it: %d %s", r.Code, r.Body)
	}
	for range 2 {
		r := cancel(en.session(proUser))
		if r.Code != http.StatusOK || r.json(t)["status"] != "cancelled" {
			t.Fatalf("cancel: %d %s", r.Code, r.Body)
		}
	}
	var n int
	if err := en.db.QueryRow(context.Background(), `select count(*) from realtime.messages where topic = $1 and event = 'import_cancelled'
		and payload ->> 'import_id' = $2`, "device:"+dev.String(), id.String()).Scan(&n); err != nil || n != 1 {
		t.Fatalf("device told %d times (%v), want once", n, err)
	}
	if r := en.do(http.MethodPost, "/v1/imports/"+id.String()+"/redeem", en.deviceJWT(proUser, dev), map[string]string{"token": tok}); r.errCode(t) != "INVALID_TOKEN" {
		t.Fatalf("a cancelled import redeemed: %d %s", r.Code, r.Body)
	}

	id2, _, tok2 := en.createImport(proUser, map[string]any{"shader_id": en.shader.String()})
	if r := en.do(http.MethodPost, "/v1/imports/"+id2.String()+"/redeem", en.deviceJWT(proUser, dev), map[string]string{"token": tok2}); r.Code != http.StatusOK {
		t.Fatalf("redeem: %d %s", r.Code, r.Body)
	}
	if _, err := en.db.Exec(context.Background(), `update public.imports set status = 'importing' where id = $1`, id2); err != nil {
		t.Fatal(err)
	}
	if r := en.do(http.MethodPost, "/v1/imports/"+id2.String()+"/cancel", en.session(proUser), nil); r.errCode(t) != "CONFLICT" {
		t.Fatalf("cancelled while Blender applies it: %d %s", r.Code, r.Body)
	}
}
