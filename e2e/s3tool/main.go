// Command s3tool is the end-to-end test's hand on the package bucket: it overwrites an object
// (the "tampered package" case) and removes the objects a test run created.
//
//	s3tool put KEY FILE   ·   s3tool rm KEY...
//
// It reads S3_ENDPOINT, S3_REGION, S3_ACCESS_KEY, S3_SECRET_KEY and S3_BUCKET (scripts/lib.sh).
package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/url"
	"os"
	"time"

	"github.com/minio/minio-go/v7"
	"github.com/minio/minio-go/v7/pkg/credentials"
)

func main() {
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	if err := run(ctx, os.Args[1:], os.Getenv, os.Stdout); err != nil {
		fmt.Fprintln(os.Stderr, "s3tool:", err)
		os.Exit(1)
	}
}

func run(ctx context.Context, args []string, getenv func(string) string, stdout io.Writer) error {
	if len(args) < 2 {
		return errors.New("usage: s3tool put KEY FILE | s3tool rm KEY...")
	}
	u, err := url.Parse(getenv("S3_ENDPOINT"))
	if err != nil || u.Host == "" {
		return fmt.Errorf("S3_ENDPOINT %q is not a URL", getenv("S3_ENDPOINT"))
	}
	bucket := getenv("S3_BUCKET")
	cl, err := minio.New(u.Host, &minio.Options{
		Creds:        credentials.NewStaticV4(getenv("S3_ACCESS_KEY"), getenv("S3_SECRET_KEY"), ""),
		Secure:       u.Scheme == "https",
		Region:       getenv("S3_REGION"),
		BucketLookup: minio.BucketLookupPath,
	})
	if err != nil {
		return err
	}
	switch args[0] {
	case "put":
		if len(args) != 3 {
			return errors.New("usage: s3tool put KEY FILE")
		}
		f, err := os.Open(args[2])
		if err != nil {
			return err
		}
		defer f.Close()
		st, err := f.Stat()
		if err != nil {
			return err
		}
		info, err := cl.PutObject(ctx, bucket, args[1], f, st.Size(), minio.PutObjectOptions{ContentType: "application/zip"})
		if err != nil {
			return fmt.Errorf("put %s: %w", args[1], err)
		}
		fmt.Fprintf(stdout, "put %s (%d bytes)\n", info.Key, info.Size)
	case "rm":
		for _, k := range args[1:] {
			if err := cl.RemoveObject(ctx, bucket, k, minio.RemoveObjectOptions{}); err != nil {
				return fmt.Errorf("rm %s: %w", k, err)
			}
		}
	default:
		return fmt.Errorf("unknown command %q", args[0])
	}
	return nil
}
