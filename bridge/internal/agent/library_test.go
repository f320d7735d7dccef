package agent

import (
	"context"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/octanebridge/octane-bridge/bridge/internal/keychain"
	"github.com/octanebridge/octane-bridge/bridge/internal/stdio"
	"github.com/octanebridge/octane-bridge/internal/codes"
	"github.com/octanebridge/octane-bridge/internal/testenv"
)

// A shader imported once stays in the local library: a bridge started later with every server
// unreachable (and so unpaired for them) lists it and hands it to Blender as an import after
// checking it against its signed file list; a changed copy is refused in words and removed.
func TestLocalLibraryAppliesACachedShaderWithoutTheNetwork(t *testing.T) {
	st := newStack(t)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	cacheDir := filepath.Join(t.TempDir(), "cache")
	ad := startAgent(t, ctx, keychain.New("octane-bridge-test-"+t.Name(), t.TempDir()), cacheDir, st.hello(cacheDir))
	ad.expect("hello", 5*time.Second, nil)
	device, imp := pairAndImportOnce(t, st, ad)
	ad.stop()

	dead := stdio.Hello{AddonVersion: "0.1.0", BlenderVersion: "4.2.0", Platform: "linux", SiteURL: "http://127.0.0.1:1",
		EdgeURL: "http://127.0.0.1:1", SupabaseURL: "http://127.0.0.1:1", SupabaseAnonKey: "anon", CacheDir: cacheDir}
	off := startAgent(t, ctx, keychain.New("octane-bridge-test-"+t.Name()+"-off", t.TempDir()), cacheDir, dead)
	off.expect("hello", 5*time.Second, nil)
	off.send("library", stdio.Library{Action: "list"})
	list := off.expect("library", 5*time.Second, nil)
	entries, _ := list["entries"].([]any)
	if len(entries) != 1 {
		t.Fatalf("library: %v", list)
	}
	e := entries[0].(map[string]any)
	if e["shader_id"] != imp["shader_id"] || e["material_name"] != imp["material_name"] || e["name"] == "" || e["version"] != imp["version"] {
		t.Fatalf("entry %v, import was %v", e, imp)
	}
	if p, _ := e["preview_path"].(string); p == "" || filepath.Dir(p) != imp["package_dir"] {
		t.Fatalf("preview %v", e["preview_path"])
	}
	sha := e["sha256"].(string)

	off.send("library", stdio.Library{Action: "apply", SHA256: sha, ImportID: "library-1"})
	local := answerImport(t, off, "library-1")
	if local["package_dir"] != imp["package_dir"] || local["shader_id"] != imp["shader_id"] || local["material_name"] != imp["material_name"] {
		t.Fatalf("library import %v, first import %v", local, imp)
	}
	off.expect("import_status", 10*time.Second, func(m map[string]any) bool { return m["import_id"] == "library-1" && m["status"] == "done" })
	if n := st.importCount(t, device); n != 1 {
		t.Fatalf("the library import reached the server: %d imports", n)
	}

	blend := local["blend_path"].(string)
	testenv.TamperFile(t, blend)
	off.send("library", stdio.Library{Action: "apply", SHA256: sha, ImportID: "library-2"})
	failed := off.expect("import_status", 10*time.Second, func(m map[string]any) bool { return m["import_id"] == "library-2" })
	if failed["status"] != "failed" || failed["code"] != string(codes.LibraryEntryDamaged) {
		t.Fatalf("tampered entry: %v", failed)
	}
	if _, err := os.Stat(filepath.Dir(blend)); !os.IsNotExist(err) {
		t.Fatalf("the damaged entry is still there: %v", err)
	}
	off.send("library", stdio.Library{Action: "list"})
	if l := off.expect("library", 5*time.Second, nil); len(l["entries"].([]any)) != 0 {
		t.Fatalf("listed after removal: %v", l)
	}
	off.send("library", stdio.Library{Action: "apply", SHA256: sha, ImportID: "no-prefix"})
	if e := off.expect("error", 5*time.Second, nil); e["code"] != string(codes.Malformed) {
		t.Fatalf("apply without a library id: %v", e)
	}
	off.stop()
}

func (st *stack) importCount(t *testing.T, device string) (n int) {
	t.Helper()
	if err := st.db.QueryRow(context.Background(), `select count(*) from public.imports where device_id = $1`, device).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}
