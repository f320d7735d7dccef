package httpapi_test

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"testing"
	"testing/fstest"
	"time"

	"github.com/google/uuid"

	"github.com/octanebridge/octane-bridge/internal/shaderpkg"
)

// publishV2 stores a package format v2 version of a new published shader in S3 (the base zip
// under the v1 key, one texture set zip per resolution under shaderpkg.TextureSetKey) and
// registers it as the publisher does: the version row and its texture_sets rows.
func (s *stack) publishV2(slug string, resolutions ...string) (shaderID string, base []byte, sets map[string][]byte) {
	t := s.t
	t.Helper()
	m := shaderpkg.Manifest{SchemaVersion: shaderpkg.SchemaVersionV2, ShaderID: slug, Version: "1.1.0", Name: "Test " + slug,
		MaterialName: "OB_Test", Category: "metal", Tags: []string{"metal"}, MinBlender: "3.4", MinOctane: "2024.1"}
	sets = map[string][]byte{}
	for _, res := range resolutions {
		var buf bytes.Buffer
		set, err := shaderpkg.WriteTextureSet(&buf, res, fstest.MapFS{
			"albedo.jpg": {Data: []byte("\xff\xd8 albedo at " + res + strings.Repeat(res, 100))},
			"normal.png": {Data: []byte("\x89PNG normal at " + res)},
		})
		if err != nil {
			t.Fatal(err)
		}
		m.TextureSets = append(m.TextureSets, set)
		sets[res] = buf.Bytes()
	}
	var buf bytes.Buffer
	m, err := shaderpkg.WritePackage(&buf, m, fstest.MapFS{
		"material.blend": {Data: []byte("BLENDER-v304" + strings.Repeat("x", 300))},
		"preview.webp":   {Data: []byte("RIFF....WEBPVP8 ")},
	})
	if err != nil {
		t.Fatal(err)
	}
	base = buf.Bytes()
	mj, err := m.Marshal()
	if err != nil {
		t.Fatal(err)
	}
	sig, err := shaderpkg.SignManifest(shaderpkg.LocalDevKeyring(), mj)
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	key := "packages/" + slug + "/1.1.0.zip"
	s.s3.PutObject(t, key, base, "application/zip")
	shaderID = uuid.NewString()
	if _, err := s.db.Exec(ctx, `insert into public.shaders (id, slug, name, description, category_id, tags, is_free, published, latest_version)
		values ($1, $2, $3, 'test', 'metal', '{metal}', false, true, '1.1.0')`, shaderID, slug, m.Name); err != nil {
		t.Fatal(err)
	}
	var version string
	if err := s.db.QueryRow(ctx, `insert into public.shader_versions (shader_id, version, package_key, sha256, size, manifest, manifest_sig,
		min_blender, min_octane, texture_resolutions) values ($1, '1.1.0', $2, $3, $4, $5::jsonb, $6, '3.4', '2024.1', $7) returning id`,
		shaderID, key, hexSHA(base), len(base), string(mj), sig, resolutions).Scan(&version); err != nil {
		t.Fatal(err)
	}
	for _, set := range m.TextureSets {
		setKey := shaderpkg.TextureSetKey(slug, "1.1.0", set.Resolution)
		s.s3.PutObject(t, setKey, sets[set.Resolution], "application/zip")
		files, _ := json.Marshal(set.Files)
		if _, err := s.db.Exec(ctx, `insert into public.texture_sets (version_id, resolution, object_key, sha256, size, files)
			values ($1, $2, $3, $4, $5, $6)`, version, set.Resolution, setKey, set.SHA256, set.Size, files); err != nil {
			t.Fatal(err)
		}
	}
	return shaderID, base, sets
}

func hexSHA(b []byte) string { h := sha256.Sum256(b); return hex.EncodeToString(h[:]) }

// fetch downloads a presigned URL.
func fetch(t *testing.T, url string) []byte {
	t.Helper()
	res, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	if res.StatusCode != 200 {
		t.Fatalf("download: %d %s", res.StatusCode, b)
	}
	return b
}

