package dbtest

import (
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"testing"

	"github.com/octanebridge/octane-bridge/internal/testenv"
)

// docs/architecture.md names every SQL function the migrations define, each once with the
// migration that holds its current definition (the last one that creates or replaces it), so a
// newcomer finds any function in one place. This keeps the tables complete and true when a
// migration adds or replaces a function.
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
	ms := make([]migration, len(files))
	for i, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		ms[i] = migration{strings.TrimSuffix(filepath.Base(f), ".sql"), string(b)}
	}
	defs := latestDefinitions(ms)
	if len(defs) < 50 {
		t.Fatalf("found %d functions in the migrations; the check would be vacuous", len(defs))
	}
	for _, p := range functionTableProblems(string(doc), defs) {
		t.Error("docs/architecture.md: " + p)
	}
}

// migration is one file of supabase/migrations: its base name without .sql, and its text.
type migration struct{ name, sql string }

var (
	sqlIdent = `("[^"]+"|[A-Za-z_][A-Za-z0-9_$]*)`
	// create [or replace] function [schema.]name(  — in code, after sqlCode took bodies out.
	createFunction = regexp.MustCompile(`(?i)\bcreate\s+(?:or\s+replace\s+)?function\s+(?:` + sqlIdent + `\s*\.\s*)?` + sqlIdent + `\s*\(`)
	// drop function [if exists] f(args) [, g(args)] [cascade]; the statement up to its semicolon.
	dropFunction = regexp.MustCompile(`(?i)\bdrop\s+function\s+(?:if\s+exists\s+)?([^;]*)`)
	argList      = regexp.MustCompile(`\([^()]*\)`)
	dropped      = regexp.MustCompile(`^(?:` + sqlIdent + `\s*\.\s*)?` + sqlIdent)
	dollarQuote  = regexp.MustCompile(`^\$([A-Za-z_][A-Za-z0-9_]*)?\$`)
)

// latestDefinitions maps schema.name of every function the migrations (in order) leave defined
// to the last migration that creates or replaces it. One dropped later and not created again is
// left out: it has no current definition.
func latestDefinitions(ms []migration) map[string]string {
	defs := map[string]string{}
	for _, m := range ms {
		code := sqlCode(m.sql)
		type event struct {
			at     int
			name   string
			create bool
		}
		var events []event
		for _, s := range createFunction.FindAllStringSubmatchIndex(code, -1) {
			events = append(events, event{s[0], qualifiedName(code, s[2:6]), true})
		}
		for _, s := range dropFunction.FindAllStringSubmatchIndex(code, -1) {
			list := code[s[2]:s[3]]
			for argList.MatchString(list) { // argument types may be qualified names too
				list = argList.ReplaceAllString(list, " ")
			}
			for _, part := range strings.Split(list, ",") {
				if d := dropped.FindStringSubmatchIndex(strings.TrimSpace(part)); d != nil {
					events = append(events, event{s[0], qualifiedName(strings.TrimSpace(part), d[2:6]), false})
				}
			}
		}
		sort.Slice(events, func(i, j int) bool { return events[i].at < events[j].at })
		for _, e := range events {
			if e.create {
				defs[e.name] = m.name
			} else {
				delete(defs, e.name)
			}
		}
	}
	return defs
}

// qualifiedName is schema.name from the submatch indexes of an optional schema and a name: an
// unquoted identifier folds to lower case, as PostgreSQL does; no schema means public.
func qualifiedName(s string, idx []int) string {
	part := func(i int) string {
		if idx[i] < 0 {
			return "public"
		}
		id := s[idx[i]:idx[i+1]]
		if strings.HasPrefix(id, `"`) {
			return strings.Trim(id, `"`)
		}
		return strings.ToLower(id)
	}
	return part(0) + "." + part(2)
}

