package dbtest

import (
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/octanebridge/octane-bridge/internal/testenv"
)

// docs/architecture.md names, for each SQL function in its table, the migration that holds its
// current definition: the last one that creates or replaces it. A newcomer reads the function
// there; this keeps the pointer true when a later migration replaces a function.
func TestArchitectureNamesWhereEachFunctionIsDefined(t *testing.T) {
	root := testenv.Root(t)
	doc, err := os.ReadFile(filepath.Join(root, "docs", "architecture.md"))
	if err != nil {
		t.Fatal(err)
	}
	files, err := filepath.Glob(filepath.Join(root, "supabase", "migrations", "*.sql")) // sorted
	if err != nil || len(files) == 0 {
		t.Fatalf("no migrations: %v", err)
	}
	bodies := make([]string, len(files))
	for i, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		bodies[i] = string(b)
	}
	// definedIn is the base name (without .sql) of the last migration defining public.name.
	definedIn := func(name string) string {
		def := regexp.MustCompile(`(?i)\bcreate\s+(?:or\s+replace\s+)?function\s+public\.` + name + `\s*\(`)
		last := ""
		for i, b := range bodies {
			if def.MatchString(b) {
				last = strings.TrimSuffix(filepath.Base(files[i]), ".sql")
			}
		}
		return last
	}

	ident := regexp.MustCompile("`([a-z_][a-z0-9_]*)`")
	migration := regexp.MustCompile("^`([0-9]{14}_[a-z0-9_]+)`$")
	checked := 0
	for _, line := range strings.Split(string(doc), "\n") {
		cells := strings.Split(line, "|")
		// | function | caller | does | defined in |  ->  "", 4 cells, ""
		if len(cells) != 6 || !strings.HasPrefix(line, "| `") {
			continue
		}
		where := migration.FindStringSubmatch(strings.TrimSpace(cells[4]))
		if where == nil {
			continue
		}
		for _, m := range ident.FindAllStringSubmatch(cells[1], -1) {
			checked++
			if got := definedIn(m[1]); got != where[1] {
				if got == "" {
					t.Errorf("docs/architecture.md lists public.%s in %s, but no migration defines it", m[1], where[1])
				} else {
					t.Errorf("docs/architecture.md says public.%s is defined in %s; its current definition is in %s (the last migration that creates or replaces it)", m[1], where[1], got)
				}
			}
		}
	}
	if checked < 15 {
		t.Fatalf("found %d functions in the architecture's function table; the check would be vacuous", checked)
	}
}
