package dbtest

import (
	"os"
	"path/filepath"
	"regexp"
	"testing"

	"github.com/octanebridge/octane-bridge/internal/testenv"
)

var (
	createTable = regexp.MustCompile(`(?i)\bcreate\s+table\s+(?:if\s+not\s+exists\s+)?public\.([a-z_][a-z0-9_]*)`)
	enableRLS   = regexp.MustCompile(`(?i)\balter\s+table\s+(?:if\s+exists\s+)?public\.([a-z_][a-z0-9_]*)\s+enable\s+row\s+level\s+security`)
)

// DESIGN §3: RLS is enabled in the same migration that creates each table, so no deployment
// ever has a moment with an open table. (The pgTAP suite checks the end state; this checks each file.)
func TestEveryMigrationEnablesRLSOnTheTablesItCreates(t *testing.T) {
	files, err := filepath.Glob(filepath.Join(testenv.Root(t), "supabase", "migrations", "*.sql"))
	if err != nil || len(files) == 0 {
		t.Fatalf("no migrations: %v", err)
	}
	tables := 0
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		enabled := map[string]bool{}
		for _, m := range enableRLS.FindAllStringSubmatch(string(b), -1) {
			enabled[m[1]] = true
		}
		for _, m := range createTable.FindAllStringSubmatch(string(b), -1) {
			tables++
			if !enabled[m[1]] {
				t.Errorf("%s creates public.%s without enabling row level security in the same file", filepath.Base(f), m[1])
			}
		}
	}
	if tables == 0 {
		t.Fatal("found no create table statements; the check would be vacuous")
	}
}

func TestMigrationFilesAreNamedLikeTheSupabaseCLI(t *testing.T) {
	files, err := filepath.Glob(filepath.Join(testenv.Root(t), "supabase", "migrations", "*"))
	if err != nil {
		t.Fatal(err)
	}
	name := regexp.MustCompile(`^[0-9]{14}_[a-z0-9_]+\.sql$`)
	seen := map[string]string{}
	for _, f := range files {
		base := filepath.Base(f)
		if !name.MatchString(base) {
			t.Errorf("%s: want <14-digit version>_<name>.sql", base)
			continue
		}
		if prev, dup := seen[base[:14]]; dup {
			t.Errorf("%s and %s share a version", prev, base)
		}
		seen[base[:14]] = base
	}
}
