// Command benchtool drives scripts/bench/bridge.sh: it generates a large shader package,
// publishes it (versitygw through a presigned URL, or a loopback file server), and runs the
// bridge's data plane once (download + sha256 verify + extract) so the script can time it
// against curl | sha256sum + unzip.
//
//	benchtool gen   -out pkg.zip -mb 50        prints {"sha256":..., "size":...}
//	benchtool s3put -file pkg.zip -key K       prints a presigned GET URL (S3_* env)
//	benchtool serve -dir D                     prints a loopback base URL, serves until killed
//	benchtool fetch -url U -sha S -size N -work D   one download + verify + extract
package main

import (
	"archive/zip"
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"math/rand/v2"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"testing/fstest"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/octanebridge/octane-bridge/bridge/internal/download"
	"github.com/octanebridge/octane-bridge/bridge/internal/extract"
	"github.com/octanebridge/octane-bridge/internal/s3client"
	"github.com/octanebridge/octane-bridge/internal/shaderpkg"
)

func main() {
	if len(os.Args) < 2 {
		fmt.Fprintln(os.Stderr, "usage: benchtool gen|s3put|serve|fetch ...")
		os.Exit(2)
	}
	var err error
	switch os.Args[1] {
	case "gen":
		err = gen(os.Args[2:])
	case "s3put":
		err = s3put(os.Args[2:])
	case "serve":
		err = serve(os.Args[2:])
	case "fetch":
		err = fetch(os.Args[2:])
	default:
		err = fmt.Errorf("unknown command %q", os.Args[1])
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "benchtool:", err)
		os.Exit(1)
	}
}

// texture returns n bytes that compress poorly but not perfectly, like real image data:
// noise with short runs.
func texture(n int, seed uint64) []byte {
	r := rand.New(rand.NewPCG(seed, seed*31+1))
	b := make([]byte, n)
	for i := 0; i < n; {
		v := byte(r.Uint32())
		run := 1 + int(r.Uint32()%3)
		for j := 0; j < run && i < n; j++ {
			b[i] = v
			i++
		}
	}
	return b
}

func gen(args []string) error {
	fs := flag.NewFlagSet("gen", flag.ExitOnError)
	out := fs.String("out", "", "zip to write")
	mb := fs.Int("mb", 50, "approximate package size in MB")
	fs.Parse(args)
	if *out == "" {
		return fmt.Errorf("-out is required")
	}
	src := map[string][]byte{
		"material.blend": bytes.Repeat(texture(64<<10, 1), 32), // 2 MB, deflates well like a .blend
		"preview.webp":   texture(200<<10, 2),
	}
	left := (*mb << 20) - (2 << 20) - (200 << 10)
	names := []string{"albedo", "normal", "roughness", "metallic", "height", "ao", "emission", "opacity"}
	for i := 0; left > 0; i++ {
		res, size := "4k", 6<<20
		if i%3 == 2 {
			res, size = "2k", 2<<20
		}
		size = min(size, left)
		src[fmt.Sprintf("textures/%s/%s-%d.png", res, names[i%len(names)], i)] = texture(size, uint64(10+i))
		left -= size
	}
	fsys := fstest.MapFS{}
	for k, v := range src {
		fsys[k] = &fstest.MapFile{Data: v, Mode: 0o644}
	}
	var buf bytes.Buffer
	_, err := shaderpkg.WritePackage(&buf, shaderpkg.Manifest{ShaderID: "bench-package", Version: "1.0.0", Name: "Bench Package",
		MaterialName: "OB_Bench", Category: "bench", MinBlender: "3.4", MinOctane: "2024.1"}, fsys)
	if err != nil {
		return err
	}
	if err := os.MkdirAll(filepath.Dir(*out), 0o755); err != nil {
		return err
	}
	if err := os.WriteFile(*out, buf.Bytes(), 0o644); err != nil {
		return err
	}
	sum := sha256.Sum256(buf.Bytes())
	return json.NewEncoder(os.Stdout).Encode(map[string]any{"sha256": hex.EncodeToString(sum[:]), "size": buf.Len()})
}

func s3put(args []string) error {
	fs := flag.NewFlagSet("s3put", flag.ExitOnError)
	file := fs.String("file", "", "object to upload")
	key := fs.String("key", "bench/bridge-bench.zip", "object key")
	fs.Parse(args)
	if os.Getenv("S3_ENDPOINT") == "" {
		return fmt.Errorf("S3_ENDPOINT is not set")
	}
	ctx := context.Background()
	mc, err := s3client.New(ctx, s3client.FromEnv(os.Getenv))
	if err != nil {
		return err
	}
	bucket := os.Getenv("S3_BUCKET")
	if _, err := s3client.PutFile(ctx, mc, bucket, *key, *file, "application/zip"); err != nil {
		return err
	}
	pu, err := s3.NewPresignClient(mc).PresignGetObject(ctx, &s3.GetObjectInput{Bucket: aws.String(bucket), Key: aws.String(*key)}, s3.WithPresignExpires(time.Hour))
	if err != nil {
		return err
	}
	fmt.Println(pu.URL)
	return nil
}

func serve(args []string) error {
	fs := flag.NewFlagSet("serve", flag.ExitOnError)
	dir := fs.String("dir", ".", "directory to serve")
	life := fs.Duration("for", 30*time.Minute, "exit after this long")
	fs.Parse(args)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return err
	}
	fmt.Printf("http://%s/\n", ln.Addr())
	os.Stdout.Sync()
	time.AfterFunc(*life, func() { os.Exit(0) }) // never outlive the benchmark by much
	return http.Serve(ln, http.FileServer(http.Dir(*dir)))
}

func fetch(args []string) error {
	fs := flag.NewFlagSet("fetch", flag.ExitOnError)
	u := fs.String("url", "", "package URL")
	sha := fs.String("sha", "", "expected sha256")
	size := fs.Int64("size", 0, "expected size")
	work := fs.String("work", "", "empty work dir")
	times := fs.Bool("times", false, "print phase times to stderr")
	fs.Parse(args)
	t0 := time.Now()
	ctx := context.Background()
	part := filepath.Join(*work, "pkg.zip.part")
	hc := &http.Client{Transport: &http.Transport{Proxy: nil, DisableCompression: true}}
	if err := (&download.Client{HTTP: hc}).Fetch(ctx, *u, part, *size, *sha, nil); err != nil {
		return err
	}
	files, err := manifestFiles(part)
	if err != nil {
		return err
	}
	out := filepath.Join(*work, "pkg")
	if err := os.Mkdir(out, 0o700); err != nil {
		return err
	}
	t1 := time.Now()
	err = extract.Extract(ctx, part, out, extract.DefaultLimits(), files)
	if *times {
		fmt.Fprintf(os.Stderr, "download+verify %v, extract %v\n", t1.Sub(t0).Round(time.Millisecond), time.Since(t1).Round(time.Millisecond))
	}
	return err
}

// manifestFiles reads the file list the importer would get from the signed delivery.
func manifestFiles(zipPath string) ([]shaderpkg.File, error) {
	zr, err := zip.OpenReader(zipPath)
	if err != nil {
		return nil, err
	}
	defer zr.Close()
	f, err := zr.Open(shaderpkg.ManifestPath)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	b, err := io.ReadAll(io.LimitReader(f, shaderpkg.MaxManifestBytes))
	if err != nil {
		return nil, err
	}
	m, err := shaderpkg.ParseManifest(b)
	return m.Files, err
}
