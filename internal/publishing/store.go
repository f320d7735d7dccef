package publishing

import (
	"context"
	"errors"
	"fmt"
	"io"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"

	"github.com/octanebridge/octane-bridge/internal/s3client"
)

// ObjectStore receives package and preview uploads (S3Store talks to a bucket directly).
type ObjectStore interface {
	// Put stores exactly size bytes under key; sha256hex is the content's SHA-256, which the
	// store must check (S3: x-amz-checksum-sha256).
	Put(ctx context.Context, key string, r io.Reader, size int64, contentType, sha256hex string) error
	// Exists reports whether key is stored (the publisher backfills missing preview renditions).
	Exists(ctx context.Context, key string) (bool, error)
}

// S3Config is the bucket and how to reach it: no endpoint means AWS S3 for the region, no keys
// the standard AWS credential chain (see internal/s3client).
type S3Config struct {
	Endpoint, Region, AccessKey, SecretKey, Bucket string
}

// S3Store is the catalog bucket.
type S3Store struct {
	client *s3.Client
	bucket string
}

// NewS3Store checks the configuration; it does not contact S3.
func NewS3Store(c S3Config) (*S3Store, error) {
	if c.Bucket == "" {
		return nil, errors.New("S3_BUCKET is empty")
	}
	cl, err := s3client.New(context.Background(), s3client.Config{Endpoint: c.Endpoint, Region: c.Region, AccessKey: c.AccessKey, SecretKey: c.SecretKey})
	if err != nil {
		return nil, err
	}
	return &S3Store{client: cl, bucket: c.Bucket}, nil
}

// Put streams r once, with its SHA-256 signed in for S3 to check (s3client.PutChecked).
func (s *S3Store) Put(ctx context.Context, key string, r io.Reader, size int64, contentType, sha256hex string) error {
	return s3client.PutChecked(ctx, s.client, &s3.PutObjectInput{Bucket: aws.String(s.bucket), Key: aws.String(key), Body: r,
		ContentLength: aws.Int64(size), ContentType: aws.String(contentType)}, sha256hex)
}

func (s *S3Store) Exists(ctx context.Context, key string) (bool, error) {
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
func (s *S3Store) AllowPublicRead(ctx context.Context, prefix string) error {
	pol := fmt.Sprintf(`{"Version":"2012-10-17","Statement":[{"Sid":"PublicPreviews","Effect":"Allow","Principal":"*",`+
		`"Action":["s3:GetObject"],"Resource":["arn:aws:s3:::%s/%s*"]}]}`, s.bucket, prefix)
	if _, err := s.client.PutBucketPolicy(ctx, &s3.PutBucketPolicyInput{Bucket: aws.String(s.bucket), Policy: aws.String(pol)}); err != nil {
		return fmt.Errorf("set bucket policy for %s*: %w", prefix, err)
	}
	return nil
}

// Client is the S3 client (tests read objects back through it).
func (s *S3Store) Client() *s3.Client { return s.client }

// Get reads an object of at most max bytes (the worker's uploaded package); larger is refused
// before the download.
func (s *S3Store) Get(ctx context.Context, key string, max int64) ([]byte, error) {
	out, err := s.client.GetObject(ctx, &s3.GetObjectInput{Bucket: aws.String(s.bucket), Key: aws.String(key)})
	if err != nil {
		return nil, fmt.Errorf("download %s: %w", key, err)
	}
	defer out.Body.Close()
	if n := aws.ToInt64(out.ContentLength); n > max {
		return nil, fmt.Errorf("download %s: %d bytes is over the %d byte limit", key, n, max)
	}
	b, err := io.ReadAll(io.LimitReader(out.Body, max+1))
	if err != nil {
		return nil, fmt.Errorf("download %s: %w", key, err)
	}
	if int64(len(b)) > max {
		return nil, fmt.Errorf("download %s: over the %d byte limit", key, max)
	}
	return b, nil
}

// Delete removes an object (the worker's uploaded package once the job is over).
func (s *S3Store) Delete(ctx context.Context, key string) error {
	if _, err := s.client.DeleteObject(ctx, &s3.DeleteObjectInput{Bucket: aws.String(s.bucket), Key: aws.String(key)}); err != nil {
		return fmt.Errorf("delete %s: %w", key, err)
	}
	return nil
}

// AllowBrowserUploads lets pages on origins (S3 CORS patterns, one * each) PUT the parts of the
// edge's presigned uploads and read their ETag (the local stack; production sets the bucket's
// CORS for the site, docs/deploy.md).
func (s *S3Store) AllowBrowserUploads(ctx context.Context, origins ...string) error {
	_, err := s.client.PutBucketCors(ctx, &s3.PutBucketCorsInput{Bucket: aws.String(s.bucket), CORSConfiguration: &types.CORSConfiguration{
		CORSRules: []types.CORSRule{{
			AllowedOrigins: origins, AllowedMethods: []string{"PUT"},
			AllowedHeaders: []string{"content-type", "x-amz-checksum-sha256", "x-amz-sdk-checksum-algorithm"},
			ExposeHeaders:  []string{"ETag"}, MaxAgeSeconds: aws.Int32(600),
		}},
	}})
	if err != nil {
		return fmt.Errorf("set bucket CORS: %w", err)
	}
	return nil
}
