package codes

import (
	"bytes"
	"cmp"
	"encoding/json"
	"flag"
	"fmt"
	"go/ast"
	"go/format"
	"go/parser"
	"go/token"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"

	"go.yaml.in/yaml/v3"

	"github.com/octanebridge/octane-bridge/schemas"
)

var update = flag.Bool("update", false, "rewrite codes_gen.go from schemas/codes.json")

// constName turns HASH_MISMATCH into HashMismatch.
func constName(c Code) string {
	var b strings.Builder
	for _, w := range strings.Split(string(c), "_") {
		if w == "IO" {
			b.WriteString(w) // an initialism keeps its case
			continue
		}
		b.WriteString(w[:1] + strings.ToLower(w[1:]))
	}
	return b.String()
}

func render(entries []Info) []byte {
	var b bytes.Buffer
	b.WriteString("// Code generated from schemas/codes.json by go generate ./internal/codes; DO NOT EDIT.\n\npackage codes\n\n")
	b.WriteString("// Every code of schemas/codes.json, in its order.\nconst (\n")
	for _, e := range entries {
		fmt.Fprintf(&b, "\t%s Code = %q // %s\n", constName(e.Code), e.Code, strings.Join(e.From, ", "))
	}
	b.WriteString(")\n")
	out, err := format.Source(b.Bytes())
	if err != nil {
		panic(err)
	}
	return out
}

// renderTS is the site's frontend/lib/codes.gen.ts: the codes as a const object and its type,
// and the site's part of each entry (the site builds from frontend/ alone, so it carries a copy
// that this test and tests/unit/codes.test.ts keep equal to the file).
func renderTS(entries []Info) []byte {
	var b bytes.Buffer
	b.WriteString("// Code generated from schemas/codes.json by go generate ./internal/codes; DO NOT EDIT.\n\n")
	b.WriteString("/** Every code of schemas/codes.json: spell codes as Code.X (tests/unit/codes.test.ts). */\nexport const Code = {\n")
	for _, e := range entries {
		fmt.Fprintf(&b, "  %s: %q,\n", e.Code, e.Code)
	}
	b.WriteString("} as const;\n\nexport type Code = (typeof Code)[keyof typeof Code];\n\n")
	b.WriteString("export type CodeAction = { label: string; href: string };\n")
	b.WriteString("export type CodeInfo = {\n  code: string;\n  from: string[];\n  status?: number;\n  retryable: boolean;\n  web?: string;\n  action?: CodeAction;\n  on_import?: { web: string; action?: CodeAction };\n};\n\n")
	b.WriteString("/** The site's part of each entry: what it shows and links to for a code. */\nexport const codeEntries: CodeInfo[] = [\n")
	for _, e := range entries {
		site := Info{Code: e.Code, From: e.From, Status: e.Status, Retryable: e.Retryable, Web: e.Web, Action: e.Action, OnImport: e.OnImport}
		line, err := json.Marshal(site)
		if err != nil {
			panic(err)
		}
		fmt.Fprintf(&b, "  %s,\n", line)
	}
	b.WriteString("];\n")
	return b.Bytes()
}

// The constants are the file: every entry has one, and there are no others (Go and TypeScript).
func TestGeneratedConstantsMatchTheFile(t *testing.T) {
	for _, g := range []struct {
		path string
		want []byte
	}{
		{"codes_gen.go", render(All())},
		{filepath.Join("..", "..", "frontend", "lib", "codes.gen.ts"), renderTS(All())},
	} {
		if *update {
			if err := os.WriteFile(g.path, g.want, 0o644); err != nil {
				t.Fatal(err)
			}
		}
		got, err := os.ReadFile(g.path)
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(got, g.want) {
			t.Fatalf("%s is stale: run go generate ./internal/codes", g.path)
		}
	}
}

var (
	reCode    = regexp.MustCompile(`^[A-Z][A-Z0-9]*(_[A-Z0-9]+)*$`)
	producers = []string{"edge", "sql", "import", "bridge", "addon", "protocol", "realtime", "vetting", "edgeclient", "download", "extract", "cache", "package"}
)

