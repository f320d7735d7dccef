package agent

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"

	"github.com/octanebridge/octane-bridge/bridge/internal/stdio"
	"github.com/octanebridge/octane-bridge/internal/shaderpkg"
	"github.com/octanebridge/octane-bridge/internal/testenv"
)

// Imports after redemption never hang: a bridge killed with SIGKILL after redeeming resumes the
// import when it starts again (with the package in its cache, and without it), and an import
// whose bridge never comes back is ended by the edge's maintenance as failed IMPORT_STALLED,
// broadcast to the owner's page. The bridge here is the real binary, killed as a crash would.

// buildBridge builds the bridge binary pinning the local delivery key, as scripts/build-bridge.sh
// does for local builds (go build leaves an up-to-date output alone).
func buildBridge(t *testing.T) string {
	t.Helper()
	root := testenv.Root(t)
	dir := filepath.Join(os.TempDir(), fmt.Sprintf("octane-testenv-%d", os.Getuid()))
	if err := os.MkdirAll(dir, 0o700); err != nil {
		t.Fatal(err)
	}
	out := filepath.Join(dir, "octane-bridge-test")
	goBuild(t, root, out, "./bridge", "-X main.version=test -X main.trustedKeys="+shaderpkg.LocalDevPublicKeys())
	return out
}

// goBuild builds the package pkg of the module at root into out as a static binary (no cgo),
// linked with ldflags ("" for none).
func goBuild(t *testing.T, root, out, pkg, ldflags string) {
	t.Helper()
	args := []string{"build", "-o", out}
	if ldflags != "" {
		args = append(args, "-ldflags", ldflags)
	}
	cmd := exec.Command("go", append(args, pkg)...)
	cmd.Dir = root
	cmd.Env = append(os.Environ(), "CGO_ENABLED=0")
	if b, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("go build %s: %v\n%s", pkg, err, b)
	}
}

// bridgeProcess is a bridge binary the test plays the add-on for, over its real stdin/stdout.
type bridgeProcess struct {
	*addon
	cmd *exec.Cmd
}

func startBridgeProcess(t *testing.T, bin, cacheDir string, hello stdio.Hello) *bridgeProcess {
	t.Helper()
	cmd := exec.Command(bin)
	// The cache directory holds the credential file; no D-Bus session, so no OS keychain is touched.
	cmd.Env = append(os.Environ(), "OCTANE_BRIDGE_CACHE_DIR="+cacheDir, "DBUS_SESSION_BUS_ADDRESS=unix:path=/nonexistent",
		"OCTANE_BRIDGE_LOG_LEVEL=debug")
	in, err := cmd.StdinPipe()
	if err != nil {
		t.Fatal(err)
	}
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	cmd.Stderr = testWriter{t}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	ad := &addon{t: t, in: in, msgs: make(chan map[string]any, 256), done: make(chan error, 1)}
	go func() {
		sc := bufio.NewScanner(out)
		sc.Buffer(nil, stdio.MaxLine+1)
		for sc.Scan() {
			var m map[string]any
			if err := json.Unmarshal(sc.Bytes(), &m); err == nil {
				ad.msgs <- m
			}
		}
		close(ad.msgs)
		ad.done <- cmd.Wait()
	}()
	bp := &bridgeProcess{addon: ad, cmd: cmd}
	t.Cleanup(bp.kill)
	ad.send("hello", hello)
	return bp
}

// startPairedBridge starts the bridge binary, pairs it through the site and waits until it is
// online; it returns the process and the new device's id.
func startPairedBridge(t *testing.T, st *stack, bin, cacheDir string) (*bridgeProcess, string) {
	t.Helper()
	bp := startBridgeProcess(t, bin, cacheDir, st.hello(cacheDir))
	bp.expect("hello", 10*time.Second, nil)
	device := pair(t, st, bp.addon)
	bp.expect("status", 20*time.Second, func(m map[string]any) bool { return m["state"] == "online" })
	return bp, device
}

// kill ends the bridge with SIGKILL: no shutdown code runs, as when Blender crashes.
func (bp *bridgeProcess) kill() {
	if bp.cmd.ProcessState != nil {
		return
	}
	_ = bp.cmd.Process.Kill()
	bp.in.Close()
	select {
	case <-bp.done:
	case <-time.After(10 * time.Second):
		bp.t.Error("killed bridge did not exit")
	}
}

