package cache_test

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"testing"
	"testing/fstest"
	"time"

	"github.com/octanebridge/octane-bridge/bridge/internal/cache"
	"github.com/octanebridge/octane-bridge/bridge/internal/download"
	"github.com/octanebridge/octane-bridge/bridge/internal/extract"
	"github.com/octanebridge/octane-bridge/bridge/internal/fault"
	"github.com/octanebridge/octane-bridge/internal/shaderpkg"
)

// TestDataPlane runs the importer's order of operations with the real parts: download into
// the cache's part path, extract into an Install temp dir, and find the entry afterwards; a
// package whose bytes do not match the signed list never becomes an entry.
func TestDataPlane(t *testing.T) {
	src := fstest.MapFS{
		"material.blend":         {Data: bytes.Repeat([]byte("blend "), 5000)},
		"preview.webp":           {Data: []byte("RIFF....WEBP")},
		"textures/1k/albedo.png": {Data: bytes.Repeat([]byte{1, 2, 3, 4, 5}, 40_000)},
	}
	var zb bytes.Buffer
	m, err := shaderpkg.WritePackage(&zb, shaderpkg.Manifest{ShaderID: "dp", Version: "1.0.0", Name: "DP", MaterialName: "OB_DP",
		Category: "metal", MinBlender: "3.4", MinOctane: "2024.1"}, src)
	if err != nil {
		t.Fatal(err)
	}
	sum := sha256.Sum256(zb.Bytes())
	sha := hex.EncodeToString(sum[:])
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("ETag", `"v1"`)
		http.ServeContent(w, r, "p.zip", time.Time{}, bytes.NewReader(zb.Bytes()))
	}))
	defer srv.Close()

	c, err := cache.Open(t.TempDir(), 100<<20)
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	part := c.PartPath(sha)
	if err := (&download.Client{}).Fetch(ctx, srv.URL+"/p.zip?X-Amz-Signature=s", part, int64(zb.Len()), sha, nil); err != nil {
		t.Fatal(err)
	}

	// A signed list that disagrees with the zip: the fill fails and nothing is cached.
	wrong := append([]shaderpkg.File(nil), m.Files...)
	wrong[0].SHA256 = hex.EncodeToString(make([]byte, 32))
	_, err = c.Install(sha, func(tmp string) error { return extract.Extract(ctx, part, tmp, extract.DefaultLimits(), wrong) })
	if o := fault.Outermost(err); fault.CodeOf(err) != extract.CodeMismatch || o == nil || o.Code != cache.CodeFill {
		t.Fatalf("want %s inside %s, got %v", extract.CodeMismatch, cache.CodeFill, err)
	}
	if _, ok := c.Lookup(sha); ok {
		t.Fatal("a refused package is in the cache")
	}

	dir, err := c.Install(sha, func(tmp string) error { return extract.Extract(ctx, part, tmp, extract.DefaultLimits(), m.Files) })
	if err != nil {
		t.Fatal(err)
	}
	os.Remove(part)
	got, ok := c.Lookup(sha)
	if !ok || got != dir {
		t.Fatalf("lookup %q %v", got, ok)
	}
	b, err := os.ReadFile(filepath.Join(dir, "textures", "1k", "albedo.png"))
	if err != nil || !bytes.Equal(b, src["textures/1k/albedo.png"].Data) {
		t.Fatalf("texture: %v", err)
	}
	if s := c.Stats(); s.Entries != 1 || s.Bytes <= 200_000 {
		t.Fatalf("stats %+v", s)
	}
}
