// Package securitycheck holds source-level checks of the threat model (docs/security.md) that
// no single package owns.
package securitycheck

import (
	"go/ast"
	"go/parser"
	"go/token"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
)

// secretName matches the names of values that must only be compared in constant time. Plain
// "key" and "token" are left out: object keys, map keys and the bridge's own cached JWT are
// compared with == all the time, and a rule that cries wolf gets switched off.
var secretName = regexp.MustCompile(`(?i)(mac|sig|signature|secret|digest|hash|pepper|checksum|(secret|hmac|api|signing)key|(jwt|access|import|refresh)token)$`)

// benign are comparisons the rule matches that compare no secret with attacker input, by
// "file: left op right", each with its reason.
var benign = []string{}

func exprName(e ast.Expr) string {
	switch x := e.(type) {
	case *ast.Ident:
		return x.Name
	case *ast.SelectorExpr:
		return x.Sel.Name
	case *ast.CallExpr:
		switch f := x.Fun.(type) {
		case *ast.Ident:
			if f.Name == "string" && len(x.Args) == 1 { // string(mac)
				return exprName(x.Args[0])
			}
			return f.Name // Hash(pepper, secret)
		case *ast.SelectorExpr:
			if f.Sel.Name == "EncodeToString" && len(x.Args) == 1 { // hex.EncodeToString(mac)
				return exprName(x.Args[0])
			}
			return f.Sel.Name // h.Sum(nil), apikey.Hash(...)
		}
	}
	return ""
}

// trivial operands cannot leak a secret by timing: literals, nil, booleans, len(...), []byte("lit").
func trivial(e ast.Expr) bool {
	switch x := e.(type) {
	case *ast.BasicLit:
		return true
	case *ast.Ident:
		return x.Name == "nil" || x.Name == "true" || x.Name == "false"
	case *ast.CallExpr:
		if id, ok := x.Fun.(*ast.Ident); ok && id.Name == "len" {
			return true
		}
		if len(x.Args) == 1 {
			_, lit := x.Args[0].(*ast.BasicLit)
			return lit
		}
	}
	return false
}

// variableTimeCompares lists ==, != and bytes.Equal on secret-named operands in one file.
func variableTimeCompares(fset *token.FileSet, f *ast.File, rel string) []string {
	var out []string
	ast.Inspect(f, func(n ast.Node) bool {
		switch x := n.(type) {
		case *ast.BinaryExpr:
			if (x.Op == token.EQL || x.Op == token.NEQ) && !trivial(x.X) && !trivial(x.Y) {
				a, b := exprName(x.X), exprName(x.Y)
				if secretName.MatchString(a) || secretName.MatchString(b) {
					out = append(out, rel+": "+a+" "+x.Op.String()+" "+b)
				}
			}
		case *ast.CallExpr:
			s, ok := x.Fun.(*ast.SelectorExpr)
			if !ok {
				break
			}
			if id, isID := s.X.(*ast.Ident); isID && id.Name == "bytes" && s.Sel.Name == "Equal" && len(x.Args) == 2 &&
				!trivial(x.Args[0]) && !trivial(x.Args[1]) {
				out = append(out, rel+": bytes.Equal "+fset.Position(x.Pos()).String())
			}
		}
		return true
	})
	return out
}

// Threat 29: secrets (MACs, signatures, hashes of keys, tokens, peppers) are compared with
// hmac.Equal or subtle.ConstantTimeCompare, never with == or bytes.Equal, in every program that
// checks a secret (edge, bridge, stand-in, shared code); the places that verify MACs and API key
// hashes do use a constant-time compare.
func TestSecretsAreComparedInConstantTime(t *testing.T) {
	root, err := filepath.Abs(filepath.Join("..", ".."))
	if err != nil {
		t.Fatal(err)
	}
	fset := token.NewFileSet()
	var found []string
	constantTime := map[string]bool{}
	for _, dir := range []string{"edge", "bridge", "internal", "supabase/local", "cmd"} {
		err := filepath.WalkDir(filepath.Join(root, dir), func(p string, d fs.DirEntry, err error) error {
			if err != nil {
				return err
			}
			if d.IsDir() && (d.Name() == "node_modules" || d.Name() == "testdata") {
				return filepath.SkipDir
			}
			if d.IsDir() || !strings.HasSuffix(p, ".go") || strings.HasSuffix(p, "_test.go") {
				return nil
			}
			f, err := parser.ParseFile(fset, p, nil, 0)
			if err != nil {
				return err
			}
			rel, _ := filepath.Rel(root, p)
			rel = filepath.ToSlash(rel)
			src, _ := os.ReadFile(p)
			if strings.Contains(string(src), "hmac.Equal(") || strings.Contains(string(src), "subtle.ConstantTimeCompare(") {
				constantTime[rel] = true
			}
			for _, c := range variableTimeCompares(fset, f, rel) {
				if !slices.Contains(benign, c) {
					found = append(found, c)
				}
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
	}
	for _, c := range found {
		t.Errorf("variable-time comparison of a secret-named value: %s (use hmac.Equal, or list it in benign with a reason)", c)
	}
	for _, f := range []string{"edge/internal/token/token.go", "edge/internal/apikey/apikey.go"} {
		if !constantTime[f] {
			t.Errorf("%s verifies a MAC or a key hash without hmac.Equal", f)
		}
	}
}

// The rule sees what it is meant to see.
func TestConstantTimeRuleFindsVariableTimeCompares(t *testing.T) {
	src := `package x
import "bytes"
func f(mac, want []byte, sig, s string, apiKey struct{ Hash string }) bool {
	if string(mac) == string(want) { return true }
	if bytes.Equal(mac, want) { return true }
	if sig != s { return false }
	if apiKey.Hash == s { return true }
	if Hash(s, sig) == s { return true }
	if sig == "" || len(mac) == 0 || bytes.Equal(mac, []byte("null")) { return false }
	return false
}`
	fset := token.NewFileSet()
	f, err := parser.ParseFile(fset, "x.go", src, 0)
	if err != nil {
		t.Fatal(err)
	}
	got := variableTimeCompares(fset, f, "x.go")
	if len(got) != 5 {
		t.Fatalf("found %d, want 5 (string(mac) == string(want), bytes.Equal(mac, want), sig != s, apiKey.Hash == s, Hash(…) == s): %v", len(got), got)
	}
}