func TestEveryEntryIsComplete(t *testing.T) {
	if _, err := parse(schemas.Codes); err != nil {
		t.Fatal(err)
	}
	if len(All()) < 50 {
		t.Fatalf("%d codes", len(All()))
	}
	for _, e := range All() {
		if !reCode.MatchString(string(e.Code)) || len(e.From) == 0 {
			t.Errorf("%s: bad code or no producer", e.Code)
		}
		for _, p := range e.From {
			if !slices.Contains(producers, p) {
				t.Errorf("%s: unknown producer %q", e.Code, p)
			}
		}
		if e.Code.From("edge") != (e.Status >= 400 && e.Status <= 599) {
			t.Errorf("%s: an edge code has an HTTP status, and only an edge code", e.Code)
		}
		if e.Code.From("import") && e.Web == "" && e.Code != ImportGone && e.Code != InternalError {
			t.Errorf("%s: an import failure shows a sentence on the web", e.Code)
		}
		if e.Code.From("vetting") && (e.Web == "" || e.ReportedAs != PackageUnsafe) {
			t.Errorf("%s: a vetting problem shows the operator a sentence and refuses the publish job as PACKAGE_UNSAFE", e.Code)
		}
		if e.ReportedAs != "" && !e.ReportedAs.From("import") && !e.ReportedAs.From("edge") {
			t.Errorf("%s: reported as %s, which is no import or edge code", e.Code, e.ReportedAs)
		}
		for _, s := range []string{e.Web, e.Blender} {
			if s != "" && (!strings.HasSuffix(s, ".") || strings.ToUpper(s[:1]) != s[:1]) {
				t.Errorf("%s: %q is not a sentence", e.Code, s)
			}
		}
		if a := e.Action; a != nil && (a.Label == "" || !strings.HasPrefix(a.Href, "/")) {
			t.Errorf("%s: action %+v", e.Code, a)
		}
	}
	if InternalError.Status() != 500 || RateLimitExceeded.Status() != 429 || HashMismatch.Status() != 500 {
		t.Fatal("Status")
	}
	if !DownloadFailed.Retryable() || HashMismatch.Retryable() {
		t.Fatal("Retryable")
	}
	if _, ok := Lookup("NOPE"); ok || Code("NOPE").Blender() != "" {
		t.Fatal("unknown code")
	}
}

// foreign codes are other systems' and may be spelled where they are read or, in the stand-in,
// spoken: PostgreSQL's SQLSTATE P0001 (raise_exception) and PostgREST's PGRSTnnn.
var (
	foreign   = regexp.MustCompile(`^(P[0-9]{4}|PGRST[0-9]{3})$`)
	reSQLCode = regexp.MustCompile(`(?i)(?:raise\s+exception\s+|error_code\s*=\s*|(?:hint|errcode|message)\s*=\s*)'([A-Z][A-Z0-9_]+)'`)
)

// TestNoCodeLiteralsOutsideTheFile reads every Go source of the module (tests aside): a string
// literal that is a code of the file must be spelled with its constant, wherever it appears, and an
// UPPER_SNAKE literal used as a code (a Code field, a variable named code, compared with or
// switched on one, converted to a Code, passed where a function's parameter named code goes)
// must be in the file.
func TestNoCodeLiteralsOutsideTheFile(t *testing.T) {
	root := filepath.Join("..", "..")
	skip := map[string]bool{"node_modules": true, "frontend": true, "dist": true, "testdata": true}
	fset := token.NewFileSet()
	var files []*ast.File
	err := filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() {
			if p != root && (skip[d.Name()] || strings.HasPrefix(d.Name(), ".") || p == filepath.Join(root, "local")) {
				return filepath.SkipDir
			}
			return nil
		}
		if !strings.HasSuffix(p, ".go") || strings.HasSuffix(p, "_test.go") || strings.HasSuffix(p, "codes_gen.go") {
			return nil
		}
		f, err := parser.ParseFile(fset, p, nil, parser.SkipObjectResolution)
		if err != nil {
			return err
		}
		files = append(files, f)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(files) < 100 {
		t.Fatalf("read only %d Go files", len(files))
	}
	params := paramsOf(files)
	for _, f := range files {
		for _, v := range codeLiterals(f, params) {
			pos := fset.Position(v.lit.Pos())
			s, _ := strconv.Unquote(v.lit.Value)
			if _, ok := Lookup(s); ok {
				t.Errorf("%s:%d: %q is a code: spell it codes.%s", pos.Filename, pos.Line, s, constName(Code(s)))
			} else if v.asCode && !foreign.MatchString(s) {
				t.Errorf("%s:%d: %q is used as a code but schemas/codes.json does not list it", pos.Filename, pos.Line, s)
			}
		}
	}
}

