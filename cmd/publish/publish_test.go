package main

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"testing/fstest"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/jackc/pgx/v5"

	"github.com/octanebridge/octane-bridge/internal/codes"
	"github.com/octanebridge/octane-bridge/internal/publishing"
	"github.com/octanebridge/octane-bridge/internal/shaderpkg"
	"github.com/octanebridge/octane-bridge/internal/shaderpkg/preview"
	"github.com/octanebridge/octane-bridge/internal/testenv"
)

// Real WebP previews (the publisher decodes them to derive the grid's renditions).
var (
	preview1024 = mustReadFixture("preview-1024.webp")
	preview384  = mustReadFixture("preview-384.webp")
)

func mustReadFixture(name string) []byte {
	b, err := os.ReadFile(filepath.Join("..", "..", "internal", "shaderpkg", "preview", "testdata", name))
	if err != nil {
		panic(err)
	}
	return b
}

func writeZip(t *testing.T, dir, slug, version string) string {
	t.Helper()
	src := fstest.MapFS{
		"material.blend":         {Data: []byte("BLENDER-v304 " + slug + version)},
		"preview.webp":           {Data: preview1024},
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

// publishStack is a fresh database and the test bucket, and pub runs the CLI against them.
func publishStack(t *testing.T) (dbURL string, s3c testenv.S3Config, pub func(args ...string) (string, error)) {
	t.Helper()
	dbURL, s3c = testenv.DB(t), testenv.S3(t)
	e := env{
		"DATABASE_URL": dbURL, "MANIFEST_SIGNING_KEYS": shaderpkg.LocalDevSigningKeys(),
		"S3_ENDPOINT": s3c.Endpoint, "S3_REGION": s3c.Region, "S3_ACCESS_KEY": s3c.AccessKey,
		"S3_SECRET_KEY": s3c.SecretKey, "S3_BUCKET": s3c.Bucket,
	}
	return dbURL, s3c, func(args ...string) (string, error) {
		var out bytes.Buffer
		err := run(context.Background(), args, e.get, &out, &out)
		return out.String(), err
	}
}

func TestPublishIntegration(t *testing.T) {
	dbURL, s3c, pub := publishStack(t)
	ctx := context.Background()
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
	if latest != "1.0.0" || !isFree || !published || sha != publishing.SHA256Hex(data) || size != int64(len(data)) || manifestName != "Test "+slug {
		t.Fatalf("row: latest=%s free=%v published=%v sha=%s size=%d", latest, isFree, published, sha, size)
	}
	// The stored signature verifies against the local public key over the packaged manifest.json.
	p, _ := shaderpkg.ReadPackageBytes(data)
	kr := shaderpkg.LocalDevKeyring()
	if _, err := shaderpkg.VerifyManifest(kr.PublicKeys(), p.ManifestJSON, sig); err != nil {
		t.Fatalf("manifest_sig: %v", err)
	}
	// The objects are in the bucket, byte for byte.
	store, err := publishing.NewS3Store(publishing.S3Config(s3c))
	if err != nil {
		t.Fatal(err)
	}
	mc := store.Client()
	// The grid's renditions sit beside the preview under the contract's names, byte for byte what
	// preview.Renditions derives (deterministic), each with its content type.
	rends, err := preview.Renditions(preview1024)
	if err != nil {
		t.Fatal(err)
	}
	objects := map[string][]byte{pkgKey: data, previewKey: preview1024}
	for _, r := range rends {
		objects[preview.RenditionKey(previewKey, r.Width)] = r.Data
	}
	if len(objects) != 4 || previewKey != "previews/"+slug+"/1.0.0.webp" {
		t.Fatalf("objects %d, preview key %s", len(objects), previewKey)
	}
	getObject := func(key string) ([]byte, string, error) {
		obj, err := mc.GetObject(ctx, &s3.GetObjectInput{Bucket: aws.String(s3c.Bucket), Key: aws.String(key)})
		if err != nil {
			return nil, "", err
		}
		defer obj.Body.Close()
		got, err := io.ReadAll(obj.Body)
		return got, aws.ToString(obj.ContentType), err
	}
	for key, want := range objects {
		got, ctype, err := getObject(key)
		if err != nil || !bytes.Equal(got, want) {
			t.Fatalf("object %s: %v (%d bytes, want %d)", key, err, len(got), len(want))
		}
		if strings.HasSuffix(key, ".jpg") && ctype != "image/jpeg" {
			t.Fatalf("object %s: content type %q", key, ctype)
		}
	}

	// Previews and their renditions are public (the site shows them), packages are not (presigned URLs only).
	for key, want := range map[string]int{previewKey: 200, preview.RenditionKey(previewKey, 384): 200, preview.RenditionKey(previewKey, 768): 200, pkgKey: 403} {
		resp, err := http.Get(s3c.Endpoint + "/" + s3c.Bucket + "/" + key)
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
	// Both problems of one package are reported; the summary counts the package once.
	if _, err := pub("--no-vet", writeZipVariantIn(t, slug, "1.0.0", "no-such-category")); err == nil ||
		!strings.Contains(err.Error(), "the catalog refuses 1 package(s)") || !strings.Contains(err.Error(), `category "no-such-category"`) ||
		!strings.Contains(err.Error(), "different content") {
		t.Fatalf("re-publish in an unknown category: %v", err)
	}
	// --skip-existing makes repeated runs of the same catalog idempotent.
	if out, err := pub("--no-vet", "--skip-existing", v1); err != nil || !strings.Contains(out, "published 0, skipped 1 already published\n") {
		t.Fatalf("skip existing: %v\n%s", err, out)
	}
	// A version published before renditions existed gets them from a --skip-existing run (backfill),
	// and only them: the package, its row and its preview stay as they are.
	for _, r := range rends {
		if _, err := mc.DeleteObject(ctx, &s3.DeleteObjectInput{Bucket: aws.String(s3c.Bucket), Key: aws.String(preview.RenditionKey(previewKey, r.Width))}); err != nil {
			t.Fatal(err)
		}
	}
	if out, err := pub("--no-vet", "--skip-existing", v1); err != nil || !strings.Contains(out, "published 0, skipped 1 already published (added the missing preview renditions of 1)") {
		t.Fatalf("backfill: %v\n%s", err, out)
	}
	for key, want := range objects {
		if got, _, err := getObject(key); err != nil || !bytes.Equal(got, want) {
			t.Fatalf("after backfill, object %s: %v (%d bytes, want %d)", key, err, len(got), len(want))
		}
	}
	if count() != 1 {
		t.Fatalf("backfill wrote rows: %d versions", count())
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
	return writeZipVariantIn(t, slug, version, "metal")
}

func writeZipVariantIn(t *testing.T, slug, version, category string) string {
	t.Helper()
	dir := t.TempDir()
	src := fstest.MapFS{
		"material.blend": {Data: []byte("BLENDER-v304 a different blend")},
		"preview.webp":   {Data: preview384},
	}
	m := shaderpkg.Manifest{ShaderID: slug, Version: version, Name: "Other", MaterialName: "OB_Test", Category: category,
		MinBlender: "3.4", MinOctane: "2024.1"}
	var buf bytes.Buffer
	if _, err := shaderpkg.WritePackage(&buf, m, src); err != nil {
		t.Fatal(err)
	}
	p := filepath.Join(dir, "variant.zip")
	os.WriteFile(p, buf.Bytes(), 0o644)
	return p
}

func writeZipWithPreview(t *testing.T, dir, slug string, webp []byte) string {
	t.Helper()
	m := shaderpkg.Manifest{ShaderID: slug, Version: "1.0.0", Name: "Test " + slug, MaterialName: "OB_Test", Category: "metal",
		MinBlender: "3.4", MinOctane: "2024.1"}
	var buf bytes.Buffer
	if _, err := shaderpkg.WritePackage(&buf, m, fstest.MapFS{"material.blend": {Data: []byte("BLENDER")}, "preview.webp": {Data: webp}}); err != nil {
		t.Fatal(err)
	}
	p := filepath.Join(dir, slug+".zip")
	if err := os.WriteFile(p, buf.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
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
	i := bytes.Index(data, preview1024)
	data[i+5] ^= 0xff
	os.WriteFile(bad, data, 0o644)
	var out bytes.Buffer
	err := run(context.Background(), []string{"--dry-run", "--no-vet", good, bad}, env{"MANIFEST_SIGNING_KEYS": shaderpkg.LocalDevSigningKeys()}.get, &out, &out)
	if err == nil || !strings.Contains(err.Error(), "bad.zip") || !strings.Contains(err.Error(), "preview.webp") {
		t.Fatalf("got %v", err)
	}
	if strings.Contains(out.String(), "would publish") {
		t.Fatal("planned a publish despite an invalid package")
	}
	// A well-formed package whose preview is not a WebP image: refused, naming preview.webp.
	notWebP := writeZipWithPreview(t, dir, "not-webp", []byte("RIFF0000WEBPVP8 not really"))
	out.Reset()
	err = run(context.Background(), []string{"--dry-run", "--no-vet", good, notWebP}, env{"MANIFEST_SIGNING_KEYS": shaderpkg.LocalDevSigningKeys()}.get, &out, &out)
	if err == nil || !strings.Contains(err.Error(), "not-webp") || !strings.Contains(err.Error(), "preview.webp is not a readable WebP image") {
		t.Fatalf("got %v", err)
	}
	if strings.Contains(out.String(), "would publish") {
		t.Fatal("planned a publish despite a preview that is not a WebP")
	}
	// A header that reads but a body that does not decode is refused before anything is planned too.
	truncated := preview384[:len(preview384)*2/3]
	if _, err := preview.Config(truncated); err != nil {
		t.Fatalf("the truncated preview's header should still read: %v", err)
	}
	bodyBad := writeZipWithPreview(t, dir, "bad-body", truncated)
	out.Reset()
	err = run(context.Background(), []string{"--dry-run", "--no-vet", bodyBad}, env{"MANIFEST_SIGNING_KEYS": shaderpkg.LocalDevSigningKeys()}.get, &out, &out)
	if err == nil || !strings.Contains(err.Error(), "bad-body") || !strings.Contains(err.Error(), "preview.webp") {
		t.Fatalf("got %v\n%s", err, out.String())
	}
	if strings.Contains(out.String(), "would publish") {
		t.Fatal("planned a publish despite a preview that does not decode")
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
	os.WriteFile(filepath.Join(src, "preview.webp"), preview384, 0o644)
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
	if !bytes.Equal(mustRead(t, filepath.Join(out, "previews", "oak.webp")), preview384) {
		t.Fatal("preview not written")
	}
	items, err := collect([]string{out}, false)
	if err != nil || len(items) != 1 || !items[0].IsFree {
		t.Fatalf("collect from catalog folder: %v %+v", err, items)
	}
	// A preview publish could not resize is refused when packing, before any file is written.
	os.WriteFile(filepath.Join(src, "preview.webp"), []byte("RIFF0000WEBPVP8 "), 0o644)
	out2 := t.TempDir()
	if err := packDirs([]string{src}, out2, io.Discard); err == nil || !strings.Contains(err.Error(), "preview.webp") {
		t.Fatalf("pack with a bad preview: %v", err)
	}
	if zips, _ := filepath.Glob(filepath.Join(out2, "packages", "*.zip")); len(zips) != 0 {
		t.Fatalf("pack wrote %v despite a bad preview", zips)
	}
}

// A refusal printed by the CLI ends with the sentence of each code its problems carry, once per
// code; codes without a sentence add nothing.
func TestExplainAddsEachCodesSentenceOnce(t *testing.T) {
	r := &publishing.Refused{Code: codes.PackageUnsafe, Summary: "vetting refused 3 problem(s)", Problems: []publishing.Problem{
		{Code: codes.MaterialName, Text: "a@1.0.0: material.blend: one [MATERIAL_NAME]"},
		{Code: codes.MaterialName, Text: "b@1.0.0: material.blend: two [MATERIAL_NAME]"},
		{Code: codes.Conflict, Text: "c@1.0.0 is already published"},
	}}
	got := explain(r).Error()
	want := r.Error() + "\nto fix:\n  MATERIAL_NAME: " + codes.MaterialName.Info().Web
	if codes.MaterialName.Info().Web == "" || codes.Conflict.Info().Web != "" || got != want {
		t.Fatalf("got\n%s\nwant\n%s", got, want)
	}
	var back *publishing.Refused
	if !errors.As(explain(r), &back) || back != r {
		t.Fatal("the explained error no longer unwraps to the refusal")
	}
	plain := &publishing.Refused{Summary: "s", Problems: []publishing.Problem{{Code: codes.Conflict, Text: "x"}}}
	if explain(plain) != error(plain) {
		t.Fatal("a refusal without sentences was changed")
	}
}
