package agent

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/octanebridge/octane-bridge/bridge/internal/httpx"
	"github.com/octanebridge/octane-bridge/bridge/internal/keychain"
	"github.com/octanebridge/octane-bridge/bridge/internal/stdio"
	"github.com/octanebridge/octane-bridge/internal/shaderpkg"
	"github.com/octanebridge/octane-bridge/internal/testenv"
)

// The agent against the real local stack: stand-in (auth, REST, Realtime), edge, PostgreSQL and
// versitygw, with a demo package published by the real publisher. The test plays the add-on.

// addon drives one agent over in-memory pipes, like the Blender add-on does over stdio.
type addon struct {
	t       *testing.T
	in      io.WriteCloser
	msgs    chan map[string]any
	backlog []map[string]any // read but not yet expected
	done    chan error
}

func startAgent(t *testing.T, ctx context.Context, kc keychain.Store, cacheDir string, hello stdio.Hello) *addon {
	t.Helper()
	inR, inW := io.Pipe()
	outR, outW := io.Pipe()
	a := New(Config{Version: "test", Trusted: shaderpkg.LocalDevKeyring().PublicKeys(), In: inR, Out: outW,
		Log: slog.New(slog.NewTextHandler(testWriter{t}, nil)), Keychain: kc, HTTP: httpx.NewClient(10 * time.Second),
		CacheDir: cacheDir, Heartbeat: time.Second,
		Realtime: RealtimeTuning{Heartbeat: time.Second, MinBackoff: 100 * time.Millisecond, MaxBackoff: time.Second}})
	ad := &addon{t: t, in: inW, msgs: make(chan map[string]any, 256), done: make(chan error, 1)}
	go func() { ad.done <- a.Run(ctx); outW.Close() }()
	go func() {
		sc := bufio.NewScanner(outR)
		sc.Buffer(nil, stdio.MaxLine+1)
		for sc.Scan() {
			var m map[string]any
			if err := json.Unmarshal(sc.Bytes(), &m); err != nil {
				t.Errorf("bridge wrote a non-JSON line: %q", sc.Text())
				continue
			}
			ad.msgs <- m
		}
		close(ad.msgs)
	}()
	ad.send("hello", hello)
	return ad
}

type testWriter struct{ t *testing.T }

func (w testWriter) Write(p []byte) (int, error) {
	w.t.Log(strings.TrimRight(string(p), "\n"))
	return len(p), nil
}

func (ad *addon) send(typ string, body any) {
	line, err := stdio.Encode(typ, "", body)
	if err != nil {
		ad.t.Fatal(err)
	}
	if _, err := ad.in.Write(line); err != nil {
		ad.t.Fatalf("write %s: %v", typ, err)
	}
}

// expect returns the first message of type typ for which match is true. Messages it passes over
// stay for later expects, so the order in which independent messages arrive does not matter.
func (ad *addon) expect(typ string, within time.Duration, match func(map[string]any) bool) map[string]any {
	ad.t.Helper()
	return ad.expectWhere(typ, within, func(m map[string]any) bool { return m["type"] == typ && (match == nil || match(m)) })
}

// expectWhere returns the first message want accepts (what names what is awaited, for failures).
func (ad *addon) expectWhere(what string, within time.Duration, want func(map[string]any) bool) map[string]any {
	ad.t.Helper()
	for i, m := range ad.backlog {
		if want(m) {
			ad.backlog = append(ad.backlog[:i], ad.backlog[i+1:]...)
			return m
		}
	}
	deadline := time.After(within)
	for {
		select {
		case m, ok := <-ad.msgs:
			if !ok {
				ad.t.Fatalf("bridge closed stdout while waiting for %s", what)
			}
			if want(m) {
				return m
			}
			ad.backlog = append(ad.backlog, m)
		case <-deadline:
			ad.t.Fatalf("no %s within %s", what, within)
		}
	}
}