// paramsOf maps each function name of the module (a declared function or method, or a function
// literal assigned to a name) to its parameter lists, so a literal passed to a call can be
// matched with the parameter it fills; a parameter of a type named Code counts as named code.
// go/ast has no types: a name declared twice keeps both.
func paramsOf(files []*ast.File) map[string][][]string {
	out := map[string][][]string{}
	names := func(ft *ast.FuncType) []string {
		var ns []string
		for _, fl := range ft.Params.List {
			typed := ""
			if id, ok := fl.Type.(*ast.Ident); ok && id.Name == "Code" {
				typed = "code"
			} else if sel, ok := fl.Type.(*ast.SelectorExpr); ok && sel.Sel.Name == "Code" {
				typed = "code"
			}
			if len(fl.Names) == 0 {
				ns = append(ns, typed)
			}
			for _, n := range fl.Names {
				ns = append(ns, cmp.Or(typed, n.Name))
			}
		}
		return ns
	}
	for _, f := range files {
		ast.Inspect(f, func(n ast.Node) bool {
			switch x := n.(type) {
			case *ast.FuncDecl:
				out[x.Name.Name] = append(out[x.Name.Name], names(x.Type))
			case *ast.AssignStmt:
				for i, r := range x.Rhs {
					if fl, ok := r.(*ast.FuncLit); ok && i < len(x.Lhs) {
						if id, ok := x.Lhs[i].(*ast.Ident); ok {
							out[id.Name] = append(out[id.Name], names(fl.Type))
						}
					}
				}
			case *ast.ValueSpec:
				for i, r := range x.Values {
					if fl, ok := r.(*ast.FuncLit); ok && i < len(x.Names) {
						out[x.Names[i].Name] = append(out[x.Names[i].Name], names(fl.Type))
					}
				}
			}
			return true
		})
	}
	return out
}

type found struct {
	lit    *ast.BasicLit
	asCode bool
}

// codeLiterals finds the UPPER_SNAKE string literals of f and whether each is used as a code;
// params is paramsOf the module.
func codeLiterals(f *ast.File, params map[string][][]string) []found {
	var out []found
	var stack []ast.Node
	ast.Inspect(f, func(n ast.Node) bool {
		if n == nil {
			stack = stack[:len(stack)-1]
			return true
		}
		switch x := n.(type) {
		case *ast.ImportSpec:
			return false
		case *ast.Field:
			if x.Tag != nil {
				ast.Inspect(x.Type, func(ast.Node) bool { return true })
			}
		case *ast.BasicLit:
			if s, err := strconv.Unquote(x.Value); err == nil && x.Kind == token.STRING && len(s) >= 3 && reCode.MatchString(s) {
				if parentField, ok := parentOf(stack).(*ast.Field); !ok || parentField.Tag != x {
					out = append(out, found{x, usedAsCode(stack, x, params)})
				}
			}
		}
		stack = append(stack, n)
		return true
	})
	return out
}

func parentOf(stack []ast.Node) ast.Node {
	if len(stack) == 0 {
		return nil
	}
	return stack[len(stack)-1]
}

// mentionsCode says whether e names a code: code, Code, e.Code, CodeOf(err), pe.Message.
func mentionsCode(e ast.Expr) bool {
	switch x := e.(type) {
	case *ast.Ident:
		n := strings.ToLower(x.Name)
		return strings.HasPrefix(n, "code") || strings.HasSuffix(n, "code")
	case *ast.SelectorExpr:
		return mentionsCode(x.Sel) || x.Sel.Name == "Message"
	case *ast.CallExpr:
		return mentionsCode(x.Fun)
	case *ast.ParenExpr:
		return mentionsCode(x.X)
	}
	return false
}

