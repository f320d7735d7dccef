package agent

import (
	"context"
	"net/http"
	"os"
	"path"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/octanebridge/octane-bridge/bridge/internal/keychain"
	"github.com/octanebridge/octane-bridge/bridge/internal/stdio"
	"github.com/octanebridge/octane-bridge/internal/codes"
	"github.com/octanebridge/octane-bridge/internal/shaderpkg"
	"github.com/octanebridge/octane-bridge/internal/testenv"
)

// publishV2 publishes a format v2 version (the base, its texture sets beside it as the publish
// CLI finds them) and returns the shader's id.
func publishV2(t *testing.T, st *stack, pkg testenv.V2Package) string {
	t.Helper()
	m := pkg.Manifest
	dir := t.TempDir()
	base := filepath.Join(dir, m.ShaderID+"-"+m.Version+".zip")
	sets := strings.TrimSuffix(base, ".zip")
	if err := os.MkdirAll(sets, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(base, pkg.Base, 0o644); err != nil {
		t.Fatal(err)
	}
	for res, z := range pkg.Sets {
		if err := os.WriteFile(filepath.Join(sets, path.Base(shaderpkg.TextureSetKey(m.ShaderID, m.Version, res))), z, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return publish(t, st, base, m.ShaderID)
}

// request sends one add-on request with an id and returns the answer (the same type, or error).
func (ad *addon) request(typ, id string, body any) map[string]any {
	ad.t.Helper()
	line, err := stdio.Encode(typ, "", body)
	if err != nil {
		ad.t.Fatal(err)
	}
	line = append([]byte(`{"id":"`+id+`",`), line[1:]...)
	if _, err := ad.in.Write(line); err != nil {
		ad.t.Fatal(err)
	}
	return ad.expectWhere("the answer to "+id, 20*time.Second, func(m map[string]any) bool {
		return m["re"] == id && (m["type"] == typ || m["type"] == "error")
	})
}

// A format v2 shader against the real edge: a web import at 1k brings the base and the 1k set;
// Blender asks for 2k (request_import switch) and gets the same base folder with the 2k set and
// apply switch; a 4k set changed in the bucket fails alone (CHECKSUM_MISMATCH); shader_info tells it of a newer version, and an update brings that version with
// apply update; a resolution the version lacks is refused with INVALID_INPUT.
func TestSwitchAndUpdateFromBlenderAgainstTheStack(t *testing.T) {
	st := newStack(t)
	slug := "switch-test"
	pkg := testenv.BuildV2Package(t, slug, "1.1.0", "1k", "2k", "4k")
	shader := publishV2(t, st, pkg)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	cacheDir := t.TempDir()
	ad := startAgent(t, ctx, keychain.New("octane-bridge-test-"+t.Name(), t.TempDir()), cacheDir, st.hello(cacheDir))
	ad.expect("hello", 5*time.Second, nil)
	device := pair(t, st, ad)
	ad.expect("status", 20*time.Second, func(m map[string]any) bool { return m["state"] == "online" })

	var web struct {
		ImportID   string `json:"import_id"`
		Resolution string `json:"resolution"`
	}
	st.edge(t, http.MethodPost, "/v1/imports", map[string]string{"shader_id": shader, "device_id": device, "resolution": "1k"}, http.StatusCreated, &web)
	first := answerImport(t, ad, web.ImportID)
	ad.expect("import_status", 10*time.Second, func(m map[string]any) bool { return m["import_id"] == web.ImportID && m["status"] == "done" })
	dir1k, _ := first["textures_dir"].(string)
	if first["resolution"] != "1k" || dir1k == "" || first["apply"].(map[string]any)["mode"] != "assign" {
		t.Fatalf("web import %v", first)
	}
	if _, err := os.Stat(filepath.Join(dir1k, "albedo.jpg")); err != nil {
		t.Fatalf("the 1k set is not in its folder: %v", err)
	}

	ans := ad.request(stdio.TypeRequestImport, "sw", stdio.RequestImport{Shader: slug, Version: "1.1.0", Resolution: "2k", Purpose: "switch", Material: "OB_Test"})
	id, _ := ans["import_id"].(string)
	if ans["type"] != stdio.TypeRequestImport || id == "" {
		t.Fatalf("request_import answer %v", ans)
	}
	sw := answerImport(t, ad, id)
	ad.expect("import_status", 10*time.Second, func(m map[string]any) bool { return m["import_id"] == id && m["status"] == "done" })
	if sw["package_dir"] != first["package_dir"] || sw["resolution"] != "2k" || sw["textures_dir"] == dir1k ||
		sw["apply"].(map[string]any)["mode"] != "switch" || sw["apply"].(map[string]any)["material"] != "OB_Test" {
		t.Fatalf("switch import %v (first %v)", sw, first)
	}
	if status, _, _ := st.importRow(t, id); status != "done" {
		t.Fatalf("switch row %s", status)
	}

	// The 4k set's object is changed in the bucket: the switch to 4k fails its checksum, in words
	// naming the set, and the base and the other sets stay as they were.
	bad := append([]byte{}, pkg.Sets["4k"]...)
	bad[len(bad)/2] ^= 0xff
	st.S3.PutObject(t, shaderpkg.TextureSetKey(slug, "1.1.0", "4k"), bad, "application/zip")
	ans = ad.request(stdio.TypeRequestImport, "4k", stdio.RequestImport{Shader: slug, Version: "1.1.0", Resolution: "4k", Purpose: "switch", Material: "OB_Test"})
	id, _ = ans["import_id"].(string)
	failed := ad.expect("import_status", 30*time.Second, func(m map[string]any) bool { return m["import_id"] == id })
	if failed["status"] != "failed" || failed["code"] != string(codes.ChecksumMismatch) || !strings.Contains(failed["message"].(string), "4k texture set") {
		t.Fatalf("a tampered set: %v", failed)
	}
	if _, code, _ := st.importRow(t, id); code != string(codes.ChecksumMismatch) {
		t.Fatalf("the site shows %s", code)
	}
	for _, f := range []string{first["blend_path"].(string), filepath.Join(dir1k, "albedo.jpg"), filepath.Join(sw["textures_dir"].(string), "albedo.jpg")} {
		if _, err := os.Stat(f); err != nil {
			t.Fatalf("the tampered set touched %s: %v", f, err)
		}
	}

	publishV2(t, st, testenv.BuildV2Package(t, slug, "1.2.0", "1k", "2k"))
	info := ad.request(stdio.TypeShaderInfo, "info", stdio.ShaderInfoRequest{Shader: slug})
	if info["type"] != stdio.TypeShaderInfo || info["latest_version"] != "1.2.0" || info["entitled"] != true ||
		len(info["texture_sets"].([]any)) != 2 || len(info["versions"].([]any)) != 2 {
		t.Fatalf("shader_info %v", info)
	}
	ans = ad.request(stdio.TypeRequestImport, "up", stdio.RequestImport{Shader: slug, Resolution: "2k", Purpose: "update", Material: "OB_Test"})
	id, _ = ans["import_id"].(string)
	if id == "" {
		t.Fatalf("update answer %v", ans)
	}
	up := answerImport(t, ad, id)
	if up["version"] != "1.2.0" || up["package_dir"] == first["package_dir"] || up["apply"].(map[string]any)["mode"] != "update" {
		t.Fatalf("update import %v", up)
	}
	ad.expect("import_status", 10*time.Second, func(m map[string]any) bool { return m["import_id"] == id && m["status"] == "done" })

	if e := ad.request(stdio.TypeRequestImport, "bad", stdio.RequestImport{Shader: slug, Resolution: "8k", Purpose: "switch", Material: "OB_Test"}); e["code"] != string(codes.InvalidInput) {
		t.Fatalf("a resolution the version lacks: %v", e)
	}
	if e := ad.request(stdio.TypeShaderInfo, "none", stdio.ShaderInfoRequest{Shader: "no-such-shader"}); e["code"] != string(codes.NotFound) {
		t.Fatalf("an unknown shader: %v", e)
	}
	ad.stop()
}
