package main

import (
	"archive/zip"
	"bytes"
	"context"
	"encoding/json"
	"io"
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
)

// packV2 packs a v2 source folder for slug into a fresh catalog folder and returns it.
func packV2(t *testing.T, slug string) string {
	t.Helper()
	meta := strings.NewReplacer(`"oak"`, `"`+slug+`"`, `"wood"`, `"metal"`).Replace(oakV2Meta)
	out := t.TempDir()
	if err := packDirs([]string{writeSource(t, oakV2Files(), meta)}, out, io.Discard); err != nil {
		t.Fatal(err)
	}
	return out
}

// hostileV2 writes a v2 package whose manifest vouches for a 1k set zip made of entries (so the
// zip's own hash matches and the entry checks must refuse it) while listing the honest files.
func hostileV2(t *testing.T, slug string, entries map[string]string) string {
	t.Helper()
	honest := fstest.MapFS{"albedo.jpg": {Data: []byte("jpg 1k")}}
	var buf bytes.Buffer
	set, err := shaderpkg.WriteTextureSet(&buf, "1k", honest)
	if err != nil {
		t.Fatal(err)
	}
	buf.Reset()
	zw := zip.NewWriter(&buf)
	for _, name := range []string{"albedo.jpg", "evil.png"} {
		if data, ok := entries[name]; ok {
			w, _ := zw.CreateHeader(&zip.FileHeader{Name: name, Method: zip.Store})
			w.Write([]byte(data))
		}
	}
	zw.Close()
	set.SHA256, set.Size = publishing.SHA256Hex(buf.Bytes()), int64(buf.Len())
	m := shaderpkg.Manifest{SchemaVersion: shaderpkg.SchemaVersionV2, ShaderID: slug, Version: "1.0.0", Name: "Hostile",
		MaterialName: "OB_Test", Category: "metal", MinBlender: "3.4", MinOctane: "2024.1", TextureSets: []shaderpkg.TextureSet{set}}
	var base bytes.Buffer
	if _, err := shaderpkg.WritePackage(&base, m, fstest.MapFS{"material.blend": {Data: []byte("BLENDER")}, "preview.webp": {Data: preview384}}); err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	p := filepath.Join(dir, slug+".zip")
	os.WriteFile(p, base.Bytes(), 0o644)
	os.MkdirAll(filepath.Join(dir, slug), 0o755)
	os.WriteFile(filepath.Join(dir, slug, "textures-1k.zip"), buf.Bytes(), 0o644)
	return p
}

