package billing

import (
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/octanebridge/octane-bridge/internal/stripelocal"
)

// localStripe is the billing service wired to a local Stripe whose webhooks reach it.
type localStripe struct {
	svc  *Service
	edge http.Handler
	pool *pgxpool.Pool
	api  string // the local Stripe's base URL
}

func newLocalStripe(t *testing.T) localStripe {
	t.Helper()
	pool := testPool(t)
	var edge, stripeHandler http.Handler
	hook := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { edge.ServeHTTP(w, r) }))
	t.Cleanup(hook.Close)
	api := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { stripeHandler.ServeHTTP(w, r) }))
	t.Cleanup(api.Close)
	ls, err := stripelocal.New(stripelocal.Config{BaseURL: api.URL, WebhookURL: hook.URL + "/v1/stripe/webhook", WebhookSecret: testSecret,
		Seed: true, RetryDelays: []time.Duration{50 * time.Millisecond, 200 * time.Millisecond}})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(ls.Close)
	stripeHandler = ls.Handler()
	s, err := New(Deps{DB: pool, Stripe: NewStripeClient("sk_test_123", api.URL, nil, testLogger(t)), Users: &countingDirectory{email: "free@octane.local"},
		Log: testLogger(t), Config: Config{WebhookSecret: testSecret, SiteURL: "http://127.0.0.1:3000", Products: []string{libraryProduct}}})
	if err != nil {
		t.Fatal(err)
	}
	edge = testEcho(s, nil)
	return localStripe{svc: s, edge: edge, pool: pool, api: api.URL}
}

// call posts to a billing route as the free user and returns the Stripe page's URL it answers.
func (l localStripe) call(t *testing.T, path string) string {
	t.Helper()
	req := httptest.NewRequest(http.MethodPost, path, strings.NewReader(`{"price_id":"price_pro_monthly"}`))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("X-Test-User", freeUser.String())
	r := do(l.edge, req)
	var out struct{ URL string }
	if r.Status != 200 || json.Unmarshal([]byte(r.Body), &out) != nil || !strings.HasPrefix(out.URL, l.api+"/") {
		t.Fatalf("%s = %d %s", path, r.Status, r.Body)
	}
	return out.URL
}

// submit posts a page's form as a browser would, without following the redirect.
func submit(t *testing.T, u string, form url.Values) (int, string, string) {
	t.Helper()
	browser := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	resp, err := browser.PostForm(u, form)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, resp.Header.Get("Location"), string(b)
}

// entitled waits until has_active_subscription(free user) is want.
func (l localStripe) entitled(t *testing.T, want bool, what string) {
	t.Helper()
	for end := time.Now().Add(10 * time.Second); ; time.Sleep(20 * time.Millisecond) {
		if scalar[bool](t, l.pool, `select public.has_active_subscription($1)`, freeUser) == want {
			return
		}
		if time.Now().After(end) {
			t.Fatalf("%s: has_active_subscription stayed %v", what, !want)
		}
	}
}

func card(n string) url.Values { return url.Values{"number": {n}, "expiry": {"12/34"}, "cvc": {"123"}} }

// The money journey against the local Stripe, which keeps state where stripe-mock cannot: the
// edge's checkout creates a customer and a session there, the session's page takes a test card,
// the local Stripe's signed webhooks reach this service, which re-fetches the subscription and
// writes the row; the portal's cancel ends it the same way.
func TestMoneyJourneyAgainstTheLocalStripe(t *testing.T) {
	t.Parallel()
	l := newLocalStripe(t)
	pool, edge, call := l.pool, l.edge, func(path string) string { return l.call(t, path) }
	entitled := func(want bool, what string) { t.Helper(); l.entitled(t, want, what) }
	pay := call("/v1/billing/checkout")
	if code, _, page := submit(t, pay, card("4000000000000341")); code != http.StatusPaymentRequired || !strings.Contains(page, "Your card was declined.") {
		t.Fatalf("declined card = %d", code)
	}
	code, loc, _ := submit(t, pay, card("4242424242424242"))
	if code != http.StatusSeeOther || !strings.HasPrefix(loc, "http://127.0.0.1:3000/account?checkout=success&session_id=cs_test_") {
		t.Fatalf("paid = %d %q", code, loc)
	}
	entitled(true, "after paying")
	var status, price string
	var cancelAtEnd bool
	row := `select status, price_id, cancel_at_period_end from public.subscriptions where user_id = $1 order by updated_at desc limit 1`
	if err := pool.QueryRow(t.Context(), row, freeUser).Scan(&status, &price, &cancelAtEnd); err != nil || status != "active" || price != "price_pro_monthly" {
		t.Fatalf("row = %s %s %v", status, price, err)
	}
	// A second checkout while subscribed is refused by the edge (it reads the row the webhook wrote).
	req := httptest.NewRequest(http.MethodPost, "/v1/billing/checkout", strings.NewReader(`{"price_id":"price_pro_yearly"}`))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("X-Test-User", freeUser.String())
	if r := do(edge, req); r.Status != http.StatusConflict {
		t.Fatalf("second checkout = %d %s", r.Status, r.Body)
	}

	portal := call("/v1/billing/portal")
	sub := scalar[string](t, pool, `select id from public.subscriptions where user_id = $1`, freeUser)
	if _, loc, _ := submit(t, portal+"/cancel", url.Values{"subscription": {sub}, "when": {"period_end"}}); !strings.HasSuffix(portal, loc) {
		t.Fatalf("cancel at period end went to %q", loc)
	}
	for end := time.Now().Add(10 * time.Second); !cancelAtEnd && time.Now().Before(end); time.Sleep(20 * time.Millisecond) {
		cancelAtEnd = scalar[bool](t, pool, `select cancel_at_period_end from public.subscriptions where id = $1`, sub)
	}
	if !cancelAtEnd {
		t.Fatal("cancel_at_period_end never reached the row")
	}
	entitled(true, "cancelling at period end keeps Pro until then")
	submit(t, portal+"/cancel", url.Values{"subscription": {sub}, "when": {"now"}})
	entitled(false, "after cancelling now")
	if st := scalar[string](t, pool, `select status from public.subscriptions where id = $1`, sub); st != "canceled" {
		t.Fatalf("row status %s, want canceled", st)
	}
}

// The backfill copies an account that changed while the webhook was away: the seed's product,
// prices and the pro user's subscription, and a subscription paid since, whose row was lost.
func TestBackfillRestoresTheLocalStripesAccount(t *testing.T) {
	t.Parallel()
	l := newLocalStripe(t)
	if code, _, _ := submit(t, l.call(t, "/v1/billing/checkout"), card("4242424242424242")); code != http.StatusSeeOther {
		t.Fatalf("paying = %d", code)
	}
	l.entitled(t, true, "after paying")
	if _, err := l.pool.Exec(t.Context(), `delete from public.subscriptions`); err != nil {
		t.Fatal(err)
	}
	rep, err := l.svc.Backfill(t.Context(), StripeSource{API: l.svc.stripe})
	if err != nil {
		t.Fatal(err)
	}
	if rep != (SyncReport{Products: 1, Prices: 2, Subscriptions: 2}) {
		t.Fatalf("report = %+v, want the seed's product and prices and both subscriptions", rep)
	}
	l.entitled(t, true, "after the backfill")
	if n := scalar[int](t, l.pool, `select count(*) from public.subscriptions where user_id = $1 and status = 'active'`, proUser); n != 1 {
		t.Fatalf("the pro user's subscription was not restored (%d rows)", n)
	}
}