func usedAsCode(stack []ast.Node, lit *ast.BasicLit, params map[string][][]string) bool {
	for i := len(stack) - 1; i >= 0; i-- {
		switch p := stack[i].(type) {
		case *ast.KeyValueExpr:
			return mentionsCode(p.Key)
		case *ast.BinaryExpr:
			if p.Op == token.EQL || p.Op == token.NEQ {
				return mentionsCode(p.X) || mentionsCode(p.Y)
			}
			return false
		case *ast.CaseClause:
			if i > 1 {
				if sw, ok := stack[i-2].(*ast.SwitchStmt); ok && sw.Tag != nil {
					return mentionsCode(sw.Tag)
				}
				if sw, ok := stack[i-2].(*ast.SwitchStmt); ok && sw.Init != nil {
					if as, ok := sw.Init.(*ast.AssignStmt); ok {
						return slices.ContainsFunc(as.Lhs, mentionsCode)
					}
				}
			}
			return false
		case *ast.AssignStmt:
			return slices.ContainsFunc(p.Lhs, mentionsCode)
		case *ast.ValueSpec:
			for _, n := range p.Names {
				if mentionsCode(n) {
					return true
				}
			}
			return false
		case *ast.CallExpr:
			var arg ast.Node = lit
			if i+1 < len(stack) {
				arg = stack[i+1]
			}
			return codeArgument(p, arg, params)
		case *ast.CompositeLit, *ast.FuncDecl, *ast.ReturnStmt:
			return false
		}
	}
	return false
}

// codeArgument says whether arg, an argument of call, is a code: converted to a Code, or passed
// where a parameter named code goes (add("X", ...) with add := func(code, db, msg string)).
func codeArgument(call *ast.CallExpr, arg ast.Node, params map[string][][]string) bool {
	var name string
	switch f := call.Fun.(type) {
	case *ast.Ident:
		name = f.Name
	case *ast.SelectorExpr:
		name = f.Sel.Name
	default:
		return false
	}
	if name == "Code" {
		return true
	}
	k := slices.IndexFunc(call.Args, func(a ast.Expr) bool { return a == arg })
	if k < 0 {
		return false
	}
	for _, ps := range params[name] {
		if k < len(ps) && ps[k] != "" && mentionsCode(ast.NewIdent(ps[k])) {
			return true
		}
	}
	return false
}

// A code raised by a SQL function (its message, hint or errcode) or written into
// imports.error_code is in the file as "sql".
func TestSQLRaisesOnlyCodesOfTheFile(t *testing.T) {
	paths, err := filepath.Glob(filepath.Join("..", "..", "supabase", "migrations", "*.sql"))
	if err != nil || len(paths) == 0 {
		t.Fatal("no migrations", err)
	}
	n := 0
	for _, p := range paths {
		b, err := os.ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		for _, c := range sqlCodes(string(b)) {
			n++
			if i, ok := Lookup(c); !ok || !i.Code.From("sql") {
				t.Errorf("%s: %s is not an sql code of schemas/codes.json", filepath.Base(p), c)
			}
		}
	}
	if n < 5 {
		t.Fatalf("found %d codes in the migrations", n)
	}
}

// sqlCodes finds the UPPER_SNAKE codes a migration raises (as the message, or as the hint,
// errcode or message of "using") or stores as an import's error_code; SQLSTATEs are PostgreSQL's.
func sqlCodes(sql string) []string {
	var out []string
	for _, m := range reSQLCode.FindAllStringSubmatch(sql, -1) {
		if !foreign.MatchString(m[1]) && !isSQLState(m[1]) {
			out = append(out, m[1])
		}
	}
	return out
}

// isSQLState: an errcode may be PostgreSQL's five-character SQLSTATE ('42501', 'P0001'), which
// always holds a digit.
func isSQLState(s string) bool { return len(s) == 5 && strings.ContainsAny(s, "0123456789") }

