package httpapi

import (
	"bytes"
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"reflect"
	"strings"
	"testing"

	"github.com/labstack/echo/v4"

	"github.com/octanebridge/octane-bridge/edge/internal/apikeys"
	"github.com/octanebridge/octane-bridge/edge/internal/billing"
	"github.com/octanebridge/octane-bridge/edge/internal/devices"
	"github.com/octanebridge/octane-bridge/edge/internal/imports"
	"github.com/octanebridge/octane-bridge/internal/apierror"
)

// bodies are the request structs the handlers bind, by route.
func bodies() map[string]func() any {
	return map[string]func() any{
		"POST /v1/imports":             func() any { return &imports.CreateRequest{} },
		"POST /v1/imports/{id}/redeem": func() any { return &imports.RedeemRequest{} },
		"POST /v1/api-keys":            func() any { return &apikeys.CreateRequest{} },
		"POST /v1/devices/authorize":   func() any { return &devices.AuthorizeRequest{} },
		"POST /v1/devices/approve":     func() any { return &devices.CodeRequest{} },
		"POST /v1/billing/checkout":    func() any { return &billing.CheckoutRequest{} },
	}
}

// strictBind is what the API documents: exactly one JSON object whose members are all known
// fields of the right types, and nothing after it but white space.
func strictBind(body []byte, v any) bool {
	t := bytes.TrimLeft(body, " \t\r\n")
	if len(t) == 0 || t[0] != '{' || !json.Valid(body) {
		return false
	}
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.DisallowUnknownFields()
	return dec.Decode(v) == nil
}

func bindBody(body []byte, v any) error {
	req := httptest.NewRequest(http.MethodPost, "/", bytes.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	return Bind(echo.New().NewContext(req, httptest.NewRecorder()), v)
}

// FuzzBind: every request body the edge binds is accepted exactly when it is one JSON object
// of documented fields (no trailing data, no null, no unknown or mistyped members), a refusal
// is INVALID_INPUT, and what is accepted survives a round trip through encoding/json.
func FuzzBind(f *testing.F) {
	for _, s := range []string{
		`{"shader_id":"11111111-1111-4111-8111-111111111111","version":"1.0.0","device_id":null}`,
		`{"token":"oit1.local-1.eyJ9.sig"}`,
		`{"name":"ci","scopes":["catalog:read"],"expires_in_days":30}`,
		`{"platform":"blender","platform_version":"4.2","os":"linux","name":"Studio"}`,
		`{"user_code":"BCDF-GHJK"}`,
		`{"token":"x"}}`, `{"token":"x"}]`, `{"token":"x"} {"token":"y"}`, `{"token":"x"}garbage`, `{"token":"x"}` + "\n\t ",
		`null`, `  null  `, `[]`, `"x"`, `7`, ``, `{`, `{}`, `{"Token":"case"}`, `{"token":"x","extra":1}`,
		`{"token":7}`, `{"expires_in_days":1e99}`, `{"expires_in_days":-1}`, `{"scopes":null}`, `{"token":"\ud800"}`,
		"{\"token\":\"\xff\"}", `{"token":"a","token":"b"}`, "\ufeff{}", `{"name":"` + strings.Repeat("a", 70000) + `"}`,
	} {
		f.Add([]byte(s))
	}
	routes := bodies()
	f.Fuzz(func(t *testing.T, body []byte) {
		for route, mk := range routes {
			v := mk()
			err := bindBody(body, v)
			want := mk()
			strict := strictBind(body, want)
			if err != nil {
				var ae *apierror.Error
				if !errors.As(err, &ae) || ae.Code != apierror.InvalidInput {
					t.Fatalf("%s: refusal %v", route, err)
				}
				if strict {
					t.Fatalf("%s: refused %q, which is one object of documented fields", route, body)
				}
				continue
			}
			if !strict {
				t.Fatalf("%s: accepted %q", route, body)
			}
			if !reflect.DeepEqual(v, want) {
				t.Fatalf("%s: bound %+v, a strict decoder reads %+v", route, v, want)
			}
			again, _ := json.Marshal(v)
			back := mk()
			if err := bindBody(again, back); err != nil || !reflect.DeepEqual(back, v) {
				t.Fatalf("%s: round trip of %s: %+v %v", route, again, back, err)
			}
		}
	})
}
