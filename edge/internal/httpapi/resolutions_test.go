package httpapi

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/octanebridge/octane-bridge/edge/internal/apikey"
	"github.com/octanebridge/octane-bridge/internal/shaderpkg"
	"github.com/octanebridge/octane-bridge/internal/wire"
)

func hexSum(s string) string { h := sha256.Sum256([]byte(s)); return hex.EncodeToString(h[:]) }

// addV2Version registers a package format v2 version of shader (slug) as the publisher does: the
// version row with its signed manifest (base: material.blend and preview.webp; one texture set of
// albedo.jpg and normal.png per resolution, 1 MB per k) and its texture_sets rows.
func (en *env) addV2Version(shader uuid.UUID, slug, version string, resolutions ...string) uuid.UUID {
	en.t.Helper()
	file := func(path string) map[string]any {
		return map[string]any{"path": path, "sha256": hexSum(slug + version + path), "size": 100}
	}
	var sets []map[string]any
	for _, res := range resolutions {
		k := int64(res[0]-'0') * 1_000_000
		if len(res) == 3 {
			k = int64(res[0]-'0')*10_000_000 + int64(res[1]-'0')*1_000_000
		}
		sets = append(sets, map[string]any{"resolution": res, "sha256": hexSum(slug + version + res), "size": k,
			"files": []map[string]any{file("albedo.jpg"), file("normal.png")}})
	}
	m := map[string]any{"schema_version": 2, "shader_id": slug, "version": version, "name": "Test Steel",
		"description": "", "material_name": "OB_TestSteel", "category": "metal", "tags": []string{"metal"},
		"min_blender": "3.4", "min_octane": "2024.1",
		"files": []map[string]any{file("material.blend"), file("preview.webp")}, "texture_sets": sets}
	raw, _ := json.Marshal(m)
	sig, err := shaderpkg.SignManifest(shaderpkg.LocalDevKeyring(), raw)
	if err != nil {
		en.t.Fatal(err)
	}
	id := uuid.New()
	ctx := context.Background()
	if _, err := en.db.Exec(ctx, `insert into public.shader_versions (id, shader_id, version, package_key, sha256, size, manifest, manifest_sig, texture_resolutions)
		values ($1, $2, $3, $4, $5, 4096, $6, $7, $8)`, id, shader, version, "packages/"+slug+"/"+version+".zip",
		hexSum(slug+version), raw, sig, resolutions); err != nil {
		en.t.Fatal(err)
	}
	for _, s := range sets {
		res := s["resolution"].(string)
		if _, err := en.db.Exec(ctx, `insert into public.texture_sets (version_id, resolution, object_key, sha256, size, files)
			values ($1, $2, $3, $4, $5, $6)`, id, res, "packages/"+slug+"/"+version+"/textures-"+res+".zip",
			s["sha256"], s["size"], s["files"]); err != nil {
			en.t.Fatal(err)
		}
	}
	return id
}

// slugOf is a shader's slug.
func (en *env) slugOf(shader uuid.UUID) string {
	en.t.Helper()
	var slug string
	if err := en.db.QueryRow(context.Background(), `select slug from public.shaders where id = $1`, shader).Scan(&slug); err != nil {
		en.t.Fatal(err)
	}
	return slug
}

