package main

import (
	"context"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/octanebridge/octane-bridge/internal/testenv"
)

// docsExample is the fenced code block under "<!-- example: name -->" in docs/api.md.
func docsExample(t *testing.T, name string) string {
	t.Helper()
	raw, err := os.ReadFile(filepath.Join("..", "docs", "api.md"))
	if err != nil {
		t.Fatal(err)
	}
	m := regexp.MustCompile("(?s)<!-- example: " + regexp.QuoteMeta(name) + " -->\\s*```[a-z]*\\n(.*?)\\n```").FindSubmatch(raw)
	if m == nil {
		t.Fatalf("docs/api.md has no example %s", name)
	}
	return string(m[1])
}

// The studio script of docs/api.md, run as a studio would (python3, a personal key with
// devices:read and imports:create) against a real edge and stand-in: it lists the Blenders and
// queues an import into the named one, and the import is in the user's history as the site reads
// it (PostgREST, as the user). A Blender name that does not exist fails the script with a message.
func TestDocsAPIExampleScriptImports(t *testing.T) {
	python, err := exec.LookPath("python3")
	if err != nil {
		testenv.Require(t, "python3", "install Python 3")
	}
	script := filepath.Join(t.TempDir(), "import_shader.py")
	if err := os.WriteFile(script, []byte(docsExample(t, "import_shader.py")), 0o755); err != nil {
		t.Fatal(err)
	}
	st := testenv.Stack(t)
	ctx := context.Background()
	pool, err := pgxpool.New(ctx, st.DBURL)
	if err != nil {
		t.Fatal(err)
	}
	defer pool.Close()
	const pro, paidShader = testenv.ProUserID, "a0000000-0000-4000-8000-000000000002"
	device, other := uuid.NewString(), uuid.NewString()
	if _, err := pool.Exec(ctx, `insert into public.devices (id, user_id, name, platform, last_seen_at) values
		($1, $3, 'Studio Blender', 'blender', now() - interval '1 hour'), ($2, $3, 'Laptop Blender', 'blender', now())`,
		device, other, pro); err != nil {
		t.Fatal(err)
	}
	session := testenv.SessionJWT(t, st.JWTSecret, pro)
	call := func(method, url string, body any, hdr ...string) []byte {
		t.Helper()
		h := map[string]string{"Authorization": "Bearer " + session}
		for i := 0; i+1 < len(hdr); i += 2 {
			h[hdr[i]] = hdr[i+1]
		}
		status, raw := testenv.Send(t, method, url, h, body)
		if status >= 300 {
			t.Fatalf("%s %s: %d %s", method, url, status, raw)
		}
		return raw
	}
	var key struct {
		APIKey string `json:"api_key"`
	}
	_ = json.Unmarshal(call("POST", st.EdgeURL+"/v1/api-keys", map[string]any{"name": "studio script",
		"scopes": []string{"devices:read", "imports:create", "imports:read"}}), &key)

	run := func(args ...string) (string, error) {
		cmd := exec.Command(python, append([]string{script}, args...)...)
		cmd.Env = append(os.Environ(), "OCTANE_EDGE_URL="+st.EdgeURL, "OCTANE_API_KEY="+key.APIKey)
		out, err := cmd.CombinedOutput()
		return string(out), err
	}
	out, err := run(paidShader, "Studio Blender")
	if err != nil {
		t.Fatalf("the example script failed: %v\n%s", err, out)
	}
	if !strings.Contains(out, "Studio Blender\toffline\t"+device) || !strings.Contains(out, "Laptop Blender\tonline\t"+other) {
		t.Fatalf("the script did not list both Blenders:\n%s", out)
	}
	m := regexp.MustCompile(`queued ([0-9a-f-]{36}) \(version [0-9.]+\) for Studio Blender`).FindStringSubmatch(out)
	if m == nil {
		t.Fatalf("no queued import in the output:\n%s", out)
	}
	// The site's import history reads public.imports through PostgREST as the user.
	var history []map[string]any
	_ = json.Unmarshal(call("GET", st.SupabaseURL+"/rest/v1/imports?select=id,device_id,status&id=eq."+m[1], nil, "apikey", st.AnonKey), &history)
	if len(history) != 1 || history[0]["device_id"] != device || history[0]["status"] != "queued" {
		t.Fatalf("the script's import in the user's history = %v", history)
	}
	if out, err := run(paidShader, "No Such Blender"); err == nil || !strings.Contains(out, "no Blender named 'No Such Blender'") {
		t.Fatalf("an unknown Blender must fail the script with a message: %v\n%s", err, out)
	}
}