func (ad *addon) stop() {
	ad.in.Close()
	select {
	case err := <-ad.done:
		if err != nil {
			ad.t.Errorf("agent: %v", err)
		}
	case <-time.After(10 * time.Second):
		ad.t.Fatal("agent did not exit after stdin closed")
	}
}

type stack struct {
	testenv.StackInfo
	userJWT string
	db      *pgx.Conn
	shader  string // shader id of the published demo package
}

func newStack(t *testing.T) *stack {
	t.Helper()
	st := &stack{StackInfo: testenv.Stack(t)}
	st.db = st.Conn(t)
	st.shader = publishDemo(t, st, "brushed-steel")
	st.userJWT = st.ProJWT(t)
	return st
}

// demoPackages copies the committed demo package of slug (catalog/demo/packages) into a fresh
// folder for the publisher.
func demoPackages(t *testing.T, root, slug string) string {
	t.Helper()
	matches, _ := filepath.Glob(filepath.Join(root, "catalog/demo/packages", slug+"-*.zip"))
	if len(matches) == 0 {
		t.Fatalf("no demo package %s", slug)
	}
	dir := t.TempDir()
	for _, m := range matches {
		b, err := os.ReadFile(m)
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, filepath.Base(m)), b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

// publishDemo publishes one committed demo package with the real publisher.
func publishDemo(t *testing.T, st *stack, slug string) string {
	t.Helper()
	root := testenv.Root(t)
	return publish(t, st, demoPackages(t, root, slug), slug)
}

// publish runs the real publisher (without Blender's vetting) on path and returns the id of the
// shader slug.
func publish(t *testing.T, st *stack, path, slug string) string {
	t.Helper()
	root := testenv.Root(t)
	cmd := exec.Command("go", "run", "./cmd/publish", "--no-vet", "--skip-existing", path)
	cmd.Dir = root
	cmd.Env = append(os.Environ(), "DATABASE_URL="+st.DBURL, "MANIFEST_SIGNING_KEYS="+shaderpkg.LocalDevSigningKeys(),
		"S3_ENDPOINT="+st.S3.Endpoint, "S3_REGION="+st.S3.Region, "S3_ACCESS_KEY="+st.S3.AccessKey,
		"S3_SECRET_KEY="+st.S3.SecretKey, "S3_BUCKET="+st.S3.Bucket)
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("publish: %v\n%s", err, out)
	}
	var id string
	if err := st.db.QueryRow(context.Background(), `select id::text from public.shaders where slug = $1`, slug).Scan(&id); err != nil {
		t.Fatalf("published shader: %v", err)
	}
	return id
}

func (st *stack) edge(t *testing.T, method, path string, body any, want int, out any) {
	t.Helper()
	if code := st.EdgeJSON(t, method, path, st.userJWT, body, out); code != want {
		t.Fatalf("%s %s = %d, want %d", method, path, code, want)
	}
}

func (st *stack) createImport(t *testing.T, device string) string {
	var out struct {
		ImportID string `json:"import_id"`
	}
	st.edge(t, http.MethodPost, "/v1/imports", map[string]string{"shader_id": st.shader, "device_id": device}, http.StatusCreated, &out)
	return out.ImportID
}

func (st *stack) importRow(t *testing.T, id string) (status, code string, timings map[string]any) {
	t.Helper()
	var c *string
	if err := st.db.QueryRow(context.Background(), `select status::text, error_code, timings from public.imports where id = $1`, id).
		Scan(&status, &c, &timings); err != nil {
		t.Fatal(err)
	}
	if c != nil {
		code = *c
	}
	return status, code, timings
}

func (st *stack) setSubscription(t *testing.T, status string) {
	t.Helper()
	if _, err := st.db.Exec(context.Background(), `update public.subscriptions set status = $1, updated_at = now()
		where user_id = (select id from auth.users where email = 'pro@octane.local')`, status); err != nil {
		t.Fatal(err)
	}
}

