package billing

import (
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/octanebridge/octane-bridge/internal/testenv"
)

const fixtureDir = "../../testdata/stripe"

// Every fixture `make stripe-event` can send is a valid event the webhook accepts.
func TestFixtureEventsAreAccepted(t *testing.T) {
	t.Parallel()
	fake, h, pool := newFakeWebhook(t)
	fake.setSub(Subscription{ID: "sub_demo_pro", CustomerID: "cus_demo_pro", Status: "active", PriceID: "price_pro_monthly", PeriodEnd: ts(time.Now().Add(time.Hour))})
	fake.products["prod_octane_pro"] = Product{ID: "prod_octane_pro", Active: true, Name: "Octane Bridge Pro"}
	amount := int64(1200)
	fake.prices["price_pro_monthly"] = Price{ID: "price_pro_monthly", ProductID: "prod_octane_pro", Active: true, Currency: "usd", UnitAmount: &amount, Interval: "month", IntervalCount: 1, LookupKey: "pro_monthly"}
	files, err := filepath.Glob(filepath.Join(fixtureDir, "*.json"))
	if err != nil || len(files) < 8 {
		t.Fatalf("fixtures: %v %v", files, err)
	}
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		r := deliver(h, b)
		wantHandled := !strings.HasPrefix(filepath.Base(f), "charge.")
		if r.Status != 200 || strings.Contains(r.Body, `"handled":true`) != wantHandled {
			t.Errorf("%s = %d %s", filepath.Base(f), r.Status, r.Body)
		}
	}
	if n := scalar[int](t, pool, `select count(*) from public.stripe_events where id like 'evt_fixture_%'`); n != len(files) {
		t.Errorf("%d fixture events recorded, want %d", n, len(files))
	}
}

// scripts/stripe-event.sh signs like Stripe: its events pass the real signature check, its
// redelivery is a duplicate and its forged one is refused.
func TestStripeEventScript(t *testing.T) {
	t.Parallel()
	for _, tool := range []string{"bash", "python3", "curl"} {
		if _, err := exec.LookPath(tool); err != nil {
			testenv.Require(t, tool, "install "+tool)
		}
	}
	fake, h, _ := newFakeWebhook(t)
	fake.setSub(Subscription{ID: "sub_demo_pro", CustomerID: "cus_demo_pro", Status: "active", PriceID: "price_pro_monthly"})
	srv := httptest.NewServer(h)
	defer srv.Close()
	root, _ := filepath.Abs("../../..")
	cmd := exec.Command("bash", filepath.Join(root, "scripts/stripe-event.sh"))
	cmd.Env = append(os.Environ(), "OCTANE_ROOT="+root, "STRIPE_WEBHOOK_URL="+srv.URL+"/v1/stripe/webhook", "STRIPE_WEBHOOK_SECRET="+testSecret)
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("script: %v\n%s", err, out)
	}
	lines := strings.Split(strings.TrimSpace(string(out)), "\n")
	if len(lines) != 7 {
		t.Fatalf("want 7 lines, got:\n%s", out)
	}
	for _, l := range lines[:5] {
		if !strings.Contains(l, " 200 ") || strings.Contains(l, `"duplicate":true`) {
			t.Errorf("fresh event: %s", l)
		}
	}
	if !strings.Contains(lines[5], " 200 ") || !strings.Contains(lines[5], `"duplicate":true`) {
		t.Errorf("redelivery: %s", lines[5])
	}
	if !strings.Contains(lines[6], " 400 ") {
		t.Errorf("forged: %s", lines[6])
	}
}