// POST /v1/imports takes a resolution: the one asked for when the version has it, INVALID_INPUT
// (naming the version's sets) when it has not; without one the account's default decides, else
// 2k; a v1 version has none.
func TestImportResolution(t *testing.T) {
	en := newEnv(t)
	dev := en.device(proUser, "blender", dur(time.Minute))
	pro := en.session(proUser)
	v1 := en.do(http.MethodPost, "/v1/imports", pro, map[string]any{"shader_id": en.shader.String()})
	if v1.Code != 201 || v1.json(t)["resolution"] != nil {
		t.Fatalf("a v1 import: %d %s (want resolution null)", v1.Code, v1.Body)
	}
	// Its redemption is as before: one package, a v1 delivery, no textures_url.
	var tok string
	if err := en.db.QueryRow(context.Background(), `select payload ->> 'token' from realtime.messages where payload ->> 'import_id' = $1`,
		v1.json(t)["import_id"]).Scan(&tok); err != nil {
		t.Fatal(err)
	}
	r := en.do(http.MethodPost, "/v1/imports/"+v1.json(t)["import_id"].(string)+"/redeem", en.deviceJWT(proUser, dev), map[string]string{"token": tok})
	var red struct {
		TexturesURL *string          `json:"textures_url"`
		Delivery    shaderpkg.Signed `json:"delivery"`
	}
	if err := json.Unmarshal(r.Body, &red); err != nil || r.Code != 200 || red.TexturesURL != nil || !strings.Contains(string(r.Body), `"textures_url":null`) {
		t.Fatalf("v1 redemption: %d %s", r.Code, r.Body)
	}
	if d, err := shaderpkg.VerifyDelivery(shaderpkg.LocalDevKeyring().PublicKeys(), red.Delivery, time.Now()); err != nil ||
		d.V != shaderpkg.DeliveryVersion || d.Textures != nil || d.Size != 2048 {
		t.Fatalf("v1 delivery %+v: %v", d, err)
	}
	if r := en.do(http.MethodPost, "/v1/imports", pro, map[string]any{"shader_id": en.shader.String(), "resolution": "4k"}); r.errCode(t) != "INVALID_INPUT" {
		t.Fatalf("a v1 version delivered a resolution it was not built with: %s", r.Body)
	}
	en.addV2Version(en.shader, en.slugOf(en.shader), "1.1.0", "1k", "2k", "4k")

	created := func(body map[string]any) map[string]any {
		t.Helper()
		body["shader_id"] = en.shader.String()
		r := en.do(http.MethodPost, "/v1/imports", pro, body)
		if r.Code != 201 {
			t.Fatalf("create %v: %d %s", body, r.Code, r.Body)
		}
		return r.json(t)
	}
	if got := created(map[string]any{"resolution": "4k"}); got["resolution"] != "4k" || got["version"] != "1.1.0" {
		t.Fatalf("asked for 4k of the newest: %v", got)
	}
	if got := created(map[string]any{}); got["resolution"] != "2k" {
		t.Fatalf("no preference: %v, want 2k", got)
	}
	if _, err := en.db.Exec(context.Background(), `insert into public.user_settings (user_id, default_resolution) values ($1, '1k')`, proUser); err != nil {
		t.Fatal(err)
	}
	got := created(map[string]any{})
	if got["resolution"] != "1k" {
		t.Fatalf("the saved preference 1k: %v", got)
	}
	var res, purpose string
	if err := en.db.QueryRow(context.Background(), `select resolution, purpose from public.imports where id = $1`, got["import_id"]).Scan(&res, &purpose); err != nil ||
		res != "1k" || purpose != "import" {
		t.Fatalf("stored %q %q: %v", res, purpose, err)
	}
	if got := created(map[string]any{"version": "1.0.0"}); got["resolution"] != nil {
		t.Fatalf("the v1 version asked for by number: %v", got)
	}

	r = en.do(http.MethodPost, "/v1/imports", pro, map[string]any{"shader_id": en.shader.String(), "resolution": "8k"})
	if r.errCode(t) != "INVALID_INPUT" || !strings.Contains(string(r.Body), "1k, 2k, 4k") {
		t.Fatalf("a resolution the version lacks: %s", r.Body)
	}
	for _, bad := range []any{"4K", "0k", "100k", "", 4, "2k; drop table imports"} {
		if r := en.do(http.MethodPost, "/v1/imports", pro, map[string]any{"shader_id": en.shader.String(), "resolution": bad}); r.errCode(t) != "INVALID_INPUT" {
			t.Errorf("resolution %q: %s", bad, r.Body)
		}
	}
	var n int
	_ = en.db.QueryRow(context.Background(), `select count(*) from public.imports where device_id = $1`, dev).Scan(&n)
	if n != 5 {
		t.Fatalf("%d imports, want the 5 accepted ones", n)
	}
}

