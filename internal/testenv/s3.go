package testenv

import (
	"bytes"
	"context"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/octanebridge/octane-bridge/internal/s3client"
)

// Client is an S3 client (aws-sdk-go-v2) for the local S3, for seeding and reading objects.
func (c S3Config) Client(t testing.TB) *s3.Client {
	t.Helper()
	cl, err := s3client.New(context.Background(), s3client.Config{Endpoint: c.Endpoint, Region: c.Region, AccessKey: c.AccessKey, SecretKey: c.SecretKey})
	if err != nil {
		t.Fatal(err)
	}
	return cl
}

// PutObject stores body under key in the test bucket and removes it when the test ends.
func (c S3Config) PutObject(t testing.TB, key string, body []byte, contentType string) {
	t.Helper()
	cl := c.Client(t)
	if _, err := cl.PutObject(context.Background(), &s3.PutObjectInput{
		Bucket: aws.String(c.Bucket), Key: aws.String(key), Body: bytes.NewReader(body),
		ContentLength: aws.Int64(int64(len(body))), ContentType: aws.String(contentType),
	}); err != nil {
		t.Fatalf("put %s: %v", key, err)
	}
	t.Cleanup(func() {
		_, _ = cl.DeleteObject(context.Background(), &s3.DeleteObjectInput{Bucket: aws.String(c.Bucket), Key: aws.String(key)})
	})
}
