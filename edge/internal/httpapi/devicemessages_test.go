package httpapi

import (
	"context"
	"encoding/json"
	"net/http"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/santhosh-tekuri/jsonschema/v6"

	"github.com/octanebridge/octane-bridge/internal/wire"
	"github.com/octanebridge/octane-bridge/schemas/schematest"
)

// The messages a device gets as they are produced, not as their examples say: the edge's
// import_request (broadcast when an import is queued, and the answer to Blender's own ask) and
// the database's import_cancelled (the imports_broadcast trigger, on cancelling through the
// edge) pass their schemas and wire.Decode, for an import to the machine and to one Blender.
func TestDeviceMessagesPassTheirSchemas(t *testing.T) {
	en := newEnv(t)
	ctx := context.Background()
	requests, cancels := schematest.Compile(t, "import_request"), schematest.Compile(t, "import_cancelled")
	machine := en.device(proUser, "blender", dur(time.Hour)) // no Blender announced: any of the machine's
	one := en.device(proUser, "blender", dur(time.Minute))
	blender := en.instance(proUser, one, "scene.blend", time.Second)

	// sent is the one message event about import id, on the device's private topic.
	sent := func(event string, id, dev uuid.UUID) []byte {
		t.Helper()
		var topic string
		var private bool
		var payload []byte
		if err := en.db.QueryRow(ctx, `select topic, private, payload::text from realtime.messages
			where event = $1 and payload ->> 'import_id' = $2`, event, id.String()).Scan(&topic, &private, &payload); err != nil {
			t.Fatalf("%s for %s: %v", event, id, err)
		}
		if topic != "device:"+dev.String() || !private {
			t.Fatalf("%s on topic %q (private %v), want the private device:%s", event, topic, private, dev)
		}
		return payload
	}
	for _, c := range []struct {
		name     string
		dev      uuid.UUID
		instance *uuid.UUID
	}{{"to the machine", machine, nil}, {"to one Blender", one, &blender}} {
		t.Run(c.name, func(t *testing.T) {
			body := map[string]any{"shader_id": en.shader.String(), "device_id": c.dev.String()}
			wantInstance := ""
			if c.instance != nil {
				body["instance_id"] = c.instance.String()
				wantInstance = c.instance.String()
			}
			id, _, _ := en.createImport(proUser, body)

			raw := sent(wire.ImportRequestEvent, id, c.dev)
			if err := schematest.Validate(t, requests, raw); err != nil {
				t.Errorf("import_request %s: %v", raw, err)
			}
			var req wire.ImportRequest
			if err := wire.Decode(raw, &req); err != nil || req.ImportID != id.String() || req.InstanceID != wantInstance {
				t.Errorf("import_request %s decoded as %+v: %v", raw, req, err)
			}
			refusesWithout(t, requests, raw, "token", new(wire.ImportRequest))

			if r := en.do(http.MethodPost, "/v1/imports/"+id.String()+"/cancel", en.session(proUser), nil); r.Code != http.StatusOK {
				t.Fatalf("cancel: %d %s", r.Code, r.Body)
			}
			raw = sent(wire.ImportCancelledEvent, id, c.dev)
			if err := schematest.Validate(t, cancels, raw); err != nil {
				t.Errorf("import_cancelled %s: %v", raw, err)
			}
			var got wire.ImportCancelled
			if err := wire.Decode(raw, &got); err != nil || got.ImportID != id.String() ||
				(got.InstanceID == nil) != (c.instance == nil) || (got.InstanceID != nil && *got.InstanceID != wantInstance) {
				t.Errorf("import_cancelled %s decoded as %+v: %v", raw, got, err)
			}
			refusesWithout(t, cancels, raw, "import_id", new(wire.ImportCancelled))
		})
	}

	// Blender's own ask is answered with the message instead of a broadcast.
	r := en.do(http.MethodPost, "/v1/device/imports", en.deviceJWT(proUser, one), map[string]any{
		"shader": en.slugOf(en.shader), "purpose": "update", "blender": blender.String()})
	if r.Code != http.StatusCreated {
		t.Fatalf("device import: %d %s", r.Code, r.Body)
	}
	if err := schematest.Validate(t, requests, r.Body); err != nil {
		t.Errorf("the answer to Blender's ask %s: %v", r.Body, err)
	}
	refusesWithout(t, requests, r.Body, "shader_slug", new(wire.ImportRequest))
}

// refusesWithout: raw without field fails the schema and wire.Decode, so the checks above can fail.
func refusesWithout(t *testing.T, s *jsonschema.Schema, raw []byte, field string, v any) {
	t.Helper()
	t.Run("without "+field, func(t *testing.T) {
		var m map[string]any
		if err := json.Unmarshal(raw, &m); err != nil {
			t.Fatal(err)
		}
		if _, ok := m[field]; !ok {
			t.Fatalf("%s has no %s", raw, field)
		}
		delete(m, field)
		cut, _ := json.Marshal(m)
		if schematest.Validate(t, s, cut) == nil {
			t.Errorf("the schema accepts %s", cut)
		}
		if wire.Decode(cut, v) == nil {
			t.Errorf("wire.Decode accepts %s", cut)
		}
	})
}
