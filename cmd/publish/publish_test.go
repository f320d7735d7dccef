package main

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"io"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"testing/fstest"

	"github.com/jackc/pgx/v5"
	"github.com/minio/minio-go/v7"
	"github.com/minio/minio-go/v7/pkg/credentials"

	"github.com/octanebridge/octane-bridge/internal/shaderpkg"
	"github.com/octanebridge/octane-bridge/internal/testenv"
)

func writeZip(t *testing.T, dir, slug, version string) string {
	t.Helper()
	src := fstest.MapFS{
		"material.blend":         {Data: []byte("BLENDER-v304 " + slug + version)},
		"preview.webp":           {Data: []byte("RIFF0000WEBPVP8 " + slug)},
		"textures/1k/albedo.jpg": {Data: []byte("\xff\xd8\xff fake jpeg " + version)},
	}
	m := shaderpkg.Manifest{ShaderID: slug, Version: version, Name: "Test " + slug, Description: "A test shader.",
		MaterialName: "OB_Test", Category: "metal", Tags: []string{"metal", "test"}, MinBlender: "3.4", MinOctane: "2024.1"}
	var buf bytes.Buffer
	if _, err := shaderpkg.WritePackage(&buf, m, src); err != nil {
		t.Fatal(err)
	}
	p := filepath.Join(dir, slug+"-"+version+".zip")
	if err := os.WriteFile(p, buf.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

func randomSlug() string {
	b := make([]byte, 4)
	rand.Read(b)
	return "test-" + hex.EncodeToString(b)
}

type env map[string]string

func (e env) get(k string) string { return e[k] }

func TestPublishIntegration(t *testing.T) {
	dbURL := testenv.DB(t)
	s3 := testenv.S3(t)
	ctx := context.Background()
	e := env{
		"DATABASE_URL": dbURL, "MANIFEST_SIGNING_KEYS": shaderpkg.LocalDevSigningKeys(),
		"S3_ENDPOINT": s3.Endpoint, "S3_REGION": s3.Region, "S3_ACCESS_KEY": s3.AccessKey,
		"S3_SECRET_KEY": s3.SecretKey, "S3_BUCKET": s3.Bucket,
	}
	pub := func(args ...string) (string, error) {
		var out bytes.Buffer
		err := run(ctx, args, e.get, &out, &out)
		return out.String(), err
	}
	dir := t.TempDir()
	slug := randomSlug()
	v1 := writeZip(t, dir, slug, "1.0.0")

	// Dry run: validates and signs, writes nothing.
	out, err := pub("--dry-run", "--no-vet", v1)
	if err != nil || !strings.Contains(out, "would publish "+slug) {
		t.Fatalf("dry run: %v\n%s", err, out)
	}
	conn, err := pgx.Connect(ctx, dbURL)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(ctx)
	count := func() (n int) {
		conn.QueryRow(ctx, `select count(*) from public.shader_versions v join public.shaders s on s.id = v.shader_id where s.slug = $1`, slug).Scan(&n)
		return n
	}
	if count() != 0 {
		t.Fatal("dry run wrote rows")
	}

	// Publish 1.0.0.
	if out, err := pub("--no-vet", "--free", "--public-previews", v1); err != nil {
		t.Fatalf("publish: %v\n%s", err, out)
	}
	var (
		latest, previewKey, pkgKey, sha, sig string
		isFree, published                    bool
		size                                 int64
		manifestName                         string
	)
	err = conn.QueryRow(ctx, `
		select s.latest_version, s.preview_key, s.is_free, s.published, v.package_key, v.sha256, v.size, v.manifest_sig,
		       v.manifest->>'name'
		from public.shaders s join public.shader_versions v on v.shader_id = s.id where s.slug = $1`, slug).
		Scan(&latest, &previewKey, &isFree, &published, &pkgKey, &sha, &size, &sig, &manifestName)
	if err != nil {
		t.Fatal(err)
	}
	data, _ := os.ReadFile(v1)
	if latest != "1.0.0" || !isFree || !published || sha != sha256Hex(data) || size != int64(len(data)) || manifestName != "Test "+slug {
		t.Fatalf("row: latest=%s free=%v published=%v sha=%s size=%d", latest, isFree, published, sha, size)
	}
	// The stored signature verifies against the local public key over the packaged manifest.json.
	p, _ := shaderpkg.ReadPackageBytes(data)
	kr := shaderpkg.LocalDevKeyring()
	if _, err := shaderpkg.VerifyManifest(kr.PublicKeys(), p.ManifestJSON, sig); err != nil {
		t.Fatalf("manifest_sig: %v", err)
	}
	// The objects are in the bucket, byte for byte.
	u, _ := url.Parse(s3.Endpoint)
	mc, err := minio.New(u.Host, &minio.Options{Creds: credentials.NewStaticV4(s3.AccessKey, s3.SecretKey, ""), Region: s3.Region, BucketLookup: minio.BucketLookupPath})
	if err != nil {
		t.Fatal(err)
	}
	for key, want := range map[string][]byte{pkgKey: data, previewKey: []byte("RIFF0000WEBPVP8 " + slug)} {
		obj, err := mc.GetObject(ctx, s3.Bucket, key, minio.GetObjectOptions{})
		if err != nil {
			t.Fatal(err)
		}
		got, err := io.ReadAll(obj)
		if err != nil || !bytes.Equal(got, want) {
			t.Fatalf("object %s: %v (%d bytes, want %d)", key, err, len(got), len(want))
		}
	}

	// Previews are public (the site shows them), packages are not (presigned URLs only).
	for key, want := range map[string]int{previewKey: 200, pkgKey: 403} {
		resp, err := http.Get(s3.Endpoint + "/" + s3.Bucket + "/" + key)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != want {
			t.Fatalf("anonymous GET %s: %d, want %d", key, resp.StatusCode, want)
		}
	}

	// Re-publishing the same version is refused, with or without changes.
	if _, err := pub("--no-vet", v1); err == nil || !strings.Contains(err.Error(), "already published") {
		t.Fatalf("re-publish: %v", err)
	}
	if _, err := pub("--no-vet", writeZipVariant(t, slug, "1.0.0")); err == nil || !strings.Contains(err.Error(), "different content") {
		t.Fatalf("re-publish with other content: %v", err)
	}
	// --skip-existing makes repeated runs of the same catalog idempotent.
	if out, err := pub("--no-vet", "--skip-existing", v1); err != nil || !strings.Contains(out, "published 0, skipped 1") {
		t.Fatalf("skip existing: %v\n%s", err, out)
	}

	// A new version is a new row; the listing follows the newest version only.
	if out, err := pub("--no-vet", writeZip(t, dir, slug, "1.1.0")); err != nil {
		t.Fatalf("publish 1.1.0: %v\n%s", err, out)
	}
	if out, err := pub("--no-vet", writeZip(t, dir, slug, "0.9.0")); err != nil {
		t.Fatalf("publish 0.9.0: %v\n%s", err, out)
	}
	conn.QueryRow(ctx, `select latest_version from public.shaders where slug = $1`, slug).Scan(&latest)
	if count() != 3 || latest != "1.1.0" {
		t.Fatalf("versions %d latest %s", count(), latest)
	}
	// Version rows are immutable in the database too.
	if _, err := conn.Exec(ctx, `update public.shader_versions set size = 1 where package_key = $1`, pkgKey); err == nil {
		t.Fatal("shader_versions row was updated")
	}
}

func writeZipVariant(t *testing.T, slug, version string) string {
	t.Helper()
	dir := t.TempDir()
	src := fstest.MapFS{
		"material.blend": {Data: []byte("BLENDER-v304 a different blend")},
		"preview.webp":   {Data: []byte("RIFF0000WEBPVP8 other")},
	}
	m := shaderpkg.Manifest{ShaderID: slug, Version: version, Name: "Other", MaterialName: "OB_Test", Category: "metal",
		MinBlender: "3.4", MinOctane: "2024.1"}
	var buf bytes.Buffer
	if _, err := shaderpkg.WritePackage(&buf, m, src); err != nil {
		t.Fatal(err)
	}
	p := filepath.Join(dir, "variant.zip")
	os.WriteFile(p, buf.Bytes(), 0o644)
	return p
}

func mustRead(t *testing.T, p string) []byte {
	b, err := os.ReadFile(p)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// Invalid packages are refused before anything is uploaded or written, each with its reason.
func TestPublishRefusesInvalidPackages(t *testing.T) {
	dir := t.TempDir()
	good := writeZip(t, dir, "good-one", "1.0.0")
	bad := filepath.Join(dir, "bad.zip")
	data := mustRead(t, good)
	// Flip one byte inside the stored preview: the zip stays readable, the hash does not match.
	i := bytes.Index(data, []byte("RIFF0000WEBPVP8 good-one"))
	data[i+5] = 'X'
	os.WriteFile(bad, data, 0o644)
	var out bytes.Buffer
	err := run(context.Background(), []string{"--dry-run", "--no-vet", good, bad}, env{"MANIFEST_SIGNING_KEYS": shaderpkg.LocalDevSigningKeys()}.get, &out, &out)
	if err == nil || !strings.Contains(err.Error(), "bad.zip") || !strings.Contains(err.Error(), "preview.webp") {
		t.Fatalf("got %v", err)
	}
	if strings.Contains(out.String(), "would publish") {
		t.Fatal("planned a publish despite an invalid package")
	}
	// No signing key: refused, not silently signed with the local key.
	err = run(context.Background(), []string{"--dry-run", "--no-vet", good}, env{}.get, &out, &out)
	if err == nil || !strings.Contains(err.Error(), "MANIFEST_SIGNING_KEYS") {
		t.Fatalf("got %v", err)
	}
}

func TestPackDemoSourceFolder(t *testing.T) {
	src := t.TempDir()
	os.MkdirAll(filepath.Join(src, "textures", "1k"), 0o755)
	os.WriteFile(filepath.Join(src, "material.blend"), []byte("BLENDER"), 0o644)
	os.WriteFile(filepath.Join(src, "preview.webp"), []byte("RIFF"), 0o644)
	os.WriteFile(filepath.Join(src, "textures", "1k", "a_albedo.jpg"), []byte("jpg"), 0o644)
	os.WriteFile(filepath.Join(src, "meta.json"), []byte(`{"shader_id":"oak","version":"1.0.0","name":"Oak","description":"d",
		"material_name":"OB_Oak","category":"wood","tags":["wood"],"min_blender":"3.4","min_octane":"2024.1","is_free":true}`), 0o644)
	out := t.TempDir()
	if err := packDirs([]string{src}, out, io.Discard); err != nil {
		t.Fatal(err)
	}
	idx, err := readIndex(filepath.Join(out, "catalog.json"))
	if err != nil || len(idx.Shaders) != 1 || !idx.Shaders[0].IsFree || idx.Shaders[0].Package != "packages/oak-1.0.0.zip" {
		t.Fatalf("index %+v %v", idx, err)
	}
	p, err := shaderpkg.ReadPackageBytes(mustRead(t, filepath.Join(out, "packages", "oak-1.0.0.zip")))
	if err != nil {
		t.Fatal(err)
	}
	if _, ok := p.Manifest.File("meta.json"); ok || p.Manifest.TextureResolutions[0] != "1k" {
		t.Fatalf("manifest %+v", p.Manifest)
	}
	if string(mustRead(t, filepath.Join(out, "previews", "oak.webp"))) != "RIFF" {
		t.Fatal("preview not written")
	}
	items, err := collect([]string{out}, false)
	if err != nil || len(items) != 1 || !items[0].isFree {
		t.Fatalf("collect from catalog folder: %v %+v", err, items)
	}
}

// The S3 store sends the SHA-256 and the server refuses a body that does not match it.
func TestS3StoreChecksIntegrity(t *testing.T) {
	s3 := testenv.S3(t)
	st, err := newS3Store(s3Config(s3))
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	body := []byte("package bytes")
	key := "test/" + randomSlug() + ".bin"
	if err := st.Put(ctx, key, bytes.NewReader(body), int64(len(body)), "application/octet-stream", sha256Hex(body)); err != nil {
		t.Fatal(err)
	}
	err = st.Put(ctx, key+"x", bytes.NewReader(body), int64(len(body)), "application/octet-stream", sha256Hex([]byte("other")))
	if err == nil {
		t.Fatal("upload with a wrong SHA-256 was accepted")
	}
	t.Logf("refused as expected: %v", err)
}