// POST /v1/device/imports: Blender asks for a switch or an update with its device credential
// and gets the import_request the web's import would have broadcast; the bridge redeems it as
// usual. Same entitlement; errors NOT_FOUND, SUBSCRIPTION_REQUIRED, INVALID_INPUT; no other
// credential may ask.
func TestDeviceImports(t *testing.T) {
	en := newEnv(t)
	dev := en.device(proUser, "blender", dur(time.Minute))
	blender := en.instance(proUser, dev, "scene.blend", time.Second)
	slug := en.slugOf(en.shader)
	en.addV2Version(en.shader, slug, "1.1.0", "1k", "2k", "4k")
	jwt := en.deviceJWT(proUser, dev)

	r := en.do(http.MethodPost, "/v1/device/imports", jwt, map[string]any{"shader": slug, "version": "1.1.0",
		"resolution": "4k", "purpose": "switch", "blender": blender.String()})
	if r.Code != http.StatusCreated {
		t.Fatalf("device import: %d %s", r.Code, r.Body)
	}
	if r.H.Get("RateLimit-Policy") == "" {
		t.Fatal("the device import is not rate limited")
	}
	var req wire.ImportRequest
	dec := json.NewDecoder(bytes.NewReader(r.Body))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&req); err != nil {
		t.Fatalf("not an import_request: %s: %v", r.Body, err)
	}
	if !strings.HasPrefix(req.Token, "oit1.") || req.ShaderSlug != slug || req.Version != "1.1.0" || req.InstanceID != blender.String() ||
		req.ShaderID != en.shader.String() || req.ShaderName == "" {
		t.Fatalf("import_request %+v", req)
	}
	var sent int
	_ = en.db.QueryRow(context.Background(), `select count(*) from realtime.messages where payload ->> 'import_id' = $1 and event = 'import_request'`,
		req.ImportID).Scan(&sent)
	if sent != 0 {
		t.Fatal("Blender's own ask was also broadcast")
	}
	var res, purpose string
	var gotDev uuid.UUID
	if err := en.db.QueryRow(context.Background(), `select resolution, purpose, device_id from public.imports where id = $1`, req.ImportID).
		Scan(&res, &purpose, &gotDev); err != nil || res != "4k" || purpose != "switch" || gotDev != dev {
		t.Fatalf("stored %q %q %s: %v", res, purpose, gotDev, err)
	}
	if r := en.do(http.MethodPost, "/v1/imports/"+req.ImportID+"/redeem", jwt, map[string]any{"token": req.Token, "instance_id": blender.String()}); r.Code != 200 {
		t.Fatalf("redeem the answer's token: %d %s", r.Code, r.Body)
	}
	// An update without a version takes the newest; a resolution the new version lacks falls
	// back (to 2k), since the old version's set need not exist in the new one.
	r = en.do(http.MethodPost, "/v1/device/imports", jwt, map[string]any{"shader": slug, "resolution": "8k", "purpose": "update"})
	if r.Code != http.StatusCreated || r.json(t)["version"] != "1.1.0" {
		t.Fatalf("update to the newest: %d %s", r.Code, r.Body)
	}
	if err := en.db.QueryRow(context.Background(), `select resolution, purpose from public.imports where id = $1`, r.json(t)["import_id"]).
		Scan(&res, &purpose); err != nil || res != "2k" || purpose != "update" {
		t.Fatalf("update stored %q %q: %v", res, purpose, err)
	}

	freeDev := en.device(freeUser, "blender", nil)
	otherDev := en.instance(proUser, en.device(proUser, "blender", nil), "", time.Second)
	raw, k := apikey.New()
	if _, err := en.db.Exec(context.Background(), `insert into public.api_keys (id, user_id, name, platform, secret_hash, prefix, scopes)
		values ($1, $2, 'script', 'web', $3, 'x', '{imports:create,catalog:read}')`, k.ID, proUser, apikey.Hash(pepper, k.Secret)); err != nil {
		t.Fatal(err)
	}
	ask := func(over map[string]any) map[string]any {
		b := map[string]any{"shader": slug, "resolution": "2k", "purpose": "switch"}
		for k, v := range over {
			if v == nil {
				delete(b, k)
			} else {
				b[k] = v
			}
		}
		return b
	}
	for _, c := range []struct {
		name, cred string
		body       any
		want       string
	}{
		{"unknown shader", jwt, ask(map[string]any{"shader": "no-such-shader"}), "NOT_FOUND"},
		{"unknown version", jwt, ask(map[string]any{"version": "9.9.9"}), "NOT_FOUND"},
		{"another machine's Blender", jwt, ask(map[string]any{"blender": otherDev.String()}), "NOT_FOUND"},
		{"paid shader, no subscription", en.deviceJWT(freeUser, freeDev), ask(nil), "SUBSCRIPTION_REQUIRED"},
		{"a resolution the version lacks", jwt, ask(map[string]any{"resolution": "8k"}), "INVALID_INPUT"},
		{"a malformed resolution", jwt, ask(map[string]any{"resolution": "2048"}), "INVALID_INPUT"},
		{"a malformed version", jwt, ask(map[string]any{"version": "latest"}), "INVALID_INPUT"},
		{"an unknown purpose", jwt, ask(map[string]any{"purpose": "import"}), "INVALID_INPUT"},
		{"no purpose", jwt, ask(map[string]any{"purpose": nil}), "MISSING_REQUIRED_FIELD"},
		{"no shader", jwt, ask(map[string]any{"shader": nil}), "MISSING_REQUIRED_FIELD"},
		{"a Blender id that is no UUID", jwt, ask(map[string]any{"blender": "scene"}), "INVALID_INPUT"},
		{"an unknown field", jwt, ask(map[string]any{"device_id": freeDev.String()}), "INVALID_INPUT"},
		{"a web session", en.session(proUser), ask(nil), "INSUFFICIENT_PERMISSIONS"},
		{"a personal key", raw, ask(nil), "INSUFFICIENT_PERMISSIONS"},
		{"no credential", "", ask(nil), "AUTH_REQUIRED"},
	} {
		t.Run(c.name, func(t *testing.T) {
			if got := en.do(http.MethodPost, "/v1/device/imports", c.cred, c.body).errCode(t); got != c.want {
				t.Fatalf("got %s, want %s", got, c.want)
			}
		})
	}
	// A revoked device's JWT lives out its minutes but asks for nothing more.
	if _, err := en.db.Exec(context.Background(), `update public.devices set revoked_at = now() where id = $1`, dev); err != nil {
		t.Fatal(err)
	}
	if got := en.do(http.MethodPost, "/v1/device/imports", jwt, ask(nil)).errCode(t); got != "NOT_FOUND" {
		t.Fatalf("revoked device: %s", got)
	}
	var n int
	_ = en.db.QueryRow(context.Background(), `select count(*) from public.imports where shader_id = $1`, en.shader).Scan(&n)
	if n != 2 {
		t.Fatalf("%d imports, want only the two accepted", n)
	}
}

