package s3client_test

import (
	"context"
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
