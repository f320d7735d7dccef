package config

import (
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"testing"
)

// docs/deploy.md is the operator's procedure: these tests keep it in step with the code. Every
// variable the edge reads is named there, every site variable too, and every command it gives from
// this repository exists (make targets, scripts, Go commands, the edge's subcommands), as does every
// link into the docs.

const root = "../../.."

func readDoc(t *testing.T, rel string) string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(root, rel))
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

var braces = regexp.MustCompile(`\{([A-Z0-9_,]+)\}`)

// docNames is every upper-case identifier in backticks, with brace lists expanded
// (`OTEL_{TRACES,METRICS}_EXPORTER` names both).
func docNames(doc string) map[string]bool {
	names := map[string]bool{}
	var expand func(s string)
	expand = func(s string) {
		m := braces.FindStringSubmatchIndex(s)
		if m == nil {
			names[s] = true
			return
		}
		for _, alt := range strings.Split(s[m[2]:m[3]], ",") {
			expand(s[:m[0]] + alt + s[m[1]:])
		}
	}
	for _, span := range regexp.MustCompile("`[^`\n]+`").FindAllString(doc, -1) {
		for _, id := range regexp.MustCompile(`[A-Z][A-Z0-9_]*(?:\{[A-Z0-9_,]+\}[A-Z0-9_]*)*`).FindAllString(span, -1) {
			expand(id)
		}
	}
	return names
}

func TestDeployDocNamesEveryEdgeVariable(t *testing.T) {
	named := docNames(readDoc(t, "docs/deploy.md"))
	read := map[string]bool{}
	// Production with telemetry on: the path that reads the most variables.
	_, _ = Load(func(k string) string {
		read[k] = true
		return map[string]string{"EDGE_ENV": "production", "EDGE_URL": "https://edge.example.com", "OTEL_EXPORTER_OTLP_ENDPOINT": "https://otel.example.com"}[k]
	})
	if len(read) < 30 {
		t.Fatalf("Load read only %d variables", len(read))
	}
	var missing []string
	for k := range read {
		if !named[k] {
			missing = append(missing, k)
		}
	}
	sort.Strings(missing)
	if len(missing) > 0 {
		t.Fatalf("docs/deploy.md does not name the edge variables %v", missing)
	}
}

func TestDeployDocNamesEverySiteVariable(t *testing.T) {
	named := docNames(readDoc(t, "docs/deploy.md"))
	src := readDoc(t, "frontend/lib/env.ts") + readDoc(t, "frontend/instrumentation.ts")
	var missing []string
	for _, k := range regexp.MustCompile(`process\.env\.([A-Z][A-Z0-9_]*)`).FindAllStringSubmatch(src, -1) {
		switch k[1] {
		case "NODE_ENV", "VERCEL_ENV", "VERCEL_GIT_COMMIT_SHA", "NEXT_PUBLIC_SENTRY_DSN": // set by Vercel / kept empty
			continue
		}
		if !named[k[1]] {
			missing = append(missing, k[1])
		}
	}
	if len(missing) > 0 {
		t.Fatalf("docs/deploy.md does not name the site variables %v", missing)
	}
}

