package main

import (
	"context"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"io"

	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"
	"github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/octanebridge/octane-bridge/internal/s3client"
)

// objectStore receives package and preview uploads. The S3 implementation talks to a bucket
// directly; a later implementation can use the edge's presigned uploads (POST /v1/uploads)
// behind the same interface.
type objectStore interface {
	// Put stores exactly size bytes under key; sha256hex is the content's SHA-256, which the
	// store must check (S3: x-amz-checksum-sha256).
	Put(ctx context.Context, key string, r io.Reader, size int64, contentType, sha256hex string) error
	// Exists reports whether key is stored (the publisher backfills missing preview renditions).
	Exists(ctx context.Context, key string) (bool, error)
}

// s3Config is the bucket and how to reach it: no endpoint means AWS S3 for the region, no keys
// the standard AWS credential chain (see internal/s3client).
type s3Config struct {
	Endpoint, Region, AccessKey, SecretKey, Bucket string
}

type s3Store struct {
	client *s3.Client
	bucket string
}

func newS3Store(c s3Config) (*s3Store, error) {
	if c.Bucket == "" {
		return nil, errors.New("S3_BUCKET is empty")
	}
	cl, err := s3client.New(context.Background(), s3client.Config{Endpoint: c.Endpoint, Region: c.Region, AccessKey: c.AccessKey, SecretKey: c.SecretKey})
	if err != nil {
		return nil, err
	}
	return &s3Store{client: cl, bucket: c.Bucket}, nil
}

func (s *s3Store) Put(ctx context.Context, key string, r io.Reader, size int64, contentType, sha256hex string) error {
	sum, err := hex.DecodeString(sha256hex)
	if err != nil || len(sum) != 32 {
		return fmt.Errorf("upload %s: bad sha256 %q", key, sha256hex)
	}
	b64 := base64.StdEncoding.EncodeToString(sum)
	out, err := s.client.PutObject(ctx, &s3.PutObjectInput{
		Bucket: aws.String(s.bucket), Key: aws.String(key), Body: r, ContentLength: aws.Int64(size),
		ContentType: aws.String(contentType),
		// Signed in, and the server recomputes the SHA-256 and refuses a body that does not match,
		// so the payload itself travels unsigned (the reader streams once and cannot seek).
		ChecksumSHA256: aws.String(b64),
	}, s3.WithAPIOptions(v4.SwapComputePayloadSHA256ForUnsignedPayloadMiddleware))
	if err != nil {
		return fmt.Errorf("upload %s: %w", key, err)
	}
	if got := aws.ToString(out.ChecksumSHA256); got != "" && got != b64 {
		return fmt.Errorf("upload %s: server stored checksum %s, want %s", key, got, sha256hex)
	}
	return nil
}

func (s *s3Store) Exists(ctx context.Context, key string) (bool, error) {
	_, err := s.client.HeadObject(ctx, &s3.HeadObjectInput{Bucket: aws.String(s.bucket), Key: aws.String(key)})
	if err == nil {
		return true, nil
	}
	if s3client.IsNotFound(err) {
		return false, nil
	}
	return false, fmt.Errorf("stat %s: %w", key, err)
}

// AllowPublicRead lets anonymous clients GET objects under prefix (previews for the site; a CDN
// does this in production). Packages stay private: they are served by presigned URLs only.
func (s *s3Store) AllowPublicRead(ctx context.Context, prefix string) error {
	pol := fmt.Sprintf(`{"Version":"2012-10-17","Statement":[{"Sid":"PublicPreviews","Effect":"Allow","Principal":"*",`+
		`"Action":["s3:GetObject"],"Resource":["arn:aws:s3:::%s/%s*"]}]}`, s.bucket, prefix)
	if _, err := s.client.PutBucketPolicy(ctx, &s3.PutBucketPolicyInput{Bucket: aws.String(s.bucket), Policy: aws.String(pol)}); err != nil {
		return fmt.Errorf("set bucket policy for %s*: %w", prefix, err)
	}
	return nil
}
