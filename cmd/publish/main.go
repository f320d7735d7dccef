// Command publish is the operator's tool for shader packages:
//
//	publish pack -out DIR SRC...        build packages from source folders (used by catalog/generate.sh)
//	publish [flags] PATH...             validate, vet, sign, upload and register packages
//	publish worker [-every 1s] [-once]  run the publish jobs of the operator's page (publish_jobs)
//
// See docs/packages.md.
package main

import (
	"context"
	"io"
	"os"

	"github.com/octanebridge/octane-bridge/internal/cli"
)

func main() {
	cli.Run("publish", func(ctx context.Context) error { return run(ctx, os.Args[1:], os.Getenv, os.Stdout, os.Stderr) })
}

func run(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	if len(args) > 0 && args[0] == "pack" {
		return runPack(args[1:], stdout, stderr)
	}
	if len(args) > 0 && args[0] == "worker" {
		return runWorker(ctx, args[1:], getenv, stdout, stderr)
	}
	return explain(runPublish(ctx, args, getenv, stdout, stderr))
}
