// Command release-upload publishes an add-on release built by scripts/release.sh to S3 (the
// bucket the CDN serves under PREFIX, default "addon"):
//
//	release-upload [-dry-run] [-verify] [-prefix addon] [-bucket NAME] DIR
//
// DIR is the release as the bucket holds it: index.json (Blender's extensions listing) and
// files.json (the site's Help page) at the top, the zips in a folder per version
// (<version>/octane_bridge-<version>[-<platform>].zip). Every object travels with its SHA-256
// (x-amz-checksum-sha256), which S3 checks. A file in a version folder is immutable: one already
// in the bucket with the same bytes is skipped, with other bytes the release is refused (raise the
// version). The top-level files are uploaded last, index.json at the very end, so the listing never
// names a zip that is not there yet. -verify reads every object back and compares it with DIR.
// -dry-run prints the plan and contacts nothing.
//
// S3 comes from the same environment as the publisher: S3_BUCKET, S3_REGION, S3_ENDPOINT (empty:
// AWS S3), S3_ACCESS_KEY/S3_SECRET_KEY (empty: the standard AWS credential chain).
package main

import (
	"context"
	"fmt"
	"io"
	"os"

	"github.com/octanebridge/octane-bridge/internal/cli"
)

func main() {
	cli.Run("release-upload", func(ctx context.Context) error { return run(ctx, os.Args[1:], os.Getenv, os.Stdout) })
}

// run is the whole command; main only wires the process to it.
func run(ctx context.Context, args []string, getenv func(string) string, stdout io.Writer) error {
	opt, err := parseArgs(args, getenv)
	if err != nil {
		return err
	}
	files, err := readRelease(opt.dir, opt.prefix)
	if err != nil {
		return err
	}
	if opt.dryRun {
		for _, f := range files {
			fmt.Fprintf(stdout, "would upload %s (%d bytes, sha256 %s, %s)\n", f.key, f.size, f.sha256hex, f.cacheControl)
		}
		fmt.Fprintf(stdout, "dry run: %d objects to s3://%s/%s/, nothing uploaded\n", len(files), opt.bucket, opt.prefix)
		return nil
	}
	store, err := newStore(ctx, opt.s3, opt.bucket)
	if err != nil {
		return err
	}
	if opt.verify {
		return verify(ctx, store, files, stdout)
	}
	return upload(ctx, store, files, stdout)
}
