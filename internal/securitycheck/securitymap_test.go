package securitycheck

import (
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
)

// threatRows is the number of rows of the threat model (../shared/research/security.md §9).
const threatRows = 42

// docs/security.md maps every threat row to its tests, and the map is true: every row is either
// in its table or named not applicable, every Go test or fuzz target and every add-on pytest it
// names exists, and every pgTAP file it names is in supabase/tests.
func TestSecurityMapIsTrue(t *testing.T) {
	root, err := filepath.Abs(filepath.Join("..", ".."))
	if err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(filepath.Join(root, "docs", "security.md"))
	if err != nil {
		t.Fatal(err)
	}
	doc := string(b)

	covered := map[int]bool{}
	reNum := regexp.MustCompile(`\d+`)
	for _, line := range strings.Split(doc, "\n") {
		if !strings.HasPrefix(line, "| ") {
			continue
		}
		label := strings.TrimSpace(strings.Split(line, "|")[1])
		if strings.Contains(label, "+") { // an extra row (12+, 41+): the threat it extends is its own row
			continue
		}
		nums := reNum.FindAllString(label, -1)
		if strings.Contains(label, "–") && len(nums) == 2 {
			a, _ := strconv.Atoi(nums[0])
			z, _ := strconv.Atoi(nums[1])
			for i := a; i <= z; i++ {
				covered[i] = true
			}
			continue
		}
		for _, n := range nums {
			i, _ := strconv.Atoi(n)
			covered[i] = true
		}
	}
	if i := strings.Index(doc, "Not applicable to what is built:"); i >= 0 {
		para := doc[i:]
		if j := strings.Index(para, "\n\n"); j >= 0 {
			para = para[:j]
		}
		for _, n := range regexp.MustCompile(`threats? ((?:\d+(?:, | and )?)+)|and (\d+) \(`).FindAllStringSubmatch(para, -1) {
			for _, m := range reNum.FindAllString(n[0], -1) {
				i, _ := strconv.Atoi(m)
				covered[i] = true
			}
		}
	}
	for i := 1; i <= threatRows; i++ {
		if !covered[i] {
			t.Errorf("threat row %d is neither mapped nor named not applicable", i)
		}
	}

	// Every Go test and fuzz target named exists.
	funcs := map[string]bool{}
	reFunc := regexp.MustCompile(`(?m)^func ((?:Test|Fuzz)\w+)\(`)
	rePy := regexp.MustCompile(`(?m)^def (test_\w+)\(`)
	err = filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() && (d.Name() == "node_modules" || d.Name() == ".local" || d.Name() == ".git") {
			return filepath.SkipDir
		}
		if !d.IsDir() && strings.HasSuffix(p, ".py") && strings.HasPrefix(d.Name(), "test_") {
			src, err := os.ReadFile(p)
			if err != nil {
				return err
			}
			for _, m := range rePy.FindAllStringSubmatch(string(src), -1) {
				funcs[m[1]] = true
			}
		}
		if !d.IsDir() && strings.HasSuffix(p, "_test.go") {
			src, err := os.ReadFile(p)
			if err != nil {
				return err
			}
			for _, m := range reFunc.FindAllStringSubmatch(string(src), -1) {
				funcs[m[1]] = true
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	named := regexp.MustCompile("`((?:Test|Fuzz)[A-Za-z0-9_]+|test_[a-z0-9_]+)`").FindAllStringSubmatch(doc, -1)
	if len(named) < 50 {
		t.Fatalf("only %d test names found in docs/security.md", len(named))
	}
	for _, m := range named {
		if !funcs[m[1]] {
			t.Errorf("docs/security.md names %s, which no test file defines", m[1])
		}
	}
	for _, m := range regexp.MustCompile("pgTAP `([0-9]{2}_[a-z_]+)`").FindAllStringSubmatch(doc, -1) {
		if _, err := os.Stat(filepath.Join(root, "supabase", "tests", m[1]+".sql")); err != nil {
			t.Errorf("docs/security.md names pgTAP %s, which is not in supabase/tests", m[1])
		}
	}
}
