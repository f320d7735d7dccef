package main

import (
	"context"
	"encoding/base64"
	"encoding/hex"
	"fmt"
	"io"
	"net/http"
	"net/url"

	"github.com/minio/minio-go/v7"
	"github.com/minio/minio-go/v7/pkg/credentials"
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

type s3Config struct {
	Endpoint, Region, AccessKey, SecretKey, Bucket string
}

type s3Store struct {
	client *minio.Client
	bucket string
}

func newS3Store(c s3Config) (*s3Store, error) {
	u, err := url.Parse(c.Endpoint)
	if err != nil || u.Host == "" {
		return nil, fmt.Errorf("S3_ENDPOINT %q is not a URL", c.Endpoint)
	}
	if c.Bucket == "" {
		return nil, fmt.Errorf("S3_BUCKET is empty")
	}
	cl, err := minio.New(u.Host, &minio.Options{
		Creds:        credentials.NewStaticV4(c.AccessKey, c.SecretKey, ""),
		Secure:       u.Scheme == "https",
		Region:       c.Region,
		BucketLookup: minio.BucketLookupPath,
		// Lets the SHA-256 checksum travel as a trailer the server verifies.
		TrailingHeaders: true,
	})
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
	info, err := s.client.PutObject(ctx, s.bucket, key, r, size, minio.PutObjectOptions{
		ContentType:      contentType,
		DisableMultipart: true,
		// The server recomputes the SHA-256 and refuses a body that does not match.
		UserMetadata: map[string]string{"x-amz-checksum-sha256": base64.StdEncoding.EncodeToString(sum)},
	})
	if err != nil {
		return fmt.Errorf("upload %s: %w", key, err)
	}
	if info.ChecksumSHA256 != "" && info.ChecksumSHA256 != base64.StdEncoding.EncodeToString(sum) {
		return fmt.Errorf("upload %s: server stored checksum %s, want %s", key, info.ChecksumSHA256, sha256hex)
	}
	return nil
}

func (s *s3Store) Exists(ctx context.Context, key string) (bool, error) {
	_, err := s.client.StatObject(ctx, s.bucket, key, minio.StatObjectOptions{})
	if err == nil {
		return true, nil
	}
	if r := minio.ToErrorResponse(err); r.StatusCode == http.StatusNotFound || r.Code == "NoSuchKey" || r.Code == "NotFound" {
		return false, nil
	}
	return false, fmt.Errorf("stat %s: %w", key, err)
}

// AllowPublicRead lets anonymous clients GET objects under prefix (previews for the site; a CDN
// does this in production). Packages stay private: they are served by presigned URLs only.
func (s *s3Store) AllowPublicRead(ctx context.Context, prefix string) error {
	pol := fmt.Sprintf(`{"Version":"2012-10-17","Statement":[{"Sid":"PublicPreviews","Effect":"Allow","Principal":"*",`+
		`"Action":["s3:GetObject"],"Resource":["arn:aws:s3:::%s/%s*"]}]}`, s.bucket, prefix)
	if err := s.client.SetBucketPolicy(ctx, s.bucket, pol); err != nil {
		return fmt.Errorf("set bucket policy for %s*: %w", prefix, err)
	}
	return nil
}