func TestTheSQLScanFindsHints(t *testing.T) {
	src := `raise exception 'NOT_FOUND' using errcode = 'P0001';
raise exception 'versions are immutable' using errcode = 'P0001', hint = 'IN_A_HINT';
raise exception using message = 'IN_A_MESSAGE', errcode = '42501';
raise exception 'x' using errcode = 'AN_ERRCODE';
update imports set error_code = 'STORED', status = 'FAILED' where id = 1;`
	if got, want := sqlCodes(src), []string{"NOT_FOUND", "IN_A_HINT", "IN_A_MESSAGE", "AN_ERRCODE", "STORED"}; !slices.Equal(got, want) {
		t.Fatalf("found %v, want %v", got, want)
	}
}

// The scan sees a code spelled as a string anywhere and a made-up code used as one.
func TestTheScanFindsCodeLiterals(t *testing.T) {
	src := `package x
type E struct{ Code string; Env string }
func fail(code Code, msg string) error { return nil }
func mk(c apierror.Code, s string) error { return nil }
func f(code string, e E) bool {
	_ = E{Code: "MADE_UP_CODE", Env: "SOME_ENV_NAME"}
	e.Code = "ALSO_MADE_UP"
	switch code {
	case "IN_A_SWITCH":
	}
	_ = "NOT_FOUND"
	log("PACKAGE_UNSAFE", "A_LOG_WORD")
	add := func(code, db, msg string) {}
	add("PASSED_AS_CODE", "NOT_A_CODE_PARAM", "m")
	_ = fail("DECLARED_PARAM", "m")
	_ = mk("TYPED_PARAM", "OTHER_PARAM")
	_ = codes.Code("CONVERTED")
	return CodeOf(nil) == "COMPARED"
}`
	f, err := parser.ParseFile(token.NewFileSet(), "x.go", src, 0)
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]bool{}
	for _, v := range codeLiterals(f, paramsOf([]*ast.File{f})) {
		s, _ := strconv.Unquote(v.lit.Value)
		got[s] = v.asCode
	}
	want := map[string]bool{"MADE_UP_CODE": true, "SOME_ENV_NAME": false, "ALSO_MADE_UP": true, "IN_A_SWITCH": true,
		"NOT_FOUND": false, "PACKAGE_UNSAFE": false, "A_LOG_WORD": false, "PASSED_AS_CODE": true, "NOT_A_CODE_PARAM": false,
		"DECLARED_PARAM": true, "TYPED_PARAM": true, "OTHER_PARAM": false, "CONVERTED": true, "COMPARED": true}
	for s, asCode := range want {
		if g, ok := got[s]; !ok || g != asCode {
			t.Errorf("%s: found %v, as code %v; want as code %v", s, ok, g, asCode)
		}
	}
	// A code of the file is reported wherever it is spelled, even where it is not used as one.
	for _, s := range []string{"NOT_FOUND", "PACKAGE_UNSAFE"} {
		if _, ok := Lookup(s); !ok {
			t.Errorf("%s is no code of the file: the case proves nothing", s)
		}
	}
}

// edge/openapi.yaml lists the edge's error codes for API clients: exactly the file's "edge" codes.
func TestOpenAPIListsTheEdgeCodes(t *testing.T) {
	b, err := os.ReadFile(filepath.Join("..", "..", "edge", "openapi.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	var spec struct {
		Components struct {
			Schemas struct {
				Error struct {
					Properties struct {
						Error struct {
							Properties struct {
								Code struct {
									Enum []string `yaml:"enum"`
								} `yaml:"code"`
							} `yaml:"properties"`
						} `yaml:"error"`
					} `yaml:"properties"`
				} `yaml:"Error"`
			} `yaml:"schemas"`
		} `yaml:"components"`
	}
	if err := yaml.Unmarshal(b, &spec); err != nil {
		t.Fatal(err)
	}
	var want []string
	for _, e := range All() {
		if e.Code.From("edge") {
			want = append(want, string(e.Code))
		}
	}
	if got := spec.Components.Schemas.Error.Properties.Error.Properties.Code.Enum; !slices.Equal(got, want) {
		t.Fatalf("edge/openapi.yaml error codes %v; schemas/codes.json's edge codes %v", got, want)
	}
}
