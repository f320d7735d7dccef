package agent

import (
	"context"
	"testing"
	"time"

	"github.com/octanebridge/octane-bridge/bridge/internal/keychain"
	"github.com/octanebridge/octane-bridge/bridge/internal/stdio"
	"github.com/octanebridge/octane-bridge/internal/codes"
)

// A switch or update asked in an unpaired Blender is answered at once with NOT_PAIRED, and a
// request that names no material or an unknown purpose with MALFORMED, each echoing its id (the
// requests against the edge are TestSwitchAndUpdateFromBlenderAgainstTheStack).
func TestRequestsFromBlenderNeedAPairedBridgeAndWholeFields(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	cacheDir := t.TempDir()
	ad := startAgent(t, ctx, keychain.New("octane-bridge-test-"+t.Name(), t.TempDir()), cacheDir,
		stdio.Hello{AddonVersion: "0.1.0", BlenderVersion: "4.2.0", Platform: "linux", SiteURL: "http://127.0.0.1:1",
			EdgeURL: "http://127.0.0.1:1", SupabaseURL: "http://127.0.0.1:1", SupabaseAnonKey: "anon", CacheDir: cacheDir})
	ad.expect("hello", 5*time.Second, nil)
	for _, tc := range []struct {
		id, typ string
		body    any
		code    codes.Code
	}{
		{"r1", stdio.TypeRequestImport, stdio.RequestImport{Shader: "oak-wood", Resolution: "4k", Purpose: "switch", Material: "OB_OakWood"}, codes.NotPaired},
		{"r2", stdio.TypeShaderInfo, stdio.ShaderInfoRequest{Shader: "oak-wood"}, codes.NotPaired},
		{"r3", stdio.TypeRequestImport, stdio.RequestImport{Shader: "oak-wood", Purpose: "switch"}, stdio.CodeMalformed},
		{"r4", stdio.TypeRequestImport, stdio.RequestImport{Shader: "oak-wood", Purpose: "assign", Material: "M"}, stdio.CodeMalformed},
		{"r5", stdio.TypeShaderInfo, stdio.ShaderInfoRequest{Shader: "../etc"}, stdio.CodeMalformed},
		// Answers and cancels are filed under their import: one naming none is refused.
		{"r6", stdio.TypeImported, stdio.Imported{MaterialName: "M", Objects: []string{}}, stdio.CodeMalformed},
		{"r7", stdio.TypeImportFailed, stdio.ImportFailed{Code: codes.BlenderError, Message: "m"}, stdio.CodeMalformed},
		{"r8", stdio.TypeCancel, stdio.Cancel{}, stdio.CodeMalformed},
	} {
		e := ad.request(tc.typ, tc.id, tc.body)
		if e["type"] != "error" || e["code"] != string(tc.code) {
			t.Errorf("%s %s: %v, want %s", tc.id, tc.typ, e, tc.code)
		}
		if msg, _ := e["message"].(string); tc.id >= "r6" && msg != tc.typ+": import_id is empty" {
			t.Errorf("%s %s: message %q does not say the import_id is empty", tc.id, tc.typ, msg)
		}
	}
	ad.stop()
}

// A paired bridge whose edge cannot be reached says NETWORK, not "connect this Blender".
func TestRequestsOfAPairedBridgeThatIsOfflineSayNetwork(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	cacheDir := t.TempDir()
	kc := keychain.New("octane-bridge-test-"+t.Name(), t.TempDir())
	const edge = "http://127.0.0.1:1"
	if err := kc.Set("device:"+edge, `{"api_key":"obk_test","device_id":"6d09ff1f-ea8a-4a09-a390-b93dee7ce5b4","user_id":"u"}`); err != nil {
		t.Fatal(err)
	}
	ad := startAgent(t, ctx, kc, cacheDir,
		stdio.Hello{AddonVersion: "0.1.0", BlenderVersion: "4.2.0", Platform: "linux", SiteURL: edge,
			EdgeURL: edge, SupabaseURL: edge, SupabaseAnonKey: "anon", CacheDir: cacheDir})
	if h := ad.expect("hello", 5*time.Second, nil); h["paired"] != true {
		t.Fatalf("hello %v: the stored device key was not read", h)
	}
	for id, tc := range map[string]struct {
		typ  string
		body any
	}{
		"n1": {stdio.TypeRequestImport, stdio.RequestImport{Shader: "oak-wood", Resolution: "4k", Purpose: "switch", Material: "OB_OakWood"}},
		"n2": {stdio.TypeShaderInfo, stdio.ShaderInfoRequest{Shader: "oak-wood"}},
	} {
		if e := ad.request(tc.typ, id, tc.body); e["type"] != "error" || e["code"] != string(codes.Network) {
			t.Errorf("%s %s: %v, want %s", id, tc.typ, e, codes.Network)
		}
	}
	ad.stop()
}
