package storage

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/octanebridge/octane-bridge/edge/internal/httpapi"
	"github.com/octanebridge/octane-bridge/internal/apierror"
)

func uploadEcho(p *Presigner) *echo.Echo {
	e := echo.New()
	e.HTTPErrorHandler = func(err error, c echo.Context) {
		ae := apierror.From(err)
		_ = c.JSON(ae.Code.Status(), apierror.NewBody(ae, "test"))
	}
	operator := func(c echo.Context) (bool, error) { return c.Request().Header.Get("X-Test-Operator") == "yes", nil }
	h := p.UploadHandlers(operator, time.Minute, httpapi.Bind)
	e.POST("/v1/uploads", h.Create)
	e.POST("/v1/uploads/parts", h.Part)
	e.POST("/v1/uploads/complete", h.Complete)
	e.POST("/v1/uploads/abort", h.Abort)
	return e
}

func call(h http.Handler, path string, operator bool, body any) (int, []byte) {
	b, _ := json.Marshal(body)
	if s, ok := body.(string); ok {
		b = []byte(s)
	}
	req := httptest.NewRequest(http.MethodPost, path, strings.NewReader(string(b)))
	req.Header.Set("Content-Type", "application/json")
	if operator {
		req.Header.Set("X-Test-Operator", "yes")
	}
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	return rec.Code, rec.Body.Bytes()
}

func TestUploadEndpointsForTheOperator(t *testing.T) {
	t.Parallel()
	p := newTestPresigner(t, Limits{PreviewMax: 1 << 20})
	h := uploadEcho(p)
	body := randBytes(t, 3000)
	req := UploadRequest{Kind: KindPreview, ShaderID: slug(), Version: "1.0.0", Size: int64(len(body)), SHA256: hexsum(body)}

	if code, b := call(h, "/v1/uploads", false, req); code != 403 || !strings.Contains(string(b), "INSUFFICIENT_PERMISSIONS") {
		t.Fatalf("non-operator = %d %s", code, b)
	}
	big := req
	big.Size = 1<<20 + 1
	if code, b := call(h, "/v1/uploads", true, big); code != 400 || !strings.Contains(string(b), "INVALID_INPUT") {
		t.Fatalf("over the limit = %d %s", code, b)
	}
	if code, b := call(h, "/v1/uploads", true, `{"kind":"preview","key":"anything/I/like"}`); code != 400 {
		t.Fatalf("unknown field = %d %s", code, b)
	}
	code, b := call(h, "/v1/uploads", true, req)
	if code != 201 {
		t.Fatalf("create = %d %s", code, b)
	}
	var up Upload
	if err := json.Unmarshal(b, &up); err != nil || up.Single == nil {
		t.Fatalf("upload = %s (%v)", b, err)
	}
	removeLater(t, p, up.Key)
	if up.Key != "previews/"+req.ShaderID+"/1.0.0.webp" || up.Single.Headers["Content-Type"] != "image/webp" {
		t.Fatalf("upload = %+v", up)
	}
	if r := put(t, up.Single, body, nil); r.status != 200 {
		t.Fatalf("PUT = %d %s", r.status, r.body)
	}
}

func TestMultipartEndpointsRefuseAWrongPartList(t *testing.T) {
	t.Parallel()
	const part = 5 << 20
	p := newTestPresigner(t, Limits{MultipartThreshold: part, PartSize: part, PackageMax: 4 * part})
	h := uploadEcho(p)
	body := randBytes(t, part+10)
	req := UploadRequest{Kind: KindPackage, ShaderID: slug(), Version: "1.0.0", Size: int64(len(body)), SHA256: hexsum(body)}
	code, b := call(h, "/v1/uploads", true, req)
	if code != 201 {
		t.Fatalf("create = %d %s", code, b)
	}
	var up Upload
	_ = json.Unmarshal(b, &up)
	if up.UploadID == "" || up.PartCount != 2 {
		t.Fatalf("upload = %s", b)
	}
	code, b = call(h, "/v1/uploads/parts", true, map[string]any{"upload": req, "upload_id": up.UploadID,
		"part": PartRequest{Number: 1, Size: part, SHA256: hexsum(body[:part])}})
	var sr SignedRequest
	if code != 200 || json.Unmarshal(b, &sr) != nil || !strings.Contains(sr.URL, "uploadId=") || !strings.Contains(sr.URL, "partNumber=1") {
		t.Fatalf("part = %d %s", code, b)
	}
	// Completing with parts that were never uploaded is the caller's error, not a 5xx.
	code, b = call(h, "/v1/uploads/complete", true, map[string]any{"upload": req, "upload_id": up.UploadID,
		"parts": []CompletedPart{{Number: 1, ETag: "0123456789abcdef0123456789abcdef", SHA256: hexsum(body[:part])}, {Number: 2, ETag: "0123456789abcdef0123456789abcdef", SHA256: hexsum(body[part:])}}})
	if code != 400 || !strings.Contains(string(b), "INVALID_INPUT") {
		t.Fatalf("complete with unknown parts = %d %s", code, b)
	}
	if code, b = call(h, "/v1/uploads/abort", true, map[string]any{"upload": req, "upload_id": up.UploadID}); code != 204 {
		t.Fatalf("abort = %d %s", code, b)
	}
}

// Every upload endpoint is the operator's alone, and completing or aborting names its upload.
func TestUploadEndpointsRefuseOthersAndCallsWithoutAnUpload(t *testing.T) {
	t.Parallel()
	h := uploadEcho(newTestPresigner(t, Limits{}))
	req := UploadRequest{Kind: KindPreview, ShaderID: slug(), Version: "1.0.0", Size: 10, SHA256: strings.Repeat("0", 64)}
	for _, path := range []string{"/v1/uploads", "/v1/uploads/parts", "/v1/uploads/complete", "/v1/uploads/abort"} {
		if code, b := call(h, path, false, req); code != 403 || !strings.Contains(string(b), "INSUFFICIENT_PERMISSIONS") {
			t.Errorf("%s by a non-operator = %d %s", path, code, b)
		}
	}
	for _, path := range []string{"/v1/uploads/complete", "/v1/uploads/abort"} {
		if code, b := call(h, path, true, map[string]any{"upload": req}); code != 400 || !strings.Contains(string(b), "upload_id: is required") {
			t.Errorf("%s without upload_id = %d %s", path, code, b)
		}
	}
}
