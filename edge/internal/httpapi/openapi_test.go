package httpapi_test

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"os"
	"regexp"
	"slices"
	"strings"
	"testing"

	"go.yaml.in/yaml/v3"

	"github.com/octanebridge/octane-bridge/edge/internal/httpapi"
	"github.com/octanebridge/octane-bridge/internal/apierror"
)

type specOp struct {
	Scope string `yaml:"x-scope"`
}

type spec struct {
	Paths map[string]map[string]yaml.Node `yaml:"paths"`
}

var echoParam = regexp.MustCompile(`:([A-Za-z_]+)`)

// specRoutes reads edge/openapi.yaml: "METHOD /path/{param}" → x-scope.
func specRoutes(t *testing.T) map[string]string {
	t.Helper()
	raw, err := os.ReadFile("../../openapi.yaml")
	if err != nil {
		t.Fatal(err)
	}
	var s spec
	if err := yaml.Unmarshal(raw, &s); err != nil {
		t.Fatalf("openapi.yaml: %v", err)
	}
	out := map[string]string{}
	for path, item := range s.Paths {
		for method, node := range item {
			switch method {
			case "get", "post", "put", "patch", "delete", "head", "options":
			default:
				continue // parameters, summary, ...
			}
			var op specOp
			if err := node.Decode(&op); err != nil {
				t.Fatalf("%s %s: %v", method, path, err)
			}
			out[strings.ToUpper(method)+" "+path] = op.Scope
		}
	}
	return out
}

// TestOpenAPIMatchesRouter fails when a route is added to the router without the spec, or the
// spec describes a route the router does not serve.
func TestOpenAPIMatchesRouter(t *testing.T) {
	documented := specRoutes(t)
	served := map[string]bool{}
	for _, r := range httpapi.New(httpapi.Deps{}).Routes() {
		served[r.Method+" "+echoParam.ReplaceAllString(r.Path, "{$1}")] = true
	}
	if len(served) == 0 {
		t.Fatal("the router serves no routes")
	}
	for r := range served {
		if _, ok := documented[r]; !ok {
			t.Errorf("%s is served but not in edge/openapi.yaml", r)
		}
	}
	for r, scope := range documented {
		if !served[r] {
			t.Errorf("%s is in edge/openapi.yaml but not served", r)
		}
		if scope == "" {
			t.Errorf("%s has no x-scope in edge/openapi.yaml", r)
		}
	}
}

// TestSpecScopesAreEnforced sends every documented non-public route a request without a
// credential: each must refuse it with AUTH_REQUIRED in the common error body, before any handler
// runs (the router here has no database).
func TestSpecScopesAreEnforced(t *testing.T) {
	h := httpapi.New(httpapi.Deps{})
	keys := make([]string, 0)
	for k := range specRoutes(t) {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	documented := specRoutes(t)
	for _, k := range keys {
		if documented[k] == "public" {
			continue
		}
		method, path, _ := strings.Cut(k, " ")
		path = strings.NewReplacer("{id}", "00000000-0000-4000-8000-000000000000").Replace(path)
		req := httptest.NewRequest(method, path, strings.NewReader("{}"))
		req.Header.Set("Content-Type", "application/json")
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		var body apierror.Body
		if err := json.Unmarshal(rec.Body.Bytes(), &body); err != nil {
			t.Errorf("%s: body %q: %v", k, rec.Body.String(), err)
			continue
		}
		if rec.Code != http.StatusUnauthorized || body.Error.Code != apierror.AuthRequired || body.Error.RequestID == "" {
			t.Errorf("%s without a credential: %d %s", k, rec.Code, rec.Body.String())
		}
	}
}