// A v2 import through the real router, PostgreSQL and S3: the web asks for 2k; the redemption
// presigns the base and only the 2k set and signs a v2 delivery naming exactly those two objects,
// which the downloaded bytes match (the set read whole against its signed entry); a fresh
// delivery names the same set; Blender's own switch to 4k gets the base and the 4k set.
func TestImportFlowV2(t *testing.T) {
	s := newStack(t)
	shader, base, sets := s.publishV2("v2-"+uuid.NewString()[:8], "1k", "2k", "4k")
	device, _, jwt := s.pairSignedIn(proUser)

	r := s.do("POST", "/v1/imports", userJWT(t, proUser), map[string]string{"shader_id": shader, "device_id": device, "resolution": "2k"})
	if r.code != 201 || r.json(t)["resolution"] != "2k" {
		t.Fatalf("create: %d %s", r.code, r.body)
	}
	id := r.json(t)["import_id"].(string)
	tok := s.deviceMessage(device, id)["token"].(string)

	type redemption struct {
		DownloadURL string           `json:"download_url"`
		TexturesURL *string          `json:"textures_url"`
		ExpiresAt   time.Time        `json:"expires_at"`
		Delivery    shaderpkg.Signed `json:"delivery"`
		ImportID    string           `json:"import_id"`
	}
	check := func(r resp, res string) shaderpkg.Delivery {
		t.Helper()
		if r.code != 200 {
			t.Fatalf("redeem: %d %s", r.code, r.body)
		}
		var red redemption
		if err := json.Unmarshal(r.body, &red); err != nil {
			t.Fatal(err)
		}
		d, err := shaderpkg.VerifyDelivery(shaderpkg.LocalDevKeyring().PublicKeys(), red.Delivery, time.Now())
		if err != nil {
			t.Fatal(err)
		}
		if d.V != shaderpkg.DeliveryVersionV2 || d.Resolution != res || d.Textures == nil || d.Textures.Resolution != res ||
			d.Base.SHA256 != hexSHA(base) || d.Base.Size != int64(len(base)) || len(d.Base.Files) != 2 {
			t.Fatalf("delivery %+v", d)
		}
		if red.TexturesURL == nil || !strings.Contains(*red.TexturesURL, "/textures-"+res+".zip") {
			t.Fatalf("textures_url %v, want the %s set's", red.TexturesURL, res)
		}
		if got := fetch(t, red.DownloadURL); !bytes.Equal(got, base) {
			t.Fatal("download_url is not the base")
		}
		got := fetch(t, *red.TexturesURL)
		if !bytes.Equal(got, sets[res]) || hexSHA(got) != d.Textures.SHA256 || int64(len(got)) != d.Textures.Size {
			t.Fatalf("textures_url is not the signed %s set", res)
		}
		if err := shaderpkg.ReadTextureSet(bytes.NewReader(got), int64(len(got)), *d.Textures); err != nil {
			t.Fatalf("the %s set against its signed entry: %v", res, err)
		}
		return d
	}
	check(s.do("POST", "/v1/imports/"+id+"/redeem", jwt, map[string]string{"token": tok}), "2k")
	check(s.do("POST", "/v1/imports/"+id+"/delivery", jwt, nil), "2k")

	// Blender switches to 4k: the same signed path, answered with the import_request.
	r = s.do("POST", "/v1/device/imports", jwt, map[string]string{"shader": "", "purpose": "switch"})
	if r.errCode(t) != "MISSING_REQUIRED_FIELD" {
		t.Fatalf("no shader: %s", r.body)
	}
	var slug string
	_ = s.db.QueryRow(context.Background(), `select slug from public.shaders where id = $1`, shader).Scan(&slug)
	r = s.do("POST", "/v1/device/imports", jwt, map[string]string{"shader": slug, "version": "1.1.0", "resolution": "4k", "purpose": "switch"})
	if r.code != 201 {
		t.Fatalf("switch: %d %s", r.code, r.body)
	}
	ask := r.json(t)
	check(s.do("POST", "/v1/imports/"+ask["import_id"].(string)+"/redeem", jwt, map[string]any{"token": ask["token"]}), "4k")
	s.noInternals()
}
