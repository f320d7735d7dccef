package main

import (
	"fmt"
	"go/ast"
	"go/parser"
	"go/token"
	"go/types"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
)

// The edge's layout rules (issue 15 item 4; docs/architecture.md "The edge"), checked on its
// sources rather than by review:
//   - configuration is read from the environment only by main.go, into config.Load;
//   - a request body is decoded only by httpapi.Bind;
//   - only httpapi, billing and storage (their handlers) and run.go import Echo, and only run.go
//     imports httpapi.
func TestEdgeLayout(t *testing.T) {
	fset := token.NewFileSet()
	seen := map[string]bool{}
	var files int
	err := filepath.WalkDir(".", func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() && d.Name() == "testdata" {
			return filepath.SkipDir
		}
		if d.IsDir() || !strings.HasSuffix(p, ".go") || strings.HasSuffix(p, "_test.go") {
			return nil
		}
		src, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		files++
		for _, v := range checkLayout(t, fset, filepath.ToSlash(p), string(src), seen) {
			t.Error(v)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if files < 40 {
		t.Fatalf("only %d edge source files found", files)
	}
	// An exception nothing uses any more is one a future change could use unreviewed.
	for fn := range bodyReaders {
		if !seen[fn] {
			t.Errorf("%s no longer reads the request body: drop its exception", fn)
		}
	}
}

// The checker itself: each fixture's lines marked "// want" are exactly the ones it reports.
func TestEdgeLayoutChecker(t *testing.T) {
	fixtures := map[string]string{
		"internal/imports/env.go": `package imports
import (
	"os"
	o "os"
	"syscall"
)
var get = os.Getenv // want
func f() {
	_, _ = o.LookupEnv("X") // want
	_ = os.Environ() // want
	_, _ = syscall.Getenv("X") // want
	_ = os.ExpandEnv("$X") // want
}`,
		"internal/config/env.go": `package config
import "os"
func f() string { return os.Getenv("X") }`,
		"main.go": `package main
import "os"
var get = os.Getenv`,
		"internal/httpapi/body.go": `package httpapi
import (
	"encoding/json"
	"io"
	"net/http"
	"github.com/labstack/echo/v4"
)
func Bind(c echo.Context, v any) error { return json.NewDecoder(c.Request().Body).Decode(v) }
func a(c echo.Context, v any) error {
	c.Request().Body = http.MaxBytesReader(c.Response(), c.Request().Body, 1)
	_ = c.Bind(v) // want
	_ = c.FormValue("x") // want
	_, _ = io.ReadAll(c.Request().Body) // want
	r := c.Request()
	_ = json.NewDecoder(r.Body).Decode(v) // want
	c.Request().Body = io.NopCloser(nil) // want
	return (&echo.DefaultBinder{}).BindBody(c, v) // want
}
func h(w http.ResponseWriter, req *http.Request) { _, _ = io.ReadAll(req.Body) } // want
func client(resp *http.Response) { _, _ = io.ReadAll(resp.Body) }`,
		"internal/storage/webhook.go": `package storage
import (
	"io"
	"github.com/labstack/echo/v4"
)
type Service struct{}
func (s *Service) Webhook(c echo.Context) { _, _ = io.ReadAll(c.Request().Body) } // want`,
		"internal/devices/http.go": `package devices
import (
	"github.com/labstack/echo/v4" // want
	"github.com/octanebridge/octane-bridge/edge/internal/httpapi" // want
)`,
		"internal/billing/http.go": `package billing
import (
	"io"
	"github.com/labstack/echo/v4"
	"github.com/octanebridge/octane-bridge/edge/internal/httpapi" // want
)
type Service struct{}
func (s *Service) Webhook(c echo.Context) { _, _ = io.ReadAll(c.Request().Body) }`,
	}
	for name, src := range fixtures {
		var want []string
		for i, line := range strings.Split(src, "\n") {
			if strings.HasSuffix(line, "// want") {
				want = append(want, fmt.Sprintf("edge/%s:%d", name, i+1))
			}
		}
		var got []string
		for _, v := range checkLayout(t, token.NewFileSet(), name, src, map[string]bool{}) {
			got = append(got, v[:strings.Index(v, ": ")])
		}
		if !slices.Equal(got, want) {
			t.Errorf("%s: reported %v, want %v", name, got, want)
		}
	}
}

const module = "github.com/octanebridge/octane-bridge/"

// bodyReaders are the functions that may read a request body themselves: the binder, and the
// Stripe webhook, which reads it raw (capped) because the Stripe-Signature HMAC is over exactly
// the bytes Stripe sent: a decoded body cannot be verified.
var bodyReaders = map[string]bool{
	"internal/httpapi.Bind":               true,
	"internal/billing.(*Service).Webhook": true,
}

// bodyMethods read (or parse) the request body: Echo's binders and forms, net/http's forms.
var bodyMethods = map[string]bool{"Bind": true, "BindBody": true, "FormValue": true, "FormParams": true,
	"FormFile": true, "MultipartForm": true, "ParseForm": true, "ParseMultipartForm": true,
	"PostFormValue": true, "MultipartReader": true}

// checkLayout reports, as "edge/<file>:<line>: <rule>", what file rel (a slash path under edge/)
// breaks. seen collects the bodyReaders that read a body.
func checkLayout(t *testing.T, fset *token.FileSet, rel, src string, seen map[string]bool) []string {
	t.Helper()
	f, err := parser.ParseFile(fset, "edge/"+rel, src, 0)
	if err != nil {
		t.Fatal(err)
	}
	dir := path.Dir(rel)
	var out []string
	report := func(n ast.Node, format string, args ...any) {
		pos := fset.Position(n.Pos())
		out = append(out, fmt.Sprintf("%s:%d: %s", pos.Filename, pos.Line, fmt.Sprintf(format, args...)))
	}
	imported := map[string]string{} // local name → import path
	for _, imp := range f.Imports {
		p, _ := strconv.Unquote(imp.Path.Value)
		name := path.Base(p)
		if strings.HasPrefix(p, "github.com/labstack/echo/") {
			name = "echo"
			if dir != "." && dir != "internal/httpapi" && dir != "internal/billing" && dir != "internal/storage" {
				report(imp, "imports %s: a feature package takes context, ids and structs (httpapi holds the handlers)", p)
			}
		}
		if imp.Name != nil {
			name = imp.Name.Name
		}
		imported[name] = p
		if p == module+"edge/internal/httpapi" && dir != "." {
			report(imp, "imports httpapi: only run.go wires the router (the binder is passed in)")
		}
	}
	pkgCall := func(e ast.Expr) (string, string) { // "os", "Getenv" for os.Getenv
		if s, ok := e.(*ast.SelectorExpr); ok {
			if x, ok := s.X.(*ast.Ident); ok {
				return imported[x.Name], s.Sel.Name
			}
		}
		return "", ""
	}
	// The request: c.Request(), or a name bound to it or declared *http.Request.
	requests := map[string]bool{}
	isRequest := func(e ast.Expr) bool {
		switch e := e.(type) {
		case *ast.CallExpr:
			s, ok := e.Fun.(*ast.SelectorExpr)
			return ok && s.Sel.Name == "Request" && len(e.Args) == 0
		case *ast.Ident:
			return requests[e.Name]
		}
		return false
	}
	ast.Inspect(f, func(n ast.Node) bool {
		switch n := n.(type) {
		case *ast.Field:
			if st, ok := n.Type.(*ast.StarExpr); ok {
				if p, name := pkgCall(st.X); p == "net/http" && name == "Request" {
					for _, id := range n.Names {
						requests[id.Name] = true
					}
				}
			}
		case *ast.AssignStmt:
			for i, lhs := range n.Lhs {
				if id, ok := lhs.(*ast.Ident); ok && len(n.Rhs) == len(n.Lhs) && isRequest(n.Rhs[i]) {
					requests[id.Name] = true
				}
			}
		}
		return true
	})

	for _, decl := range f.Decls {
		fn := dir + "."
		if d, ok := decl.(*ast.FuncDecl); ok {
			if d.Recv != nil {
				fn += "(" + types.ExprString(d.Recv.List[0].Type) + ")."
			}
			fn += d.Name.Name
		}
		capped := map[ast.Node]bool{} // the body in r.Body = http.MaxBytesReader(w, r.Body, n)
		ast.Inspect(decl, func(n ast.Node) bool {
			switch n := n.(type) {
			case *ast.AssignStmt:
				for i, lhs := range n.Lhs {
					if i >= len(n.Rhs) {
						break
					}
					call, ok := n.Rhs[i].(*ast.CallExpr)
					if !ok {
						continue
					}
					if p, name := pkgCall(call.Fun); p == "net/http" && name == "MaxBytesReader" && len(call.Args) == 3 &&
						types.ExprString(call.Args[1]) == types.ExprString(lhs) {
						capped[lhs], capped[call.Args[1]] = true, true
					}
				}
			case *ast.SelectorExpr:
				if p, name := pkgCall(n); (p == "os" && (name == "Getenv" || name == "LookupEnv" || name == "Environ" || name == "ExpandEnv")) ||
					(p == "syscall" && (name == "Getenv" || name == "Environ")) {
					if rel != "main.go" && dir != "internal/config" {
						report(n, "%s.%s: configuration comes from config.Load, given os.Getenv by main.go", p, name)
					}
				}
				if n.Sel.Name == "Body" && isRequest(n.X) && !capped[n] {
					if bodyReaders[fn] {
						seen[fn] = true
					} else {
						report(n, "%s: decode the request body with httpapi.Bind", types.ExprString(n))
					}
				}
			case *ast.CallExpr:
				if s, ok := n.Fun.(*ast.SelectorExpr); ok && bodyMethods[s.Sel.Name] {
					if x, ok := s.X.(*ast.Ident); !ok || imported[x.Name] != module+"edge/internal/httpapi" {
						report(n, "%s reads the request body: decode it with httpapi.Bind", types.ExprString(s))
					}
				}
			}
			return true
		})
	}
	return out
}
