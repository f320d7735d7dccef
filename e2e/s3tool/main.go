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
	"os"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/octanebridge/octane-bridge/internal/s3client"
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
	bucket := getenv("S3_BUCKET")
	cl, err := s3client.New(ctx, s3client.FromEnv(getenv))
	if err != nil {
		return err
	}
	switch args[0] {
	case "put":
		if len(args) != 3 {
			return errors.New("usage: s3tool put KEY FILE")
		}
		n, err := s3client.PutFile(ctx, cl, bucket, args[1], args[2], "application/zip")
		if err != nil {
			return fmt.Errorf("put %s: %w", args[1], err)
		}
		fmt.Fprintf(stdout, "put %s (%d bytes)\n", args[1], n)
	case "rm":
		for _, k := range args[1:] {
			if _, err := cl.DeleteObject(ctx, &s3.DeleteObjectInput{Bucket: aws.String(bucket), Key: aws.String(k)}); err != nil {
				return fmt.Errorf("rm %s: %w", k, err)
			}
		}
	default:
		return fmt.Errorf("unknown command %q", args[0])
	}
	return nil
}
