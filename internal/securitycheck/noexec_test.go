package securitycheck

import (
	"go/parser"
	"go/token"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

// Threat 25: the bridge's own code starts no program (no os/exec, no syscall exec, no
// os.StartProcess), so no message from the add-on or from Realtime can become a command line.
// (Its stdio allow-list is checked by bridge's TestBridgeOpensNoListeningSocket.)
func TestBridgeStartsNoProgram(t *testing.T) {
	root, err := filepath.Abs(filepath.Join("..", "..", "bridge"))
	if err != nil {
		t.Fatal(err)
	}
	files := 0
	fset := token.NewFileSet()
	err = filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() || !strings.HasSuffix(p, ".go") || strings.HasSuffix(p, "_test.go") {
			return err
		}
		f, err := parser.ParseFile(fset, p, nil, parser.ImportsOnly)
		if err != nil {
			return err
		}
		files++
		for _, imp := range f.Imports {
			path, _ := strconv.Unquote(imp.Path.Value)
			if path == "os/exec" || path == "syscall" || path == "golang.org/x/sys/execabs" {
				src, _ := filepath.Rel(root, p)
				if path == "syscall" && !strings.Contains(readFile(t, p), "Exec") && !strings.Contains(readFile(t, p), "ForkExec") {
					continue // syscall for statfs and the like
				}
				t.Errorf("bridge/%s imports %s", src, path)
			}
		}
		if strings.Contains(readFile(t, p), "os.StartProcess") {
			t.Errorf("%s calls os.StartProcess", p)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if files < 20 {
		t.Fatalf("only %d bridge source files found", files)
	}
}

func readFile(t *testing.T, p string) string {
	t.Helper()
	b, err := os.ReadFile(p)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}
