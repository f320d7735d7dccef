package testenv

import (
	"net/http"
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
