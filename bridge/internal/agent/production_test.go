package agent

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/octanebridge/octane-bridge/internal/testenv"
)

// The production smoke test (issue 18 item 6): the stack started the way production runs it
// (testenv.ProductionStack: fresh secrets and keys everywhere, a database role and an S3 of its
// own, ES256 user sessions verified through the JWKS, the edge in EDGE_ENV=production), the
// package published by the publisher in production mode with the fresh signing key, and one
// import end to end through a release-built bridge that pins only the fresh public key:
// sign in, pair, POST /v1/imports, redeem, download, verify, Blender (played by the test over
// stdio) imports, done.
func TestProductionSmokeImport(t *testing.T) {
	p := testenv.ProductionStack(t)
	root := testenv.Root(t)

	// The production check is on: the same edge settings with one development secret do not start.
	refused := exec.Command(p.EdgeBin)
	refused.Env = testenv.MinimalEnv(withEnv(p.EdgeEnv, "IMPORT_TOKEN_KEYS", "local-1:QN2coReBSxzBANSdzjaLAjkSr7A39nVFb2aHmtMBRMk=", "EDGE_ADDR", "127.0.0.1:0"))
	if out, err := refused.CombinedOutput(); err == nil || !strings.Contains(string(out), "IMPORT_TOKEN_KEYS") {
		t.Fatalf("the production edge started with the development import key: %v\n%s", err, out)
	}

	st := &stack{StackInfo: p.StackInfo}
	st.db = st.Conn(t)
	st.shader = publishProduction(t, st, p, root, "brushed-steel")

	// A user session is ES256, with the kid the stand-in's JWKS publishes; the edge accepts it.
	st.userJWT = st.ProJWT(t)
	var header struct{ Alg, Kid string }
	raw, _ := base64.RawURLEncoding.DecodeString(strings.Split(st.userJWT, ".")[0])
	if err := json.Unmarshal(raw, &header); err != nil || header.Alg != "ES256" || header.Kid == "" {
		t.Fatalf("user session header %s (%v), want ES256 with a kid", raw, err)
	}

	bin := buildReleaseBridge(t, root, p.ManifestPublicKeys)
	cacheDir := t.TempDir()
	bp, device := startPairedBridge(t, st, bin, cacheDir)

	id := st.createImport(t, device)
	answerImport(t, bp.addon, id)
	if f := bp.expect("import_status", 30*time.Second, func(m map[string]any) bool { return m["import_id"] == id }); f["status"] != "done" {
		t.Fatalf("import %v", f)
	}
	st.waitStatus(t, id, "done", 10*time.Second)
	bp.in.Close()
	if err := <-bp.done; err != nil {
		t.Fatalf("bridge exit: %v", err)
	}
}

func withEnv(base map[string]string, kv ...string) map[string]string {
	m := map[string]string{}
	for k, v := range base {
		m[k] = v
	}
	for i := 0; i+1 < len(kv); i += 2 {
		m[kv[i]] = kv[i+1]
	}
	return m
}

// publishProduction publishes a committed demo package with the real publisher in production
// mode (PUBLISH_ENV=production: the development key would be refused) and the fresh signing key;
// PUBLISH_ALLOW_LOOPBACK admits the local database and S3.
func publishProduction(t *testing.T, st *stack, p testenv.ProductionInfo, root, slug string) string {
	t.Helper()
	dir := demoPackages(t, root, slug)
	out := filepath.Join(os.TempDir(), fmt.Sprintf("octane-testenv-%d", os.Getuid()), "publish")
	goBuild(t, root, out, "./cmd/publish", "")
	cmd := exec.Command(out, "--no-vet", dir)
	cmd.Env = testenv.MinimalEnv(map[string]string{"PUBLISH_ENV": "production", "PUBLISH_ALLOW_LOOPBACK": "1",
		"DATABASE_URL": st.DBURL, "MANIFEST_SIGNING_KEYS": p.ManifestSigningKeys,
		"S3_ENDPOINT": st.S3.Endpoint, "S3_REGION": st.S3.Region, "S3_ACCESS_KEY": st.S3.AccessKey,
		"S3_SECRET_KEY": st.S3.SecretKey, "S3_BUCKET": st.S3.Bucket})
	b, err := cmd.CombinedOutput()
	if err != nil || !strings.Contains(string(b), "production: development keys and loopback URLs refused") {
		t.Fatalf("publish in production: %v\n%s", err, b)
	}
	var id string
	if err := st.db.QueryRow(context.Background(), `select id::text from public.shaders where slug = $1`, slug).Scan(&id); err != nil {
		t.Fatalf("published shader: %v", err)
	}
	return id
}

// buildReleaseBridge builds the bridge as a release (scripts/build-bridge.sh with
// BRIDGE_RELEASE=1) pinning only keys: the committed development key would be refused.
func buildReleaseBridge(t *testing.T, root, keys string) string {
	t.Helper()
	out := filepath.Join(t.TempDir(), "octane-bridge")
	goBuild(t, root, out, "./bridge", "-X main.version=smoke -X main.trustedKeys="+keys+" -X main.release=1")
	return out
}