// GET /v1/device/shaders/{slug}: the newest published version, the versions newest first, the
// newest one's texture sets smallest first, and the entitlement of the device's account.
func TestDeviceShaderInfo(t *testing.T) {
	en := newEnv(t)
	slug := en.slugOf(en.shader)
	get := func(user, dev uuid.UUID, slug string) resp {
		return en.do(http.MethodGet, "/v1/device/shaders/"+slug, en.deviceJWT(user, dev), nil)
	}
	dev := en.device(proUser, "blender", nil)
	type info struct {
		Shader        string   `json:"shader"`
		Name          string   `json:"name"`
		LatestVersion *string  `json:"latest_version"`
		Versions      []string `json:"versions"`
		TextureSets   []struct {
			Resolution string `json:"resolution"`
			Size       int64  `json:"size"`
		} `json:"texture_sets"`
		Entitled bool `json:"entitled"`
	}
	read := func(r resp) info {
		t.Helper()
		if r.Code != 200 {
			t.Fatalf("shader info: %d %s", r.Code, r.Body)
		}
		var i info
		dec := json.NewDecoder(bytes.NewReader(r.Body))
		dec.DisallowUnknownFields()
		if err := dec.Decode(&i); err != nil {
			t.Fatal(err)
		}
		return i
	}
	v1 := read(get(proUser, dev, slug))
	if v1.Shader != slug || v1.Name != "Test Steel" || v1.LatestVersion == nil || *v1.LatestVersion != "1.0.0" ||
		!slices.Equal(v1.Versions, []string{"1.0.0"}) || len(v1.TextureSets) != 0 || !v1.Entitled {
		t.Fatalf("a v1 shader: %+v", v1)
	}
	en.addV2Version(en.shader, slug, "1.1.0", "1k", "2k", "4k")
	en.addV2Version(en.shader, slug, "1.2.0", "1k", "2k", "16k")
	got := read(get(proUser, dev, slug))
	if *got.LatestVersion != "1.2.0" || !slices.Equal(got.Versions, []string{"1.2.0", "1.1.0", "1.0.0"}) || !got.Entitled {
		t.Fatalf("after two updates: %+v", got)
	}
	var sets []string
	for _, s := range got.TextureSets {
		sets = append(sets, s.Resolution)
		if s.Size <= 0 {
			t.Fatalf("set %s without a size", s.Resolution)
		}
	}
	if !slices.Equal(sets, []string{"1k", "2k", "16k"}) || got.TextureSets[2].Size != 16_000_000 {
		t.Fatalf("the newest version's sets, smallest first (by number, not text): %+v", got.TextureSets)
	}
	freeDev := en.device(freeUser, "blender", nil)
	if read(get(freeUser, freeDev, slug)).Entitled {
		t.Fatal("a free account is entitled to a paid shader")
	}
	if _, err := en.db.Exec(context.Background(), `update public.shaders set published = false where id = $1`, en.shader); err != nil {
		t.Fatal(err)
	}
	for name, r := range map[string]resp{
		"unpublished":    get(proUser, dev, slug),
		"unknown":        get(proUser, dev, "no-such-shader"),
		"an endless one": get(proUser, dev, strings.Repeat("a", 500)),
	} {
		if code := r.errCode(t); code != "NOT_FOUND" {
			t.Errorf("%s: %s", name, code)
		}
	}
	if code := en.do(http.MethodGet, "/v1/device/shaders/"+slug, en.session(proUser), nil).errCode(t); code != "INSUFFICIENT_PERMISSIONS" {
		t.Fatalf("a web session: %s", code)
	}
}