// sqlCode is the SQL with every comment, string literal and dollar-quoted body blanked, so a
// "create function" inside a function's body or a comment is not taken for a definition.
func sqlCode(sql string) string {
	var b strings.Builder
	for i := 0; i < len(sql); {
		skipTo := func(end string, from int) {
			if n := strings.Index(sql[from:], end); n >= 0 {
				i = from + n + len(end)
			} else {
				i = len(sql)
			}
			b.WriteByte(' ')
		}
		rest := sql[i:]
		switch {
		case strings.HasPrefix(rest, "--"):
			skipTo("\n", i)
		case strings.HasPrefix(rest, "/*"):
			skipTo("*/", i+2)
		case rest[0] == '\'':
			skipTo("'", i+1) // '' (an escaped quote) ends one literal and starts the next
		case rest[0] == '"': // a quoted identifier is code
			n := strings.IndexByte(rest[1:], '"')
			if n < 0 {
				n = len(rest) - 2
			}
			b.WriteString(rest[:n+2])
			i += n + 2
		case dollarQuote.MatchString(rest):
			tag := dollarQuote.FindString(rest)
			skipTo(tag, i+len(tag))
		default:
			b.WriteByte(sql[i])
			i++
		}
	}
	return b.String()
}

const functionTableHeader = "| function | caller | does | defined in |"

var (
	docFunctions = regexp.MustCompile("^`[a-z_][a-z0-9_]*(?:\\.[a-z_][a-z0-9_]*)?`(?:, `[a-z_][a-z0-9_]*(?:\\.[a-z_][a-z0-9_]*)?`)*$")
	docFunction  = regexp.MustCompile("`([^`]+)`")
	docMigration = regexp.MustCompile("^`([0-9]{14}_[a-z0-9_]+)`$")
)

// functionTableProblems checks the doc's function tables (each under functionTableHeader)
// against defs from latestDefinitions: every row names functions and exactly one migration, that
// migration holds each one's current definition, and every defined function is listed once.
func functionTableProblems(doc string, defs map[string]string) []string {
	var problems []string
	listed := map[string]bool{}
	inTable := false
	for n, line := range strings.Split(doc, "\n") {
		line = strings.TrimSpace(line)
		if line == functionTableHeader {
			inTable = true
			continue
		}
		if !strings.HasPrefix(line, "|") {
			inTable = false
		}
		if !inTable || strings.HasPrefix(line, "| ---") {
			continue
		}
		at := fmt.Sprintf("line %d", n+1)
		cells := strings.Split(line, "|")
		if len(cells) != 6 || cells[0] != "" || cells[5] != "" {
			problems = append(problems, at+": want 4 cells (function | caller | does | defined in)")
			continue
		}
		names := strings.TrimSpace(cells[1])
		if !docFunctions.MatchString(names) {
			problems = append(problems, fmt.Sprintf("%s: the function cell %q is not a list of `name`s", at, names))
			continue
		}
		where := docMigration.FindStringSubmatch(strings.TrimSpace(cells[4]))
		if where == nil {
			problems = append(problems, fmt.Sprintf("%s: the defined-in cell %q must name exactly one migration (a row lists only functions defined in the same one)", at, strings.TrimSpace(cells[4])))
			continue
		}
		for _, m := range docFunction.FindAllStringSubmatch(names, -1) {
			name := m[1]
			if !strings.Contains(name, ".") {
				name = "public." + name
			}
			got, defined := defs[name]
			switch {
			case listed[name]:
				problems = append(problems, fmt.Sprintf("%s: %s is listed twice", at, name))
			case !defined:
				problems = append(problems, fmt.Sprintf("%s: lists %s in %s, but no migration defines it", at, name, where[1]))
			case got != where[1]:
				problems = append(problems, fmt.Sprintf("%s: says %s is defined in %s; its current definition is in %s (the last migration that creates or replaces it)", at, name, where[1], got))
			}
			listed[name] = true
		}
	}
	var missing []string
	for name, in := range defs {
		if !listed[name] {
			missing = append(missing, fmt.Sprintf("%s (defined in %s) is in no function table", name, in))
		}
	}
	sort.Strings(missing)
	return append(problems, missing...)
}
