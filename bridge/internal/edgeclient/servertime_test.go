package edgeclient

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"
)

// Redeem and Redeliver hand on the edge's clock (its Date header), by which the bridge judges
// the delivery's expiry: the artist's clock may be hours off.
func TestRedemptionCarriesTheEdgesClock(t *testing.T) {
	edgeNow := time.Date(2026, 12, 2, 10, 0, 0, 0, time.UTC)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		w.Header().Set("Date", edgeNow.Format(http.TimeFormat))
		switch r.URL.Path {
		case "/v1/auth/token":
			json.NewEncoder(w).Encode(map[string]any{"access_token": "jwt", "expires_in": 600, "device_id": "d", "user_id": "u"})
		case "/v1/imports/i1/redeem", "/v1/imports/i1/delivery":
			json.NewEncoder(w).Encode(map[string]any{"import_id": "i1", "download_url": "https://s3.example/x",
				"expires_at": edgeNow.Add(5 * time.Minute), "delivery": map[string]string{"payload": "p", "sig": "local-1.s"}})
		default:
			http.NotFound(w, r)
		}
	}))
	defer srv.Close()
	c := New(Config{EdgeURL: srv.URL, SupabaseURL: srv.URL, AnonKey: "anon"})
	s := c.NewSession("oct_live_key")
	r, err := c.Redeem(context.Background(), s, "i1", "tok")
	if err != nil || !r.ServerTime.Equal(edgeNow) {
		t.Fatalf("redeem: server time %v, %v", r.ServerTime, err)
	}
	r, err = c.Redeliver(context.Background(), s, "i1")
	if err != nil || !r.ServerTime.Equal(edgeNow) {
		t.Fatalf("redeliver: server time %v, %v", r.ServerTime, err)
	}
	if !serverTime(http.Header{"Date": {"not a date"}}).IsZero() || !serverTime(http.Header{}).IsZero() {
		t.Fatal("an unreadable or missing Date must give no server time")
	}
}
