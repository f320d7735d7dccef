package stripelocal

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stripe/stripe-go/v76"
	"github.com/stripe/stripe-go/v76/client"
	"github.com/stripe/stripe-go/v76/webhook"
)

const secret = "whsec_local_test_secret"

// receiver is a webhook endpoint that verifies every delivery with stripe-go's own
// webhook.ConstructEvent (signature, 5-minute tolerance and the API version), as the edge does.
type receiver struct {
	t      *testing.T
	fail   atomic.Int64 // answer 500 to this many deliveries first
	mu     sync.Mutex
	events []stripe.Event
	heads  []string
}

func (rc *receiver) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(r.Body)
	ev, err := webhook.ConstructEvent(body, r.Header.Get("Stripe-Signature"), secret)
	if err != nil {
		rc.t.Errorf("delivery does not verify with stripe-go: %v (header %q)", err, r.Header.Get("Stripe-Signature"))
		w.WriteHeader(http.StatusBadRequest)
		return
	}
	rc.mu.Lock()
	rc.heads = append(rc.heads, r.Header.Get("Stripe-Signature"))
	rc.mu.Unlock()
	if rc.fail.Add(-1) >= 0 {
		w.WriteHeader(http.StatusInternalServerError)
		return
	}
	rc.mu.Lock()
	rc.events = append(rc.events, ev)
	rc.mu.Unlock()
}

// wait returns the delivered events once one of type typ has arrived.
func (rc *receiver) wait(typ string) []stripe.Event {
	rc.t.Helper()
	for end := time.Now().Add(10 * time.Second); time.Now().Before(end); time.Sleep(10 * time.Millisecond) {
		rc.mu.Lock()
		evs := append([]stripe.Event(nil), rc.events...)
		rc.mu.Unlock()
		for _, e := range evs {
			if string(e.Type) == typ {
				return evs
			}
		}
	}
	rc.t.Fatalf("no %s delivered", typ)
	return nil
}

type env struct {
	srv  *Server
	base string
	api  *client.API
	hook *receiver
	web  *http.Client // a browser that does not follow redirects
}

func start(t *testing.T, cfg Config) *env {
	t.Helper()
	rc := &receiver{t: t}
	hook := httptest.NewServer(rc)
	t.Cleanup(hook.Close)
	e := &env{hook: rc}
	// The pages' URLs need the server's address before it is created: route through a handler set later.
	var h http.Handler
	ts := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { h.ServeHTTP(w, r) }))
	t.Cleanup(ts.Close)
	cfg.BaseURL, cfg.WebhookURL, cfg.WebhookSecret = ts.URL, hook.URL, secret
	if cfg.RetryDelays == nil {
		cfg.RetryDelays = []time.Duration{20 * time.Millisecond, 20 * time.Millisecond}
	}
	srv, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(srv.Close)
	h = srv.Handler()
	e.srv, e.base = srv, ts.URL
	url := ts.URL
	e.api = client.New("sk_test_local", &stripe.Backends{
		API: stripe.GetBackendWithConfig(stripe.APIBackend, &stripe.BackendConfig{URL: &url, LeveledLogger: &stripe.LeveledLogger{Level: stripe.LevelNull}}),
	})
	e.web = &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	return e
}

// post submits a page's form and returns the status, the Location and the page's text.
func (e *env) post(t *testing.T, path string, form url.Values) (int, string, string) {
	t.Helper()
	if !strings.HasPrefix(path, "http") {
		path = e.base + path
	}
	resp, err := e.web.PostForm(path, form)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, resp.Header.Get("Location"), string(b)
}

