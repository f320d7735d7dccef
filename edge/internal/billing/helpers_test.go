package billing

import (
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/labstack/echo/v4"
	"github.com/stripe/stripe-go/v76/webhook"

	"github.com/octanebridge/octane-bridge/edge/internal/httpapi"
	"github.com/octanebridge/octane-bridge/internal/apierror"
	"github.com/octanebridge/octane-bridge/internal/testenv"
)

const testSecret = "whsec_test_octane_billing"

// libraryProduct is the seeded library product (STRIPE_PRODUCT_IDS in the tests).
const libraryProduct = "prod_octane_pro"

var (
	proUser  = uuid.MustParse("11111111-1111-4111-8111-111111111111")
	freeUser = uuid.MustParse("22222222-2222-4222-8222-222222222222")
)

func testPool(t testing.TB) *pgxpool.Pool {
	t.Helper()
	pool, err := pgxpool.New(context.Background(), testenv.DB(t))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(pool.Close)
	return pool
}

// fakeStripe is Stripe's current state at the unit boundary: what a re-fetch returns.
type fakeStripe struct {
	mu       sync.Mutex
	subs     map[string]Subscription
	prices   map[string]Price
	products map[string]Product
	fetches  atomic.Int64
}

func newFake() *fakeStripe {
	return &fakeStripe{subs: map[string]Subscription{}, prices: map[string]Price{}, products: map[string]Product{}}
}

func (f *fakeStripe) setSub(s Subscription) { f.mu.Lock(); f.subs[s.ID] = s; f.mu.Unlock() }

func (f *fakeStripe) Subscription(_ context.Context, id string) (Subscription, error) {
	f.fetches.Add(1)
	return lookup(f, f.subs, id)
}

func (f *fakeStripe) Price(_ context.Context, id string) (Price, error) {
	return lookup(f, f.prices, id)
}

func (f *fakeStripe) Product(_ context.Context, id string) (Product, error) {
	return lookup(f, f.products, id)
}

// lookup is a re-fetch from the fake: the object, or ErrNotFound as StripeSource says it.
func lookup[T any](f *fakeStripe, m map[string]T, id string) (T, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	v, ok := m[id]
	if !ok {
		return v, ErrNotFound
	}
	return v, nil
}

// errorBody mirrors the edge's error envelope so tests can assert codes.
type errorBody struct {
	Error struct {
		Code, Message string
	} `json:"error"`
}

func testEcho(s *Service, current CurrentUser) *echo.Echo {
	e := echo.New()
	// The edge's mapping: apierror.From, the code's status, the shared body.
	e.HTTPErrorHandler = func(err error, c echo.Context) {
		ae := apierror.From(err)
		_ = c.JSON(ae.Code.Status(), apierror.NewBody(ae, "test"))
	}
	if current == nil {
		current = func(c echo.Context) (uuid.UUID, bool) {
			u, err := uuid.Parse(c.Request().Header.Get("X-Test-User"))
			return u, err == nil
		}
	}
	e.POST("/v1/stripe/webhook", s.Webhook())
	e.POST("/v1/billing/checkout", s.Checkout(current, httpapi.Bind))
	e.POST("/v1/billing/portal", s.Portal(current))
	return e
}

type reply struct {
	Status int
	Body   string
}

func (r reply) code() string {
	var b errorBody
	_ = json.Unmarshal([]byte(r.Body), &b)
	return b.Error.Code
}

func do(h http.Handler, req *http.Request) reply {
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	b, _ := io.ReadAll(rec.Body)
	return reply{rec.Code, string(b)}
}

// eventJSON builds an event as Stripe sends it (API version 2023-10-16).
func eventJSON(id, typ string, object map[string]any) []byte {
	b, err := json.Marshal(map[string]any{
		"id": id, "object": "event", "api_version": "2023-10-16", "created": time.Now().Unix(),
		"type": typ, "livemode": false, "pending_webhooks": 1,
		"request": map[string]any{"id": nil, "idempotency_key": nil},
		"data":    map[string]any{"object": object},
	})
	if err != nil {
		panic(err)
	}
	return b
}

func signedRequest(payload []byte, secret string, at time.Time) *http.Request {
	sp := webhook.GenerateTestSignedPayload(&webhook.UnsignedPayload{Payload: payload, Secret: secret, Timestamp: at})
	req := httptest.NewRequest(http.MethodPost, "/v1/stripe/webhook", strings.NewReader(string(payload)))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Stripe-Signature", sp.Header)
	return req
}

func deliver(h http.Handler, payload []byte) reply {
	return do(h, signedRequest(payload, testSecret, time.Now()))
}

func scalar[T any](t testing.TB, pool *pgxpool.Pool, sql string, args ...any) T {
	t.Helper()
	var v T
	if err := pool.QueryRow(context.Background(), sql, args...).Scan(&v); err != nil {
		t.Fatalf("%s: %v", sql, err)
	}
	return v
}

func linkTestCustomer(t testing.TB, pool *pgxpool.Pool, user uuid.UUID, customer string) {
	t.Helper()
	if _, err := pool.Exec(context.Background(), `insert into public.customers (user_id, stripe_customer_id) values ($1, $2)`, user, customer); err != nil {
		t.Fatal(err)
	}
}

func ts(t time.Time) *time.Time { t = t.UTC().Truncate(time.Second); return &t }

func subObject(s Subscription) map[string]any {
	return map[string]any{"id": s.ID, "object": "subscription", "customer": s.CustomerID, "status": s.Status}
}

type tlogWriter struct{ t testing.TB }

func (w tlogWriter) Write(p []byte) (int, error) {
	w.t.Log(strings.TrimSpace(string(p)))
	return len(p), nil
}

// testLogger shows the service's log lines under the test that produced them.
func testLogger(t testing.TB) *slog.Logger {
	return slog.New(slog.NewTextHandler(tlogWriter{t}, &slog.HandlerOptions{Level: slog.LevelWarn}))
}
