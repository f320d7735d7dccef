package billing

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/google/uuid"
)

func TestParseSubscriptionPeriodSource(t *testing.T) {
	t.Parallel()
	// API 2023-10-16: the period is on the subscription and wins over the items.
	old := []byte(`{"id":"sub_1","customer":"cus_1","status":"active","current_period_start":1700000000,"current_period_end":1702592000,
		"metadata":{"user_id":"u"},"items":{"data":[{"current_period_start":1,"current_period_end":2,"price":{"id":"price_1"}}]}}`)
	s, err := ParseSubscription(old)
	if err != nil {
		t.Fatal(err)
	}
	if s.PeriodEnd == nil || !s.PeriodEnd.Equal(time.Unix(1702592000, 0)) || s.PriceID != "price_1" || s.UserID != "u" {
		t.Fatalf("2023-10-16 shape: %+v", s)
	}
	// 2025-03-31 and later (and stripe-mock): only the items carry it; customer may be expanded.
	newer := []byte(`{"id":"sub_2","customer":{"id":"cus_2","object":"customer"},"status":"past_due",
		"items":{"data":[{"current_period_start":1700000000,"current_period_end":1702592000,"price":{"id":"price_2"}}]}}`)
	s, err = ParseSubscription(newer)
	if err != nil {
		t.Fatal(err)
	}
	if s.CustomerID != "cus_2" || s.PeriodEnd == nil || !s.PeriodEnd.Equal(time.Unix(1702592000, 0)) || !s.PeriodStart.Equal(time.Unix(1700000000, 0)) {
		t.Fatalf("item shape: %+v", s)
	}
	for _, bad := range []string{`{}`, `{"id":"sub_3"}`, `[]`, `nope`} {
		if _, err := ParseSubscription([]byte(bad)); err == nil {
			t.Errorf("%s parsed", bad)
		}
	}
}

func TestInvoiceSubscriptionBothShapes(t *testing.T) {
	t.Parallel()
	cases := map[string]string{
		`{"subscription":"sub_a"}`:        "sub_a",
		`{"subscription":{"id":"sub_b"}}`: "sub_b",
		`{"subscription":null,"parent":{"subscription_details":{"subscription":"sub_c"}}}`: "sub_c",
		`{"subscription":null}`: "",
	}
	for in, want := range cases {
		if got := invoiceSubscription([]byte(in)); got != want {
			t.Errorf("%s -> %q, want %q", in, got, want)
		}
	}
}

// The GoTrue adapter speaks GoTrue's admin API: GET /auth/v1/admin/users/{id} with the service
// role key as bearer token and apikey.
func TestGoTrueDirectoryReadsTheEmail(t *testing.T) {
	t.Parallel()
	user := uuid.New()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodGet || r.URL.Path != "/auth/v1/admin/users/"+user.String() ||
			r.Header.Get("Authorization") != "Bearer service-key" || r.Header.Get("apikey") != "service-key" {
			w.WriteHeader(http.StatusUnauthorized)
			_, _ = w.Write([]byte(`{"code":401,"error_code":"no_authorization","msg":"This endpoint requires a valid Bearer token"}`))
			return
		}
		_ = json.NewEncoder(w).Encode(map[string]any{"id": user, "aud": "authenticated", "role": "authenticated", "email": "artist@example.com",
			"app_metadata": map[string]any{"provider": "email"}, "user_metadata": map[string]any{}, "created_at": time.Now(), "updated_at": time.Now()})
	}))
	defer srv.Close()
	email, err := NewGoTrueDirectory(srv.URL+"/", "service-key", time.Second).Email(t.Context(), user)
	if err != nil || email != "artist@example.com" {
		t.Fatalf("email = %q, %v", email, err)
	}
	if _, err := NewGoTrueDirectory(srv.URL, "wrong", time.Second).Email(t.Context(), user); err == nil {
		t.Fatal("a refused admin call returned an e-mail")
	}
}
