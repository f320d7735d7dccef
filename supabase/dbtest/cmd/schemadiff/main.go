// Command schemadiff proves that two folders of migrations build the same database: it builds one
// database from each (on top of the local shims, in one transaction, as scripts/db.sh does, no
// seed), compares their catalogs with package schemadiff, prints every difference, and exits 1
// when there is one. The two databases are dropped afterwards.
//
//	go run ./supabase/dbtest/cmd/schemadiff OLD_DIR NEW_DIR
//
// It is run by hand when migrations are squashed (docs/decisions.md, "Migrations squashed once").
// The cluster is $OCTANE_PG_URL (the local one by default), which `scripts/services.sh start pg`
// starts.
package main

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"os"
	"time"

	"github.com/octanebridge/octane-bridge/internal/testenv"
	"github.com/octanebridge/octane-bridge/supabase/dbtest/schemadiff"
)

func main() {
	if len(os.Args) != 3 {
		fmt.Fprintln(os.Stderr, "usage: schemadiff OLD_DIR NEW_DIR  (folders of *.sql migrations)")
		os.Exit(2)
	}
	os.Exit(run(os.Args[1], os.Args[2]))
}

func run(oldDir, newDir string) int {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	root, err := testenv.RepoRoot()
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 2
	}
	admin := testenv.AdminURL()
	b := make([]byte, 4)
	_, _ = rand.Read(b)
	suffix := hex.EncodeToString(b)

	var snaps [2]schemadiff.Snapshot
	for i, dir := range []string{oldDir, newDir} {
		db := fmt.Sprintf("schemadiff_%s_%d", suffix, i)
		defer schemadiff.Drop(context.Background(), admin, db)
		if err := schemadiff.Build(ctx, admin, root, db, dir); err != nil {
			fmt.Fprintln(os.Stderr, err)
			return 2
		}
		if snaps[i], err = schemadiff.Take(ctx, schemadiff.URL(admin, db)); err != nil {
			fmt.Fprintln(os.Stderr, err)
			return 2
		}
	}
	diff := schemadiff.Diff(snaps[0], snaps[1])
	for _, d := range diff {
		fmt.Println(d)
	}
	if len(diff) > 0 {
		fmt.Printf("%s and %s build different databases: %d difference(s) (- only old, + only new, ~ changed)\n",
			oldDir, newDir, len(diff))
		return 1
	}
	fmt.Printf("%s and %s build the same database: %d objects and properties compared\n", oldDir, newDir, len(snaps[0]))
	return 0
}
