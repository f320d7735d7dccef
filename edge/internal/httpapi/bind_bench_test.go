package httpapi

import (
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/labstack/echo/v4"

	"github.com/octanebridge/octane-bridge/edge/internal/imports"
)

// BenchmarkBind binds the body of POST /v1/imports, the edge's hottest JSON route:
// go test ./edge/internal/httpapi/ -run XXX -bench Bind
func BenchmarkBind(b *testing.B) {
	e := echo.New()
	body := `{"shader_id":"11111111-1111-4111-8111-111111111111","version":"1.0.0","device_id":null,"resolution":"2k"}`
	b.ReportAllocs()
	for range b.N {
		c := e.NewContext(httptest.NewRequest("POST", "/v1/imports", strings.NewReader(body)), nil)
		var in imports.CreateRequest
		if err := Bind(c, &in); err != nil {
			b.Fatal(err)
		}
	}
}
