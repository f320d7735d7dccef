package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/octanebridge/octane-bridge/internal/publishing"
)

// runWorker is `publish worker`: the publish jobs of the operator's page (publish_jobs), run by
// the same pipeline as `publish PATH...` (internal/publishing), one at a time per worker.
func runWorker(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	fl := flag.NewFlagSet("publish worker", flag.ContinueOnError)
	fl.SetOutput(stderr)
	every := fl.Duration("every", time.Second, "how often to look for a queued job")
	once := fl.Bool("once", false, "run the queued jobs, then exit")
	blender := fl.String("blender", getenv("BLENDER"), "Blender executable for vetting (default: blender on PATH)")
	if err := fl.Parse(args); err != nil {
		return err
	}
	if _, err := checkProduction(getenv, false); err != nil {
		return err
	}
	dbURL := getenv("DATABASE_URL")
	if dbURL == "" {
		return errors.New("DATABASE_URL is not set")
	}
	if getenv("MANIFEST_SIGNING_KEYS") == "" {
		return errors.New("MANIFEST_SIGNING_KEYS is not set (kid:base64 seed; see .env.example)")
	}
	store, err := s3FromEnv(getenv)
	if err != nil {
		return err
	}
	pool, err := pgxpool.New(ctx, dbURL)
	if err != nil {
		return fmt.Errorf("DATABASE_URL: %w", err)
	}
	defer pool.Close()
	host, _ := os.Hostname()
	w := &publishing.Worker{
		DB: pool, Store: store, Blender: *blender, SigningKeys: getenv("MANIFEST_SIGNING_KEYS"),
		Name: fmt.Sprintf("%s:%d", host, os.Getpid()), Log: stdout,
	}
	if *once {
		for {
			ran, err := w.RunOne(ctx)
			if err != nil || !ran {
				return err
			}
		}
	}
	fmt.Fprintf(stdout, "publish worker %s: waiting for jobs\n", w.Name)
	return w.Run(ctx, *every)
}
