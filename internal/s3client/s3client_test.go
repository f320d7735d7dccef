package s3client_test

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/octanebridge/octane-bridge/internal/s3client"
	"github.com/octanebridge/octane-bridge/internal/testenv"
)

func TestNewRefusesHalfAConfiguration(t *testing.T) {
	t.Setenv("AWS_REGION", "")
	t.Setenv("AWS_DEFAULT_REGION", "")
	t.Setenv("AWS_PROFILE", "")
	t.Setenv("AWS_CONFIG_FILE", t.TempDir()+"/none")
	ctx := context.Background()
	for name, c := range map[string]s3client.Config{
		"endpoint without scheme":  {Endpoint: "127.0.0.1:9000", Region: "us-east-1"},
		"access key alone":         {Region: "us-east-1", AccessKey: "a"},
		"secret key alone":         {Region: "us-east-1", SecretKey: "b"},
		"AWS S3 without a region":  {},
		"endpoint with other path": {Endpoint: "ftp://127.0.0.1:9000"},
	} {
		if _, err := s3client.New(ctx, c); err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
	// A custom endpoint without a region signs for us-east-1, as S3-compatible servers expect.
	cl, err := s3client.New(ctx, s3client.Config{Endpoint: "http://127.0.0.1:9000"})
	if err != nil {
		t.Fatal(err)
	}
	if r := cl.Options().Region; r != "us-east-1" {
		t.Errorf("region = %q", r)
	}
	if !cl.Options().UsePathStyle {
		t.Error("a custom endpoint must be addressed path-style")
	}
}

// S3's answers are told apart by status and code (the edge maps them to INVALID_INPUT or
// SERVICE_UNAVAILABLE, the publisher backfills missing objects).
func TestErrorCodeAndNotFoundAgainstVersitygw(t *testing.T) {
	c := testenv.S3(t)
	cl := c.Client(t)
	ctx := context.Background()
	_, err := cl.HeadObject(ctx, &s3.HeadObjectInput{Bucket: aws.String(c.Bucket), Key: aws.String("test/none-" + t.Name())})
	if !s3client.IsNotFound(err) {
		t.Fatalf("HeadObject of a missing key: %v, want not found", err)
	}
	_, err = cl.AbortMultipartUpload(ctx, &s3.AbortMultipartUploadInput{Bucket: aws.String(c.Bucket), Key: aws.String("test/x.zip"), UploadId: aws.String("no-such-upload")})
	if status, code := s3client.ErrorCode(err); status < 400 || status >= 500 || code == "" {
		t.Fatalf("abort of an unknown upload: %d %q (%v), want a 4xx with S3's code", status, code, err)
	}
	c.PutObject(t, "test/present-"+t.Name(), []byte("x"), "application/octet-stream")
	if _, err := cl.HeadObject(ctx, &s3.HeadObjectInput{Bucket: aws.String(c.Bucket), Key: aws.String("test/present-" + t.Name())}); err != nil || s3client.IsNotFound(err) {
		t.Fatalf("HeadObject of a stored key: %v", err)
	}
	if status, code := s3client.ErrorCode(nil); status != 0 || code != "" {
		t.Errorf("ErrorCode(nil) = %d %q", status, code)
	}
}

// The tools read the S3_* variables and upload files with their length (s3tool, benchtool).
func TestFromEnvAndPutFile(t *testing.T) {
	c := testenv.S3(t)
	env := map[string]string{"S3_ENDPOINT": c.Endpoint, "S3_REGION": c.Region, "S3_ACCESS_KEY": c.AccessKey, "S3_SECRET_KEY": c.SecretKey}
	if got := s3client.FromEnv(func(k string) string { return env[k] }); got != (s3client.Config{Endpoint: c.Endpoint, Region: c.Region, AccessKey: c.AccessKey, SecretKey: c.SecretKey}) {
		t.Fatalf("FromEnv = %+v", got)
	}
	cl := c.Client(t)
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "pkg.zip")
	if err := os.WriteFile(path, []byte("zip bytes"), 0o600); err != nil {
		t.Fatal(err)
	}
	key := "test/putfile-" + t.Name()
	n, err := s3client.PutFile(ctx, cl, c.Bucket, key, path, "application/zip")
	if err != nil || n != 9 {
		t.Fatalf("PutFile = %d, %v", n, err)
	}
	t.Cleanup(func() {
		_, _ = cl.DeleteObject(ctx, &s3.DeleteObjectInput{Bucket: aws.String(c.Bucket), Key: aws.String(key)})
	})
	head, err := cl.HeadObject(ctx, &s3.HeadObjectInput{Bucket: aws.String(c.Bucket), Key: aws.String(key)})
	if err != nil || aws.ToInt64(head.ContentLength) != 9 || aws.ToString(head.ContentType) != "application/zip" {
		t.Fatalf("stored object: %+v, %v", head, err)
	}
	if _, err := s3client.PutFile(ctx, cl, c.Bucket, key, filepath.Join(t.TempDir(), "missing"), "application/zip"); !errors.Is(err, fs.ErrNotExist) {
		t.Fatalf("a missing file: %v", err)
	}
}

// PutChecked signs the body's SHA-256 in: S3 stores a matching body and refuses any other, and a
// checksum that is not one is refused before anything is sent.
func TestPutCheckedStoresOnlyTheAgreedBody(t *testing.T) {
	c := testenv.S3(t)
	cl := c.Client(t)
	ctx := context.Background()
	key := "test/putchecked-" + t.Name()
	t.Cleanup(func() {
		_, _ = cl.DeleteObject(ctx, &s3.DeleteObjectInput{Bucket: aws.String(c.Bucket), Key: aws.String(key)})
	})
	body := []byte("the package bytes")
	sum := sha256.Sum256(body)
	put := func(b []byte, sha string) error {
		return s3client.PutChecked(ctx, cl, &s3.PutObjectInput{Bucket: aws.String(c.Bucket), Key: aws.String(key),
			Body: bytes.NewReader(b), ContentLength: aws.Int64(int64(len(b))), ContentType: aws.String("application/zip")}, sha)
	}
	if err := put(body, hex.EncodeToString(sum[:])); err != nil {
		t.Fatal(err)
	}
	if err := put([]byte("other bytes, same length"), hex.EncodeToString(sum[:])); err == nil {
		t.Fatal("S3 stored a body that does not match the signed checksum")
	}
	if err := put(body, "not-hex"); err == nil || !strings.Contains(err.Error(), "bad sha256") {
		t.Fatalf("a malformed checksum: %v", err)
	}
	out, err := cl.GetObject(ctx, &s3.GetObjectInput{Bucket: aws.String(c.Bucket), Key: aws.String(key)})
	if err != nil {
		t.Fatal(err)
	}
	defer out.Body.Close()
	if got, _ := io.ReadAll(out.Body); !bytes.Equal(got, body) {
		t.Fatalf("stored %q", got)
	}
}
