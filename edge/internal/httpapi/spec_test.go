package httpapi_test

import (
	"context"
	"strings"
	"testing"

	"github.com/getkin/kin-openapi/openapi3"

	"github.com/octanebridge/octane-bridge/edge/internal/httpapi"
)

func loadSpec(t *testing.T) *openapi3.T {
	t.Helper()
	doc, err := openapi3.NewLoader().LoadFromFile("../../openapi.yaml")
	if err != nil {
		t.Fatalf("edge/openapi.yaml: %v", err)
	}
	if err := doc.Validate(context.Background()); err != nil {
		t.Fatalf("edge/openapi.yaml is not a valid OpenAPI document: %v", err)
	}
	return doc
}

// specPath is the spec's form of an echo route path (/v1/imports/:id → /v1/imports/{id}).
func specPath(p string) string { return echoParam.ReplaceAllString(p, "{$1}") }

// TestSpecDocumentsEveryRoute checks, for every route of the route table, that the spec's operation
// has the route's scope and documents a success with its body and the errors the router can answer
// on that route: 401 and 403 behind a credential (401 only for any-credential routes), 429 when
// rate limited, 400 when it takes a body, and 500 and 503 everywhere but the liveness probe.
func TestSpecDocumentsEveryRoute(t *testing.T) {
	doc := loadSpec(t)
	for _, r := range httpapi.RouteTable(httpapi.Deps{}) {
		name := r.Method + " " + r.Path
		item := doc.Paths.Value(specPath(r.Path))
		if item == nil {
			t.Errorf("%s: no path in edge/openapi.yaml", name)
			continue
		}
		op := item.GetOperation(r.Method)
		if op == nil {
			t.Errorf("%s: no operation in edge/openapi.yaml", name)
			continue
		}
		if scope, _ := op.Extensions["x-scope"].(string); scope != r.Scope {
			t.Errorf("%s: x-scope %q, the route table says %q", name, scope, r.Scope)
		}
		if op.OperationID == "" {
			t.Errorf("%s: no operationId (the generated client types name operations by it)", name)
		}
		var ok2xx bool
		for code, ref := range op.Responses.Map() {
			if !strings.HasPrefix(code, "2") {
				continue
			}
			ok2xx = true
			if code != "204" && (ref.Value == nil || ref.Value.Content.Get("application/json") == nil ||
				ref.Value.Content.Get("application/json").Schema == nil) {
				t.Errorf("%s: the %s answer has no JSON schema", name, code)
			}
		}
		if !ok2xx {
			t.Errorf("%s: no success response documented", name)
		}
		want := []string{}
		if r.Path != "/healthz" {
			want = append(want, "500", "503")
		}
		if r.Scope != httpapi.Public {
			want = append(want, "401")
			if r.Scope != httpapi.Authenticated {
				want = append(want, "403")
			}
		}
		if r.Limit != httpapi.LimitNone {
			want = append(want, "429")
		}
		if op.RequestBody != nil {
			want = append(want, "400")
		}
		for _, code := range want {
			if op.Responses.Value(code) == nil {
				t.Errorf("%s: the spec does not document the %s it can answer", name, code)
			}
		}
	}
}