func (e *env) get(t *testing.T, path string) (int, string) {
	t.Helper()
	resp, err := e.web.Get(e.base + path)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

func cardForm(number string) url.Values {
	return url.Values{"number": {number}, "expiry": {"12 / 34"}, "cvc": {"123"}, "name": {"Test Artist"}}
}

// checkout creates a customer and a subscription-mode session as the edge does.
func (e *env) checkout(t *testing.T, price string) (*stripe.CheckoutSession, *stripe.Customer) {
	t.Helper()
	cp := &stripe.CustomerParams{Email: stripe.String("new@octane.local")}
	cp.AddMetadata("user_id", "33333333-3333-4333-8333-333333333333")
	cp.IdempotencyKey = stripe.String("octane-customer-" + t.Name())
	cus, err := e.api.Customers.New(cp)
	if err != nil {
		t.Fatal(err)
	}
	again, err := e.api.Customers.New(cp)
	if err != nil || again.ID != cus.ID {
		t.Fatalf("the same Idempotency-Key made another customer: %v %v", again, err)
	}
	cs, err := e.api.CheckoutSessions.New(&stripe.CheckoutSessionParams{
		Mode: stripe.String("subscription"), Customer: stripe.String(cus.ID), ClientReferenceID: stripe.String("33333333-3333-4333-8333-333333333333"),
		LineItems:  []*stripe.CheckoutSessionLineItemParams{{Price: stripe.String(price), Quantity: stripe.Int64(1)}},
		SuccessURL: stripe.String("http://site.test/account?checkout=success&session_id={CHECKOUT_SESSION_ID}"),
		CancelURL:  stripe.String("http://site.test/account?checkout=cancelled"), AllowPromotionCodes: stripe.Bool(true),
		SubscriptionData: &stripe.CheckoutSessionSubscriptionDataParams{Metadata: map[string]string{"user_id": "33333333-3333-4333-8333-333333333333"}},
	})
	if err != nil {
		t.Fatal(err)
	}
	if cs.Status != stripe.CheckoutSessionStatusOpen || !strings.HasPrefix(cs.URL, e.base+"/c/pay/cs_test_") {
		t.Fatalf("session = %s %q", cs.Status, cs.URL)
	}
	return cs, cus
}

func TestWebhooksAreSignedAsStripeSignsThem(t *testing.T) {
	t.Parallel()
	e := start(t, Config{})
	cus, err := e.api.Customers.New(&stripe.CustomerParams{Email: stripe.String("a@octane.local")})
	if err != nil {
		t.Fatal(err)
	}
	evs := e.hook.wait("customer.created")
	ev := evs[0]
	if ev.APIVersion != "2023-10-16" || ev.Livemode || ev.Data == nil || ev.Data.Object["id"] != cus.ID {
		t.Fatalf("event = %+v", ev)
	}
	// The same signature as Stripe's own signing code makes for this payload and time.
	payload := []byte(`{"id":"evt_1"}`)
	now := time.Unix(1_700_000_000, 0)
	want := webhook.GenerateTestSignedPayload(&webhook.UnsignedPayload{Payload: payload, Secret: secret, Timestamp: now})
	if got := Sign(payload, secret, now); got != want.Header {
		t.Fatalf("Sign = %q, stripe-go = %q", got, want.Header)
	}
	// Another secret does not verify.
	if _, err := webhook.ConstructEvent(payload, Sign(payload, "whsec_other", time.Now()), secret); err == nil {
		t.Fatal("a signature with another secret verified")
	}
}

func TestFailedDeliveriesAreRetriedWithAFreshSignature(t *testing.T) {
	t.Parallel()
	e := start(t, Config{RetryDelays: []time.Duration{10 * time.Millisecond, 1100 * time.Millisecond, 10 * time.Millisecond}})
	e.hook.fail.Store(2)
	if _, err := e.api.Customers.New(&stripe.CustomerParams{Email: stripe.String("r@octane.local")}); err != nil {
		t.Fatal(err)
	}
	ev := e.hook.wait("customer.created")[0]
	if n := e.srv.Attempts(ev.ID); n != 3 {
		t.Fatalf("attempts = %d, want 3 (two refused, then accepted)", n)
	}
	e.hook.mu.Lock()
	first, last := e.hook.heads[0], e.hook.heads[len(e.hook.heads)-1]
	e.hook.mu.Unlock()
	if first == last {
		t.Fatal("the retry after a second carried the first attempt's signature")
	}

	// An endpoint that never accepts gets the first attempt and one per delay, then nothing.
	e2 := start(t, Config{RetryDelays: []time.Duration{5 * time.Millisecond, 5 * time.Millisecond}})
	e2.hook.fail.Store(1 << 30)
	if _, err := e2.api.Customers.New(&stripe.CustomerParams{}); err != nil {
		t.Fatal(err)
	}
	e2.srv.deliveries.Wait()
	evs := e2.srv.Events("customer.created")
	if len(evs) != 1 || e2.srv.Attempts(evs[0].ID) != 3 {
		t.Fatalf("events %d, attempts %d, want 1 event tried 3 times", len(evs), e2.srv.Attempts(evs[0].ID))
	}
}

func TestCheckoutWithTestCards(t *testing.T) {
	t.Parallel()
	e := start(t, Config{Seed: true})
	cs, cus := e.checkout(t, PriceMonthly)
	pay := "/c/pay/" + cs.ID
	if code, page := e.get(t, pay); code != 200 || !strings.Contains(page, "$12.00") || !strings.Contains(page, "new@octane.local") {
		t.Fatalf("checkout page = %d\n%s", code, page)
	}
	// Declined after attaching: the page says so, the session stays open, the card is saved.
	code, _, page := e.post(t, pay, cardForm("4000 0000 0000 0341"))
	if code != http.StatusPaymentRequired || !strings.Contains(page, msgDeclined) {
		t.Fatalf("0341 = %d\n%s", code, page)
	}
	got, err := e.api.Customers.Get(cus.ID, nil)
	if err != nil || got.InvoiceSettings.DefaultPaymentMethod == nil {
		t.Fatalf("the declined card was not attached: %+v %v", got, err)
	}
	// Declined at once, malformed and non-test cards: messages, nothing else.
	for number, msg := range map[string]string{"4000000000000002": msgDeclined, "4242 4242 4242 4241": msgNumberInvalid, "4111 1111 1111 1111": msgNotTestCard, "4242": msgNumberShort} {
		if code, _, page := e.post(t, pay, cardForm(number)); code != http.StatusPaymentRequired || !strings.Contains(page, strings.ReplaceAll(msg, "'", "&#39;")) {
			t.Errorf("%s = %d, want %q", number, code, msg)
		}
	}
	// Authentication asked for and failed: back on the form with Stripe's message.
	_, loc, _ := e.post(t, pay, cardForm("4000 0027 6000 3184"))
	if !strings.HasPrefix(loc, "/authenticate/pa_") {
		t.Fatalf("3184 went to %q, want the authentication page", loc)
	}
	if code, page := e.get(t, loc); code != 200 || !strings.Contains(page, "Complete authentication") || !strings.Contains(page, "3184") {
		t.Fatalf("authentication page = %d\n%s", code, page)
	}
	if _, back, _ := e.post(t, loc, url.Values{"outcome": {"fail"}}); back != pay {
		t.Fatalf("failed authentication went to %q", back)
	}
	if _, page := e.get(t, pay); !strings.Contains(page, "We are unable to authenticate your payment method") {
		t.Fatalf("no authentication message:\n%s", page)
	}
	if subs := e.srv.Events("customer.subscription.created"); len(subs) != 0 {
		t.Fatalf("%d subscriptions created by declined payments", len(subs))
	}
	// Authentication approved: paid, back to the success URL with the session id.
	_, loc, _ = e.post(t, pay, cardForm("4000002760003184"))
	_, done, _ := e.post(t, loc, url.Values{"outcome": {"complete"}})
	if done != "http://site.test/account?checkout=success&session_id="+cs.ID {
		t.Fatalf("after paying: %q", done)
	}
	if _, again, _ := e.post(t, loc, url.Values{"outcome": {"complete"}}); again != "" {
		t.Fatalf("an answered authentication was answered again: %q", again)
	}
	cs2, err := e.api.CheckoutSessions.Get(cs.ID, nil)
	if err != nil || cs2.Status != stripe.CheckoutSessionStatusComplete || cs2.Subscription == nil {
		t.Fatalf("session after paying = %+v %v", cs2, err)
	}
	sub, err := e.api.Subscriptions.Get(cs2.Subscription.ID, nil)
	if err != nil {
		t.Fatal(err)
	}
	if sub.Status != stripe.SubscriptionStatusActive || sub.Customer.ID != cus.ID || sub.Metadata["user_id"] == "" ||
		sub.Items.Data[0].Price.ID != PriceMonthly || sub.CurrentPeriodEnd <= sub.CurrentPeriodStart {
		t.Fatalf("subscription = %+v", sub)
	}
	evs := e.hook.wait("checkout.session.completed")
	var types []string
	for _, ev := range evs {
		types = append(types, string(ev.Type))
	}
	for _, want := range []string{"customer.subscription.created", "invoice.paid", "payment_method.attached"} {
		e.hook.wait(want)
	}
	// A completed session's page no longer takes cards.
	if code, _, _ := e.post(t, pay, cardForm("4242424242424242")); code != 200 {
		t.Fatalf("paying a complete session = %d", code)
	}
	if n := len(e.srv.Events("customer.subscription.created")); n != 1 {
		t.Fatalf("%d subscriptions, want 1 (events so far: %v)", n, types)
	}
}

func TestPortalSwitchesCancelsAndReplacesTheCard(t *testing.T) {
	t.Parallel()
	e := start(t, Config{Seed: true})
	cs, cus := e.checkout(t, PriceMonthly)
	if _, loc, _ := e.post(t, "/c/pay/"+cs.ID, cardForm("4242424242424242")); !strings.Contains(loc, "checkout=success") {
		t.Fatalf("4242 went to %q", loc)
	}
	subID := e.srv.Events("customer.subscription.created")[0].Object["id"].(string)
	ps, err := e.api.BillingPortalSessions.New(&stripe.BillingPortalSessionParams{Customer: stripe.String(cus.ID), ReturnURL: stripe.String("http://site.test/account")})
	if err != nil || !strings.HasPrefix(ps.URL, e.base+"/p/session/bps_") {
		t.Fatalf("portal session = %+v %v", ps, err)
	}
	portal := strings.TrimPrefix(ps.URL, e.base)
	if _, page := e.get(t, portal); !strings.Contains(page, "Octane Bridge Pro") || !strings.Contains(page, "Switch to yearly") || !strings.Contains(page, "Visa •••• 4242") {
		t.Fatalf("portal page:\n%s", page)
	}
	act := func(action string, form url.Values) string {
		t.Helper()
		form.Set("subscription", subID)
		if _, loc, _ := e.post(t, portal+"/"+action, form); loc != portal {
			t.Fatalf("%s went to %q", action, loc)
		}
		_, page := e.get(t, portal)
		return page
	}
	sub := func() *stripe.Subscription {
		s, err := e.api.Subscriptions.Get(subID, nil)
		if err != nil {
			t.Fatal(err)
		}
		return s
	}
	// Monthly → yearly: a new yearly period from now.
	if page := act("switch", url.Values{"price": {PriceYearly}}); !strings.Contains(page, "Your plan has been updated.") {
		t.Fatalf("switch:\n%s", page)
	}
	if s := sub(); s.Items.Data[0].Price.ID != PriceYearly || time.Unix(s.CurrentPeriodEnd, 0).Sub(time.Unix(s.CurrentPeriodStart, 0)) < 360*24*time.Hour {
		t.Fatalf("after the switch: %s %d–%d", s.Items.Data[0].Price.ID, s.CurrentPeriodStart, s.CurrentPeriodEnd)
	}
	// Cancel at period end, then take it back.
	act("cancel", url.Values{"when": {"period_end"}})
	if s := sub(); !s.CancelAtPeriodEnd || s.Status != stripe.SubscriptionStatusActive || s.CancelAt != s.CurrentPeriodEnd {
		t.Fatalf("cancel at period end: %+v", s)
	}
	act("resume", url.Values{})
	if sub().CancelAtPeriodEnd {
		t.Fatal("resume did not take the cancellation back")
	}
	// A card whose charges fail: the renewal makes the subscription past_due; a good card pays it.
	if _, loc, _ := e.post(t, portal+"/card", cardForm("4000000000000341")); loc != portal {
		t.Fatalf("card update went to %q", loc)
	}
	if page := act("advance", url.Values{}); !strings.Contains(page, "Past due") {
		t.Fatalf("after a declined renewal:\n%s", page)
	}
	if s := sub(); s.Status != stripe.SubscriptionStatusPastDue {
		t.Fatalf("status %s, want past_due", s.Status)
	}
	e.hook.wait("invoice.payment_failed")
	if _, loc, _ := e.post(t, portal+"/card", cardForm("5555555555554444")); loc != portal {
		t.Fatalf("card update went to %q", loc)
	}
	if s := sub(); s.Status != stripe.SubscriptionStatusActive {
		t.Fatalf("after a good card the subscription is %s", s.Status)
	}
	// Cancel now: canceled at once, deleted event.
	if page := act("cancel", url.Values{"when": {"now"}}); !strings.Contains(page, "Your subscription has been canceled.") {
		t.Fatalf("cancel now:\n%s", page)
	}
	if s := sub(); s.Status != stripe.SubscriptionStatusCanceled || s.EndedAt == 0 {
		t.Fatalf("cancel now: %+v", s)
	}
	e.hook.wait("customer.subscription.deleted")
	// stripe-go's own update and cancel calls work too.
	cs, _ = e.checkout(t, PriceYearly)
	e.post(t, "/c/pay/"+cs.ID, cardForm("4242424242424242"))
	cs2, _ := e.api.CheckoutSessions.Get(cs.ID, nil)
	up, err := e.api.Subscriptions.Update(cs2.Subscription.ID, &stripe.SubscriptionParams{CancelAtPeriodEnd: stripe.Bool(true)})
	if err != nil || !up.CancelAtPeriodEnd {
		t.Fatalf("update = %+v %v", up, err)
	}
	gone, err := e.api.Subscriptions.Cancel(cs2.Subscription.ID, nil)
	if err != nil || gone.Status != stripe.SubscriptionStatusCanceled {
		t.Fatalf("cancel = %+v %v", gone, err)
	}
}

func TestAPIAnswersAsStripeDoes(t *testing.T) {
	t.Parallel()
	e := start(t, Config{Seed: true})
	// The seed, listed with paging as stripe-go iterates it.
	var prices []string
	it := e.api.Prices.List(&stripe.PriceListParams{ListParams: stripe.ListParams{Limit: stripe.Int64(1)}})
	for it.Next() {
		prices = append(prices, it.Price().ID)
	}
	if it.Err() != nil || len(prices) != 2 {
		t.Fatalf("prices = %v %v", prices, it.Err())
	}
	p, err := e.api.Prices.Get(PriceYearly, nil)
	if err != nil || p.UnitAmount != 12000 || p.Recurring.Interval != "year" || p.Product.ID != LibraryProduct || p.LookupKey != "pro_yearly" {
		t.Fatalf("price = %+v %v", p, err)
	}
	sub, err := e.api.Subscriptions.Get(ProSubscription, nil)
	if err != nil || sub.Status != "active" || sub.Customer.ID != ProCustomer {
		t.Fatalf("demo subscription = %+v %v", sub, err)
	}
	n := 0
	sit := e.api.Subscriptions.List(&stripe.SubscriptionListParams{Status: stripe.String("all")})
	for sit.Next() {
		n++
	}
	if n != 1 {
		t.Fatalf("%d subscriptions listed", n)
	}
	// Stripe's error objects, which stripe-go turns into *stripe.Error.
	_, err = e.api.Subscriptions.Get("sub_nope", nil)
	var se *stripe.Error
	if !asStripeErr(err, &se) || se.HTTPStatusCode != 404 || se.Code != stripe.ErrorCodeResourceMissing {
		t.Fatalf("missing subscription = %v", err)
	}
	_, err = e.api.CheckoutSessions.New(&stripe.CheckoutSessionParams{Mode: stripe.String("subscription"), SuccessURL: stripe.String("http://x"),
		LineItems: []*stripe.CheckoutSessionLineItemParams{{Price: stripe.String("price_nope"), Quantity: stripe.Int64(1)}}})
	if !asStripeErr(err, &se) || se.HTTPStatusCode != 404 || se.Param != "line_items[0][price]" {
		t.Fatalf("unknown price = %v", err)
	}
	// The webhook endpoint the edge's `stripe-webhook` command creates: its version and a secret.
	we, err := e.api.WebhookEndpoints.New(&stripe.WebhookEndpointParams{URL: stripe.String("http://127.0.0.1:1/hook"),
		APIVersion: stripe.String(stripe.APIVersion), EnabledEvents: []*string{stripe.String("invoice.paid")}})
	if err != nil || we.APIVersion != "2023-10-16" || !strings.HasPrefix(we.Secret, "whsec_") {
		t.Fatalf("endpoint = %+v %v", we, err)
	}
	// No key, a live key: refused.
	for _, key := range []string{"", "sk_live_123"} {
		req, _ := http.NewRequest(http.MethodGet, e.base+"/v1/prices", nil)
		if key != "" {
			req.Header.Set("Authorization", "Bearer "+key)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != 401 {
			t.Errorf("key %q: %d", key, resp.StatusCode)
		}
	}
}

// An update replaces the fields it names, keeps the others, and merges metadata as Stripe does.
func TestUpdatesReplaceWhatIsSentAndMergeMetadata(t *testing.T) {
	t.Parallel()
	e := start(t, Config{Seed: true})
	cp := &stripe.CustomerParams{Name: stripe.String("Pro Artist")}
	cp.AddMetadata("plan", "pro")
	cus, err := e.api.Customers.Update(ProCustomer, cp)
	if err != nil || cus.Name != "Pro Artist" || cus.Email != ProEmail ||
		cus.Metadata["user_id"] != ProUserID || cus.Metadata["plan"] != "pro" {
		t.Fatalf("customer = %+v %v", cus, err)
	}
	prod, err := e.api.Products.Update(LibraryProduct, &stripe.ProductParams{Description: stripe.String("Every shader.")})
	if err != nil || prod.Description != "Every shader." || prod.Name != "Octane Bridge Pro" || !prod.Active {
		t.Fatalf("product = %+v %v", prod, err)
	}
	sp := &stripe.SubscriptionParams{}
	sp.AddMetadata("source", "portal")
	sub, err := e.api.Subscriptions.Update(ProSubscription, sp)
	if err != nil || sub.Metadata["user_id"] != ProUserID || sub.Metadata["source"] != "portal" {
		t.Fatalf("subscription = %+v %v", sub, err)
	}
	for _, ev := range e.hook.wait("customer.subscription.updated") {
		if ev.Type == "customer.subscription.updated" && ev.Data.Object["metadata"].(map[string]any)["source"] != "portal" {
			t.Fatalf("the event does not carry the new metadata: %v", ev.Data.Object["metadata"])
		}
	}
}

func asStripeErr(err error, se **stripe.Error) bool {
	e, ok := err.(*stripe.Error)
	*se = e
	return ok
}

func TestStateSurvivesARestart(t *testing.T) {
	t.Parallel()
	path := filepath.Join(t.TempDir(), "state.json")
	e := start(t, Config{Seed: true, StatePath: path})
	cs, cus := e.checkout(t, PriceMonthly)
	e.post(t, "/c/pay/"+cs.ID, cardForm("4242424242424242"))
	e.srv.Close()
	again, err := New(Config{StatePath: path, Seed: true})
	if err != nil {
		t.Fatal(err)
	}
	defer again.Close()
	if again.st.Customers[cus.ID] == nil || len(again.st.Products) != 1 || again.st.CheckoutSessions[cs.ID].Status != "complete" {
		t.Fatalf("state after a restart: %d customers, %d products", len(again.st.Customers), len(again.st.Products))
	}
	var raw map[string]json.RawMessage
	b, _ := json.Marshal(again.st)
	if json.Unmarshal(b, &raw) != nil || raw["Subscriptions"] == nil {
		t.Fatal("state does not round-trip")
	}
}

// The clock runs until its context ends or the server closes, whichever comes first.
func TestClockStopsWithItsContextOrTheServer(t *testing.T) {
	t.Parallel()
	e := start(t, Config{})
	clock := func(ctx context.Context) <-chan struct{} {
		done := make(chan struct{})
		go func() {
			e.srv.RunClock(ctx, time.Millisecond)
			close(done)
		}()
		return done
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := clock(ctx)
	cancel()
	<-done
	done = clock(context.Background())
	e.srv.Close()
	<-done
}
