package main

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"os"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/octanebridge/octane-bridge/internal/s3client"
)

type s3Store struct {
	client *s3.Client
	bucket string
}

func newStore(ctx context.Context, c s3client.Config, bucket string) (*s3Store, error) {
	cl, err := s3client.New(ctx, c)
	if err != nil {
		return nil, err
	}
	return &s3Store{client: cl, bucket: bucket}, nil
}

// Put uploads the file with its SHA-256 signed in, which S3 checks (s3client.PutChecked).
func (s *s3Store) Put(ctx context.Context, f file) error {
	body, err := os.Open(f.path)
	if err != nil {
		return err
	}
	defer body.Close()
	in := &s3.PutObjectInput{
		Bucket: aws.String(s.bucket), Key: aws.String(f.key), Body: body, ContentLength: aws.Int64(f.size),
		ContentType: aws.String(f.contentType), CacheControl: aws.String(f.cacheControl),
	}
	if f.disp != "" {
		in.ContentDisposition = aws.String(f.disp)
	}
	return s3client.PutChecked(ctx, s.client, in, f.sha256hex)
}

// Sum reads the object back and hashes it: what the CDN will serve, not what metadata says.
func (s *s3Store) Sum(ctx context.Context, key string) (int64, string, bool, error) {
	out, err := s.client.GetObject(ctx, &s3.GetObjectInput{Bucket: aws.String(s.bucket), Key: aws.String(key)})
	if err != nil {
		if s3client.IsNotFound(err) {
			return 0, "", false, nil
		}
		return 0, "", false, fmt.Errorf("read %s: %w", key, err)
	}
	defer out.Body.Close()
	h := sha256.New()
	n, err := io.Copy(h, out.Body)
	if err != nil {
		return 0, "", false, fmt.Errorf("read %s: %w", key, err)
	}
	return n, hex.EncodeToString(h.Sum(nil)), true, nil
}
