package main

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/octanebridge/octane-bridge/internal/testenv"
)

// release writes a release folder as scripts/release.sh lays it out.
func release(t *testing.T, files map[string]string) string {
	t.Helper()
	dir := t.TempDir()
	for name, body := range files {
		p := filepath.Join(dir, filepath.FromSlash(name))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

func sample() map[string]string {
	return map[string]string{
		"index.json":                              `{"version":"v1","blocklist":[],"data":[]}`,
		"files.json":                              `{"version":"9.9.9","latest":"9.9.9/octane_bridge-9.9.9.zip"}`,
		"9.9.9/octane_bridge-9.9.9.zip":           "generic zip bytes",
		"9.9.9/octane_bridge-9.9.9-linux-x64.zip": "linux zip bytes",
	}
}

// s3env is the environment release.sh passes: the local versitygw.
func s3env(c testenv.S3Config) func(string) string {
	m := map[string]string{"S3_ENDPOINT": c.Endpoint, "S3_REGION": c.Region, "S3_ACCESS_KEY": c.AccessKey, "S3_SECRET_KEY": c.SecretKey, "S3_BUCKET": c.Bucket}
	return func(k string) string { return m[k] }
}

// testPrefix is a fresh key prefix, emptied when the test ends.
func testPrefix(t *testing.T, c testenv.S3Config) string {
	b := make([]byte, 6)
	_, _ = rand.Read(b)
	prefix := "test/release-" + hex.EncodeToString(b) + "/addon"
	cl := c.Client(t)
	t.Cleanup(func() {
		ctx := context.Background()
		out, err := cl.ListObjectsV2(ctx, &s3.ListObjectsV2Input{Bucket: aws.String(c.Bucket), Prefix: aws.String(prefix + "/")})
		if err != nil {
			return
		}
		for _, o := range out.Contents {
			_, _ = cl.DeleteObject(ctx, &s3.DeleteObjectInput{Bucket: aws.String(c.Bucket), Key: o.Key})
		}
	})
	return prefix
}

func runCmd(t *testing.T, getenv func(string) string, args ...string) (string, error) {
	t.Helper()
	var out bytes.Buffer
	err := run(context.Background(), args, getenv, &out)
	return out.String(), err
}

func get(t *testing.T, c testenv.S3Config, key string) (*s3.GetObjectOutput, []byte) {
	t.Helper()
	out, err := c.Client(t).GetObject(context.Background(), &s3.GetObjectInput{Bucket: aws.String(c.Bucket), Key: aws.String(key)})
	if err != nil {
		t.Fatalf("get %s: %v", key, err)
	}
	defer out.Body.Close()
	body, err := io.ReadAll(out.Body)
	if err != nil {
		t.Fatal(err)
	}
	return out, body
}

func TestUploadPublishesTheVersionFolderBeforeTheListings(t *testing.T) {
	c := testenv.S3(t)
	prefix := testPrefix(t, c)
	files := sample()
	out, err := runCmd(t, s3env(c), "-prefix", prefix, release(t, files))
	if err != nil {
		t.Fatalf("%v\n%s", err, out)
	}
	var order []string
	for _, l := range strings.Split(out, "\n") {
		if k, ok := strings.CutPrefix(l, "uploaded "); ok {
			order = append(order, strings.Fields(k)[0])
		}
	}
	want := []string{prefix + "/9.9.9/octane_bridge-9.9.9-linux-x64.zip", prefix + "/9.9.9/octane_bridge-9.9.9.zip", prefix + "/files.json", prefix + "/index.json"}
	if strings.Join(order, " ") != strings.Join(want, " ") {
		t.Fatalf("upload order %v, want %v (zips first, index.json last)", order, want)
	}
	for name, body := range files {
		o, got := get(t, c, prefix+"/"+name)
		if string(got) != body {
			t.Errorf("%s: stored %q, want %q", name, got, body)
		}
		wantType, wantCache := "application/json", cacheListing
		if strings.HasSuffix(name, ".zip") {
			wantType, wantCache = "application/zip", cacheImmutable
			if d := aws.ToString(o.ContentDisposition); !strings.Contains(d, "attachment") || !strings.Contains(d, filepath.Base(name)) {
				t.Errorf("%s: Content-Disposition %q", name, d)
			}
		}
		if aws.ToString(o.ContentType) != wantType || aws.ToString(o.CacheControl) != wantCache {
			t.Errorf("%s: Content-Type %q Cache-Control %q, want %q %q", name, aws.ToString(o.ContentType), aws.ToString(o.CacheControl), wantType, wantCache)
		}
	}
	if out, err := runCmd(t, s3env(c), "-verify", "-prefix", prefix, release(t, files)); err != nil || !strings.Contains(out, "verified 4 objects") {
		t.Fatalf("verify: %v\n%s", err, out)
	}
}

func TestRepublishingTheSameReleaseSkipsTheZips(t *testing.T) {
	c := testenv.S3(t)
	prefix := testPrefix(t, c)
	dir := release(t, sample())
	if out, err := runCmd(t, s3env(c), "-prefix", prefix, dir); err != nil {
		t.Fatalf("%v\n%s", err, out)
	}
	out, err := runCmd(t, s3env(c), "-prefix", prefix, dir)
	if err != nil {
		t.Fatalf("%v\n%s", err, out)
	}
	if !strings.Contains(out, "unchanged "+prefix+"/9.9.9/octane_bridge-9.9.9.zip") || !strings.Contains(out, "published 2 objects (2 unchanged)") {
		t.Fatalf("second run:\n%s", out)
	}
}

func TestAPublishedVersionNeverChanges(t *testing.T) {
	c := testenv.S3(t)
	prefix := testPrefix(t, c)
	if out, err := runCmd(t, s3env(c), "-prefix", prefix, release(t, sample())); err != nil {
		t.Fatalf("%v\n%s", err, out)
	}
	changed := sample()
	changed["9.9.9/octane_bridge-9.9.9-linux-x64.zip"] = "other linux zip bytes"
	changed["index.json"] = `{"version":"v1","blocklist":[],"data":[{"changed":true}]}`
	dir := release(t, changed)
	out, err := runCmd(t, s3env(c), "-prefix", prefix, dir)
	if err == nil || !strings.Contains(err.Error(), "never changes") || !strings.Contains(err.Error(), "linux-x64.zip") {
		t.Fatalf("a changed zip of a published version: %v\n%s", err, out)
	}
	if _, body := get(t, c, prefix+"/index.json"); string(body) != sample()["index.json"] {
		t.Fatalf("the refused release wrote index.json: %s", body)
	}
	if _, body := get(t, c, prefix+"/9.9.9/octane_bridge-9.9.9-linux-x64.zip"); string(body) != "linux zip bytes" {
		t.Fatalf("the published zip changed: %s", body)
	}
	// -verify tells the bucket and the folder apart.
	if _, err := runCmd(t, s3env(c), "-verify", "-prefix", prefix, dir); err == nil || !strings.Contains(err.Error(), "linux-x64.zip: ") {
		t.Fatalf("verify of a different release: %v", err)
	}
}

func TestDryRunContactsNothing(t *testing.T) {
	env := map[string]string{"S3_BUCKET": "octane-prod", "S3_ENDPOINT": "http://127.0.0.1:1"}
	out, err := runCmd(t, func(k string) string { return env[k] }, "-dry-run", release(t, sample()))
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(out, "would upload addon/9.9.9/octane_bridge-9.9.9.zip") || !strings.Contains(out, "dry run: 4 objects to s3://octane-prod/addon/, nothing uploaded") {
		t.Fatalf("dry run:\n%s", out)
	}
	if i, j := strings.Index(out, "addon/9.9.9/"), strings.Index(out, "addon/index.json"); i < 0 || j < i {
		t.Fatalf("index.json is not planned last:\n%s", out)
	}
}

func TestRefusesWhatIsNotARelease(t *testing.T) {
	env := func(k string) string { return map[string]string{"S3_BUCKET": "b"}[k] }
	for name, tc := range map[string]struct {
		files map[string]string
		args  []string
		want  string
	}{
		"no index":            {map[string]string{"1.0.0/a.zip": "x"}, nil, "no index.json"},
		"no version folder":   {map[string]string{"index.json": "{}"}, nil, "no version folder"},
		"nested folder":       {map[string]string{"index.json": "{}", "1.0.0/x/a.zip": "x"}, nil, "one level"},
		"other file type":     {map[string]string{"index.json": "{}", "1.0.0/a.zip": "x", "1.0.0/notes.txt": "x"}, nil, "only .zip and .json"},
		"odd file name":       {map[string]string{"index.json": "{}", "1.0.0/a b.zip": "x"}, nil, "plain file name"},
		"prefix leaves":       {sample(), []string{"-prefix", "../other"}, "-prefix"},
		"dry run with verify": {sample(), []string{"-dry-run", "-verify"}, "exclude"},
		"two folders as args": {sample(), []string{"a"}, "usage"},
	} {
		t.Run(name, func(t *testing.T) {
			args := append(append([]string{}, tc.args...), release(t, tc.files))
			if _, err := runCmd(t, env, args...); err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("err = %v, want %q", err, tc.want)
			}
		})
	}
	if _, err := runCmd(t, func(string) string { return "" }, release(t, sample())); err == nil || !strings.Contains(err.Error(), "S3_BUCKET") {
		t.Fatalf("no bucket: %v", err)
	}
}