func (st *stack) hello(cacheDir string) stdio.Hello {
	return stdio.Hello{AddonVersion: "0.1.0", BlenderVersion: "3.4.1", Platform: "linux", SiteURL: "http://127.0.0.1:1",
		EdgeURL: st.EdgeURL, SupabaseURL: st.SupabaseURL, SupabaseAnonKey: st.AnonKey, CacheDir: cacheDir, DeviceName: "test Blender"}
}

// pair runs the device flow: the add-on asks, the user approves the code on the site.
func pair(t *testing.T, st *stack, ad *addon) string {
	ad.send("pair", stdio.Pair{})
	code := ad.expect("pair_code", 10*time.Second, nil)
	uc, _ := code["user_code"].(string)
	if uc == "" || !strings.Contains(code["verification_uri_complete"].(string), "code=") {
		t.Fatalf("pair_code %v", code)
	}
	st.edge(t, http.MethodPost, "/v1/devices/approve", map[string]string{"user_code": uc}, http.StatusOK, nil)
	paired := ad.expect("paired", 20*time.Second, nil)
	return paired["device_id"].(string)
}

func answerImport(t *testing.T, ad *addon, id string) map[string]any {
	imp := ad.expect("import", 30*time.Second, func(m map[string]any) bool { return m["import_id"] == id })
	blend := imp["blend_path"].(string)
	if _, err := os.Stat(blend); err != nil {
		t.Fatalf("import names a blend that is not there: %v", err)
	}
	ad.send("imported", stdio.Imported{ImportID: id, MaterialName: imp["material_name"].(string), Objects: []string{"Cube"}})
	return imp
}

// pairAndImportOnce pairs a just-started bridge, waits for it to come online and lands one import
// in it: the device and the import message Blender got.
func pairAndImportOnce(t *testing.T, st *stack, ad *addon) (string, map[string]any) {
	t.Helper()
	device := pair(t, st, ad)
	ad.expect("status", 20*time.Second, func(m map[string]any) bool { return m["state"] == "online" })
	id := st.createImport(t, device)
	imp := answerImport(t, ad, id)
	ad.expect("import_status", 10*time.Second, func(m map[string]any) bool { return m["import_id"] == id && m["status"] == "done" })
	return device, imp
}

