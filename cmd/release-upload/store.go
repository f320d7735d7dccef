package main

import (
	"context"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"fmt"
	"io"
	"os"

	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"
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

func (s *s3Store) Put(ctx context.Context, f file) error {
	sum, _ := hex.DecodeString(f.sha256hex)
	b64 := base64.StdEncoding.EncodeToString(sum)
	body, err := os.Open(f.path)
	if err != nil {
		return err
	}
	defer body.Close()
	in := &s3.PutObjectInput{
		Bucket: aws.String(s.bucket), Key: aws.String(f.key), Body: body, ContentLength: aws.Int64(f.size),
		ContentType: aws.String(f.contentType), CacheControl: aws.String(f.cacheControl),
		// Signed in; S3 recomputes it and refuses a body that does not match (as the publisher).
		ChecksumSHA256: aws.String(b64),
	}
	if f.disp != "" {
		in.ContentDisposition = aws.String(f.disp)
	}
	out, err := s.client.PutObject(ctx, in, s3.WithAPIOptions(v4.SwapComputePayloadSHA256ForUnsignedPayloadMiddleware))
	if err != nil {
		return fmt.Errorf("upload %s: %w", f.key, err)
	}
	if got := aws.ToString(out.ChecksumSHA256); got != "" && got != b64 {
		return fmt.Errorf("upload %s: server stored checksum %s, want %s", f.key, got, f.sha256hex)
	}
	return nil
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