// A v2 version is published as its base, one object per texture set (each checked by the
// bucket against its sha256) and a texture_sets row per set in the version's transaction;
// a missing or altered set refuses the whole version, with its code, before anything is written.
func TestPublishV2Integration(t *testing.T) {
	dbURL, s3c, pub := publishStack(t)
	ctx := context.Background()
	conn, err := pgx.Connect(ctx, dbURL)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(ctx)
	store, err := publishing.NewS3Store(publishing.S3Config(s3c))
	if err != nil {
		t.Fatal(err)
	}
	get := func(key string) []byte {
		obj, err := store.Client().GetObject(ctx, &s3.GetObjectInput{Bucket: aws.String(s3c.Bucket), Key: aws.String(key)})
		if err != nil {
			return nil
		}
		defer obj.Body.Close()
		b, _ := io.ReadAll(obj.Body)
		return b
	}
	versions := func(slug string) (n int) {
		conn.QueryRow(ctx, `select count(*) from public.shader_versions v join public.shaders s on s.id = v.shader_id where s.slug = $1`, slug).Scan(&n)
		return n
	}

	slug := randomSlug()
	out := packV2(t, slug)
	// The dry run names each set and where it would go.
	if o, err := pub("--dry-run", "--no-vet", out); err != nil || !strings.Contains(o, "with texture set 16k") || !strings.Contains(o, "-> packages/"+slug+"/1.1.0/textures-16k.zip") {
		t.Fatalf("dry run: %v\n%s", err, o)
	}
	if o, err := pub("--no-vet", out); err != nil {
		t.Fatalf("publish: %v\n%s", err, o)
	}
	base := mustRead(t, filepath.Join(out, "packages", slug, "1.1.0.zip"))
	p, err := shaderpkg.ReadPackageBytes(base)
	if err != nil {
		t.Fatal(err)
	}
	var (
		pkgKey, sha string
		resolutions []string
		schema      int
	)
	if err := conn.QueryRow(ctx, `select v.package_key, v.sha256, v.texture_resolutions, (v.manifest->>'schema_version')::int
		from public.shader_versions v join public.shaders s on s.id = v.shader_id where s.slug = $1`, slug).
		Scan(&pkgKey, &sha, &resolutions, &schema); err != nil {
		t.Fatal(err)
	}
	if pkgKey != "packages/"+slug+"/1.1.0.zip" || sha != p.SHA256 || strings.Join(resolutions, " ") != "1k 2k 16k" || schema != 2 {
		t.Fatalf("version row %s %s %v %d", pkgKey, sha, resolutions, schema)
	}
	if !bytes.Equal(get(pkgKey), base) {
		t.Fatal("base object differs")
	}
	rows, err := conn.Query(ctx, `select t.resolution, t.object_key, t.sha256, t.size, t.files from public.texture_sets t
		join public.shader_versions v on v.id = t.version_id join public.shaders s on s.id = v.shader_id
		where s.slug = $1 order by t.size`, slug)
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for rows.Next() {
		var (
			res, key, setSHA string
			size             int64
			files            []byte
		)
		if err := rows.Scan(&res, &key, &setSHA, &size, &files); err != nil {
			t.Fatal(err)
		}
		set, ok := p.Manifest.Set(res)
		var listed []shaderpkg.File
		json.Unmarshal(files, &listed)
		if !ok || key != shaderpkg.TextureSetKey(slug, "1.1.0", res) || setSHA != set.SHA256 || size != set.Size || len(listed) != 2 || listed[0] != set.Files[0] {
			t.Fatalf("texture_sets row %s %s %s %d %s", res, key, setSHA, size, files)
		}
		if obj := get(key); publishing.SHA256Hex(obj) != set.SHA256 {
			t.Fatalf("object %s is not the %s set", key, res)
		}
		n++
	}
	if rows.Err() != nil || n != 3 {
		t.Fatalf("%d texture_sets rows, %v", n, rows.Err())
	}
	// --skip-existing: the same v2 version again is skipped.
	if o, err := pub("--no-vet", "--skip-existing", out); err != nil || !strings.Contains(o, "published 0, skipped 1") {
		t.Fatalf("skip existing: %v\n%s", err, o)
	}

	// Refusals: each names its set and code, and nothing of the version is written.
	setPath := func(dir, slug, res string) string {
		return filepath.Join(dir, filepath.FromSlash(shaderpkg.TextureSetKey(slug, "1.1.0", res)))
	}
	missingSlug, swappedSlug := randomSlug(), randomSlug()
	missing, swapped := packV2(t, missingSlug), packV2(t, swappedSlug)
	os.Remove(setPath(missing, missingSlug, "2k"))
	os.WriteFile(setPath(swapped, swappedSlug, "2k"), mustRead(t, setPath(swapped, swappedSlug, "1k")), 0o644)
	tampered, extra, empty := randomSlug(), randomSlug(), randomSlug()
	cases := []struct {
		name, slug, path string
		code             codes.Code
		mention          string
	}{
		{"missing set object", missingSlug, missing, codes.PackageMissingFile, "2k texture set"},
		{"set sha mismatch", swappedSlug, swapped, codes.PackageHashMismatch, "2k texture set"},
		{"tampered file", tampered, hostileV2(t, tampered, map[string]string{"albedo.jpg": "jpg 9k"}), codes.PackageHashMismatch, "albedo.jpg"},
		{"extra entry", extra, hostileV2(t, extra, map[string]string{"albedo.jpg": "jpg 1k", "evil.png": "x"}), codes.PackageExtraFile, "evil.png"},
		{"missing entry", empty, hostileV2(t, empty, map[string]string{}), codes.PackageMissingFile, "albedo.jpg"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			o, err := pub("--no-vet", c.path)
			if err == nil || !strings.Contains(err.Error(), string(c.code)) || !strings.Contains(err.Error(), c.mention) {
				t.Fatalf("want %s naming %q, got %v\n%s", c.code, c.mention, err, o)
			}
			t.Logf("refused: %v", err)
			if versions(c.slug) != 0 {
				t.Fatalf("%s has a version row", c.slug)
			}
			for _, key := range []string{shaderpkg.TextureSetKey(c.slug, "1.1.0", "1k"), shaderpkg.TextureSetKey(c.slug, "1.0.0", "1k"), "packages/" + c.slug + "/1.1.0.zip"} {
				if get(key) != nil {
					t.Fatalf("%s was uploaded despite the refusal", key)
				}
			}
		})
	}
}