func (st *stack) waitStatus(t *testing.T, id, want string, within time.Duration) (code string) {
	t.Helper()
	deadline := time.Now().Add(within)
	for {
		status, code, _ := st.importRow(t, id)
		if status == want {
			return code
		}
		if time.Now().After(deadline) {
			t.Fatalf("import %s is %s (%s), want %s", id, status, code, want)
		}
		time.Sleep(200 * time.Millisecond)
	}
}

func TestKilledBridgeResumesItsImport(t *testing.T) {
	st := newStack(t)
	bin := buildBridge(t)
	cacheDir := t.TempDir()

	bp, device := startPairedBridge(t, st, bin, cacheDir)

	// 1. Killed while Blender imports (redeemed, downloaded, verified): the row stays unfinished.
	// Its "importing" report travels beside the hand-over to Blender, so wait for it first.
	id := st.createImport(t, device)
	bp.expect("import", 30*time.Second, func(m map[string]any) bool { return m["import_id"] == id })
	st.waitStatus(t, id, "importing", 10*time.Second)
	bp.kill()
	if status, _, _ := st.importRow(t, id); status != "importing" {
		t.Fatalf("after the kill the import is %s, want importing", status)
	}
	// Started again, the bridge resumes it from its cache and Blender gets it.
	bp = startBridgeProcess(t, bin, cacheDir, st.hello(cacheDir))
	if h := bp.expect("hello", 10*time.Second, nil); h["paired"] != true {
		t.Fatalf("hello after restart %v", h)
	}
	answerImport(t, bp.addon, id)
	if f := bp.expect("import_status", 20*time.Second, func(m map[string]any) bool { return m["import_id"] == id }); f["status"] != "done" {
		t.Fatalf("resumed import %v", f)
	}
	st.waitStatus(t, id, "done", 10*time.Second)

	// 2. Killed again after redeeming, and this time the package is not in the cache (as when the
	// bridge dies mid-download): the new process gets a fresh delivery and downloads it.
	id2 := st.createImport(t, device)
	bp.expect("import", 30*time.Second, func(m map[string]any) bool { return m["import_id"] == id2 })
	bp.kill()
	if err := os.RemoveAll(filepath.Join(cacheDir, "pkg")); err != nil {
		t.Fatal(err)
	}
	bp = startBridgeProcess(t, bin, cacheDir, st.hello(cacheDir))
	bp.expect("progress", 30*time.Second, func(m map[string]any) bool { return m["import_id"] == id2 && m["stage"] == "downloading" })
	answerImport(t, bp.addon, id2)
	if f := bp.expect("import_status", 20*time.Second, func(m map[string]any) bool { return m["import_id"] == id2 }); f["status"] != "done" {
		t.Fatalf("resumed import %v", f)
	}
	st.waitStatus(t, id2, "done", 10*time.Second)
	bp.in.Close() // stdin closed: the bridge exits by itself
	if err := <-bp.done; err != nil {
		t.Fatalf("bridge exit: %v", err)
	}
}

func TestImportOfABridgeThatNeverReturnsFailsAsStalled(t *testing.T) {
	st := &stack{StackInfo: testenv.StackWith(t, testenv.StackOptions{EdgeEnv: map[string]string{
		"MAINTENANCE_INTERVAL": "1s", "IMPORT_STALL_WINDOW": "3s"}})}
	st.db = st.Conn(t)
	st.shader = publishDemo(t, st, "brushed-steel")
	st.userJWT = st.ProJWT(t)
	bin := buildBridge(t)
	cacheDir := t.TempDir()

	bp, device := startPairedBridge(t, st, bin, cacheDir)
	id := st.createImport(t, device)
	bp.expect("import", 30*time.Second, func(m map[string]any) bool { return m["import_id"] == id })
	bp.kill() // and never started again

	if code := st.waitStatus(t, id, "failed", 60*time.Second); code != "IMPORT_STALLED" {
		t.Fatalf("stalled import failed with %q, want IMPORT_STALLED", code)
	}
	// The page learns it from the broadcast on the owner's topic.
	var n int
	if err := st.db.QueryRow(context.Background(), `select count(*) from realtime.messages
		where topic = 'user:' || $1 and event = 'import_status'
		  and payload ->> 'id' = $2 and payload ->> 'status' = 'failed' and payload ->> 'error_code' = 'IMPORT_STALLED'`,
		testenv.ProUserID, id).Scan(&n); err != nil {
		t.Fatal(err)
	}
	if n != 1 {
		t.Fatalf("%d IMPORT_STALLED broadcasts for the import, want 1", n)
	}
}