func TestDeployDocCommandsExist(t *testing.T) {
	doc := readDoc(t, "docs/deploy.md")
	// Commands are in code: backtick spans and indented blocks ("make sure" in prose is no target).
	var code strings.Builder
	for _, span := range regexp.MustCompile("`[^`\n]+`").FindAllString(doc, -1) {
		code.WriteString(span + "\n")
	}
	for _, line := range strings.Split(doc, "\n") {
		if strings.HasPrefix(line, "    ") {
			code.WriteString(line + "\n")
		}
	}
	makefile := readDoc(t, "Makefile")
	makes := regexp.MustCompile(`\bmake ([a-z][a-z-]*)`).FindAllStringSubmatch(code.String(), -1)
	if len(makes) < 2 {
		t.Fatalf("found only %d make commands in docs/deploy.md", len(makes))
	}
	for _, m := range makes {
		if !regexp.MustCompile(`(?m)^` + regexp.QuoteMeta(m[1]) + `:`).MatchString(makefile) {
			t.Errorf("`make %s`: no such Makefile target", m[1])
		}
	}
	for _, m := range regexp.MustCompile(`\b(scripts/[a-z0-9_.-]+\.(?:sh|mjs|py))`).FindAllStringSubmatch(doc, -1) {
		if _, err := os.Stat(filepath.Join(root, m[1])); err != nil {
			t.Errorf("%s: %v", m[1], err)
		}
	}
	for _, m := range regexp.MustCompile(`go run \./([a-z0-9_/-]+)`).FindAllStringSubmatch(doc, -1) {
		if strings.HasSuffix(m[1], "/") { // `go run ./cmd/…`: the general form
			continue
		}
		if _, err := os.Stat(filepath.Join(root, m[1], "main.go")); err != nil {
			t.Errorf("go run ./%s: no main package there", m[1])
		}
	}
	run := readDoc(t, "edge/run.go")
	for _, m := range regexp.MustCompile("`edge ([a-z][a-z-]+)|go run \\./edge ([a-z][a-z-]+)").FindAllStringSubmatch(doc, -1) {
		cmd := m[1] + m[2]
		if !strings.Contains(run, `case "`+cmd+`"`) {
			t.Errorf("edge %s: not a subcommand of the edge (edge/run.go)", cmd)
		}
	}
}

// slug is GitHub's heading anchor: lower case, punctuation dropped, spaces to hyphens.
func slug(h string) string {
	var b strings.Builder
	for _, r := range strings.ToLower(h) {
		switch {
		case r == ' ':
			b.WriteByte('-')
		case r == '-' || r == '_' || r >= 'a' && r <= 'z' || r >= '0' && r <= '9':
			b.WriteRune(r)
		}
	}
	return b.String()
}

func TestDeployDocLinksResolve(t *testing.T) {
	doc := readDoc(t, "docs/deploy.md")
	anchors := func(file string) map[string]bool {
		out := map[string]bool{}
		for _, h := range regexp.MustCompile(`(?m)^#{1,6} (.+)$`).FindAllStringSubmatch(readDoc(t, file), -1) {
			out[slug(h[1])] = true
		}
		return out
	}
	for _, m := range regexp.MustCompile(`\]\(([a-z0-9_./-]*)(?:#([a-z0-9_-]+))?\)`).FindAllStringSubmatch(doc, -1) {
		file := "docs/deploy.md"
		if m[1] != "" {
			file = filepath.ToSlash(filepath.Clean(filepath.Join("docs", m[1])))
			if _, err := os.Stat(filepath.Join(root, file)); err != nil {
				t.Errorf("link %s: %v", m[0], err)
				continue
			}
		}
		if m[2] != "" && strings.HasSuffix(file, ".md") && !anchors(file)[m[2]] {
			t.Errorf("link %s: %s has no heading #%s", m[0], file, m[2])
		}
	}
}

func TestDocNamesReadsCodeSpansOnly(t *testing.T) {
	got := docNames("`OTEL_{TRACES,METRICS}_EXPORTER=none`, METRICS_ADDR in prose, `EDGE_URL` and `S3_REGION`")
	for _, k := range []string{"OTEL_TRACES_EXPORTER", "OTEL_METRICS_EXPORTER", "EDGE_URL", "S3_REGION"} {
		if !got[k] {
			t.Errorf("%s not found", k)
		}
	}
	if got["METRICS_ADDR"] {
		t.Error("a name outside backticks counted")
	}
	if slug("Release (`make release` → `scripts/release.sh`)") != "release-make-release--scriptsreleasesh" {
		t.Errorf("slug = %q", slug("Release (`make release` → `scripts/release.sh`)"))
	}
}