func TestPairImportOfflineCatchUpAndRevocation(t *testing.T) {
	st := newStack(t)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	kc := keychain.New("octane-bridge-test-"+t.Name(), t.TempDir())
	cacheDir := t.TempDir()

	// 1. Pair through the real device flow, then come online.
	ad := startAgent(t, ctx, kc, cacheDir, st.hello(cacheDir))
	if h := ad.expect("hello", 5*time.Second, nil); h["paired"] != false || h["protocol"] != float64(1) {
		t.Fatalf("hello %v", h)
	}
	device := pair(t, st, ad)
	ad.expect("status", 20*time.Second, func(m map[string]any) bool { return m["state"] == "online" })
	// The add-on's preferences show who this Blender is connected as.
	ad.expect("status", 10*time.Second, func(m map[string]any) bool {
		return m["account"] == "pro@octane.local" && m["subscription"] == "active"
	})

	// 2. An import made on the site lands: every status, the package verified in the cache.
	id := st.createImport(t, device)
	imp := answerImport(t, ad, id)
	final := ad.expect("import_status", 10*time.Second, func(m map[string]any) bool { return m["import_id"] == id })
	if final["status"] != "done" {
		t.Fatalf("final %v", final)
	}
	status, _, timings := st.importRow(t, id)
	if status != "done" {
		t.Fatalf("row status %s", status)
	}
	for _, s := range []string{"queued", "redeemed", "downloading", "verifying", "importing", "done"} {
		if _, ok := timings[s]; !ok {
			t.Errorf("timings lack %s: %v", s, timings)
		}
	}
	pkgDir := imp["package_dir"].(string)
	if !strings.HasPrefix(pkgDir, cacheDir) {
		t.Fatalf("package outside the cache: %s", pkgDir)
	}
	if _, err := os.Stat(filepath.Join(pkgDir, "manifest.json")); err != nil {
		t.Fatal(err)
	}

	// 3. The bridge is gone while an import is made; a new bridge process picks it up.
	// Meanwhile the subscription changed on the site: the new process reports it.
	ad.stop()
	id2 := st.createImport(t, device)
	st.setSubscription(t, "trialing")
	ad = startAgent(t, ctx, kc, cacheDir, st.hello(cacheDir))
	if h := ad.expect("hello", 5*time.Second, nil); h["paired"] != true || h["device_id"] != device {
		t.Fatalf("hello after restart %v", h)
	}
	ad.expect("status", 20*time.Second, func(m map[string]any) bool { return m["subscription"] == "trialing" })
	st.setSubscription(t, "active")
	answerImport(t, ad, id2)
	if f := ad.expect("import_status", 10*time.Second, func(m map[string]any) bool { return m["import_id"] == id2 }); f["status"] != "done" {
		t.Fatalf("offline import %v", f)
	}

	// 4. A failure in Blender reaches the site with the add-on's code.
	id3 := st.createImport(t, device)
	ad.expect("import", 30*time.Second, func(m map[string]any) bool { return m["import_id"] == id3 })
	ad.send("import_failed", stdio.ImportFailed{ImportID: id3, Code: "MATERIAL_MISSING", Message: "no such material"})
	ad.expect("import_status", 10*time.Second, func(m map[string]any) bool { return m["import_id"] == id3 && m["status"] == "failed" })
	if s, code, _ := st.importRow(t, id3); s != "failed" || code != "MATERIAL_MISSING" {
		t.Fatalf("row %s %s", s, code)
	}

	// 5. Cache stats and clear.
	ad.send("cache", stdio.Cache{Action: "stats"})
	if cs := ad.expect("cache_stats", 5*time.Second, nil); cs["entries"] != float64(1) {
		t.Fatalf("cache_stats %v", cs)
	}
	ad.send("cache", stdio.Cache{Action: "clear"})
	if cs := ad.expect("cache_stats", 5*time.Second, nil); cs["entries"] != float64(0) {
		t.Fatalf("cache_stats after clear %v", cs)
	}

	// 6. Revoked on the site: the bridge forgets the key and says so.
	st.edge(t, http.MethodDelete, "/v1/devices/"+device, nil, http.StatusNoContent, nil)
	ad.expect("unpaired", 90*time.Second, nil)
	if _, err := kc.Get("device:" + st.EdgeURL); err == nil {
		t.Fatal("revoked key still in the keychain")
	}
	ad.stop()
}

func TestBadLinesAreAnsweredAndTheStreamSurvives(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	ad := startAgent(t, ctx, keychain.New("octane-bridge-test-"+t.Name(), t.TempDir()), t.TempDir(), stdio.Hello{})
	if e := ad.expect("error", 5*time.Second, nil); e["code"] != "CONFIG_INVALID" {
		t.Fatalf("hello without URLs: %v", e)
	}
	ad.in.Write([]byte("{not json\n"))
	if e := ad.expect("error", 5*time.Second, nil); e["code"] != string(stdio.CodeMalformed) {
		t.Fatalf("%v", e)
	}
	ad.in.Write([]byte(`{"v":1,"type":"pair","id":"r1"}` + "\n"))
	if e := ad.expect("error", 5*time.Second, nil); e["code"] != "NOT_READY" || e["re"] != "r1" {
		t.Fatalf("%v", e)
	}
	ad.in.Write(append(bytes.Repeat([]byte("x"), stdio.MaxLine+10), '\n'))
	if e := ad.expect("error", 5*time.Second, nil); e["code"] != string(stdio.CodeLineTooLong) {
		t.Fatalf("%v", e)
	}
	ad.send("shutdown", nil)
	select {
	case err := <-ad.done:
		if err != nil {
			t.Fatal(err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("shutdown ignored")
	}
}
