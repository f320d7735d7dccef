package edgeclient

import (
	"context"
	"net/http"
	"testing"
	"time"

	"github.com/octanebridge/octane-bridge/bridge/internal/fault"
)

// Two Blenders on one paired machine, each a Client with its own Instance and the same device
// key: both announce themselves (file and version), an import addressed to one lists it as that
// one's in pending_imports, only that one redeems it, and a Blender that quits shows stopped.
func TestTwoBlendersOnOneMachineAgainstTheStack(t *testing.T) {
	st := newEdgeStack(t)
	ctx := context.Background()
	key := st.pair(t, "two Blenders")
	blender := func(instance string) (*Client, *Session) {
		c := New(Config{EdgeURL: st.EdgeURL, SupabaseURL: st.SupabaseURL, AnonKey: st.AnonKey,
			HTTP: &http.Client{Timeout: 20 * time.Second}, UserAgent: "edgeclient-test", Instance: instance})
		return c, c.NewSession(key.APIKey)
	}
	const sceneID, assetsID = "5d1c9e7a-2b4f-4a6e-8c3d-9f0e1a2b3c41", "5d1c9e7a-2b4f-4a6e-8c3d-9f0e1a2b3c42"
	scene, ss := blender(sceneID)
	assets, as := blender(assetsID)
	if err := scene.Heartbeat(ctx, ss, Blender{BlendFile: "scene.blend", Version: "4.2.1"}); err != nil {
		t.Fatal(err)
	}
	if err := assets.Heartbeat(ctx, as, Blender{BlendFile: "assets.blend", Version: "3.4.1"}); err != nil {
		t.Fatal(err)
	}
	var n int
	if err := st.db.QueryRow(ctx, `select count(*) from public.device_instances where device_id = $1 and stopped_at is null
		and ((id = $2 and blend_file = 'scene.blend' and blender_version = '4.2.1') or (id = $3 and blend_file = 'assets.blend'))`,
		key.DeviceID, sceneID, assetsID).Scan(&n); err != nil || n != 2 {
		t.Fatalf("%d Blenders announced (%v), want 2", n, err)
	}

	var created struct {
		ImportID   string `json:"import_id"`
		InstanceID string `json:"instance_id"`
	}
	if code := st.EdgeJSON(t, http.MethodPost, "/v1/imports", st.userJWT,
		map[string]string{"shader_id": st.shader, "version": "1.0.1", "instance_id": sceneID}, &created); code != http.StatusCreated || created.InstanceID != sceneID {
		t.Fatalf("POST /v1/imports to one Blender = %d %+v", code, created)
	}
	pending, err := assets.PendingImports(ctx, as)
	if err != nil || len(pending) != 1 || pending[0].InstanceID != sceneID || !pending[0].InstanceOnline {
		t.Fatalf("pending %+v (%v): want the import, naming the scene's Blender", pending, err)
	}
	tok, err := assets.Reissue(ctx, as, created.ImportID)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := assets.Redeem(ctx, as, created.ImportID, tok); fault.CodeOf(err) != "NOT_FOUND" {
		t.Fatalf("the other Blender redeemed it: %v", err)
	}
	if _, err := scene.Redeem(ctx, ss, created.ImportID, tok); err != nil {
		t.Fatalf("its own Blender could not redeem it: %v", err)
	}
	unfinished, err := assets.UnfinishedImports(ctx, as)
	if err != nil || len(unfinished) != 1 || unfinished[0].InstanceID == nil || *unfinished[0].InstanceID != sceneID {
		t.Fatalf("unfinished %+v (%v): want it, naming the scene's Blender", unfinished, err)
	}

	if err := assets.Heartbeat(ctx, as, Blender{BlendFile: "assets.blend", Version: "3.4.1", Quitting: true}); err != nil {
		t.Fatal(err)
	}
	var stopped bool
	if err := st.db.QueryRow(ctx, `select stopped_at is not null from public.device_instances where id = $1`, assetsID).Scan(&stopped); err != nil || !stopped {
		t.Fatalf("a Blender that quit is not stopped (%v)", err)
	}
}
