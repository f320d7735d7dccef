package testenv

import (
	"net/http"
	"strings"
	"testing"
)

func TestStackServesAndSignsIn(t *testing.T) {
	st := Stack(t)
	if jwt := st.ProJWT(t); jwt == "" {
		t.Fatal("no JWT")
	}
	var devices map[string]any
	if code := st.EdgeJSON(t, http.MethodGet, "/v1/devices", st.ProJWT(t), nil, &devices); code != http.StatusOK {
		t.Fatalf("GET /v1/devices = %d", code)
	}
	if code := st.EdgeJSON(t, http.MethodGet, "/v1/devices", "", nil, nil); code != http.StatusUnauthorized {
		t.Fatalf("GET /v1/devices without a JWT = %d", code)
	}
	// The edge pays through the stack's own local Stripe: Checkout opens on its pages.
	var checkout struct{ URL string }
	free := st.SignIn(t, FreeEmail, FreePassword)
	if code := st.EdgeJSON(t, http.MethodPost, "/v1/billing/checkout", free, map[string]string{"price_id": "price_pro_monthly"}, &checkout); code != http.StatusOK ||
		!strings.HasPrefix(checkout.URL, st.StripeURL+"/c/pay/cs_test_") {
		t.Fatalf("checkout = %d %q, want a page of the local Stripe at %s", code, checkout.URL, st.StripeURL)
	}
	// The stand-in restarts on the same port.
	st.Supabase.Stop()
	if servesOK(t.Context(), st.SupabaseURL+"/auth/v1/health") {
		t.Fatal("stand-in still serves after Stop")
	}
	if err := st.Supabase.Start(); err != nil {
		t.Fatal(err)
	}
	st.ProJWT(t)
}

// With Reuse, a stack already serving at the addresses (make dev) is used and nothing is started.
func TestReuseUsesARunningStack(t *testing.T) {
	st := Stack(t)
	host := func(u string) string { return strings.TrimPrefix(u, "http://") }
	got := StackWith(t, StackOptions{Reuse: true, SupabaseAddr: host(st.SupabaseURL), EdgeAddr: host(st.EdgeURL)})
	if !got.Reused || got.SupabaseURL != st.SupabaseURL || got.EdgeURL != st.EdgeURL || got.Supabase != nil || got.Edge != nil || got.Site != nil {
		t.Fatalf("reused stack: %+v", got)
	}
	if got.Env["SUPABASE_URL"] != st.SupabaseURL || got.Env["EDGE_URL"] != st.EdgeURL {
		t.Fatalf("env does not wire the running stack: SUPABASE_URL=%s EDGE_URL=%s", got.Env["SUPABASE_URL"], got.Env["EDGE_URL"])
	}
	// Nothing serves at the address: a stack of its own.
	own := StackWith(t, StackOptions{Reuse: true, SupabaseAddr: FreeAddr(t)})
	if own.Reused || own.Supabase == nil || own.DBURL == st.DBURL {
		t.Fatalf("with nothing to reuse: %+v", own)
	}
}
