package httpapi

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/labstack/echo/v4"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/propagation"
	sdkmetric "go.opentelemetry.io/otel/sdk/metric"
	"go.opentelemetry.io/otel/sdk/metric/metricdata"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"
	"go.opentelemetry.io/otel/trace"

	"github.com/octanebridge/octane-bridge/edge/internal/ratelimit"
	"github.com/octanebridge/octane-bridge/edge/internal/ratelimit/redistest"
	"github.com/octanebridge/octane-bridge/edge/internal/telemetry"
	"github.com/octanebridge/octane-bridge/internal/apierror"
)

// envelopeReceiver stands in for Sentry: the DSN's host, collecting every envelope posted to it.
type envelopeReceiver struct {
	srv  *httptest.Server
	mu   sync.Mutex
	raws [][]byte
}

func newEnvelopeReceiver(t *testing.T) *envelopeReceiver {
	r := &envelopeReceiver{}
	r.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		b, _ := io.ReadAll(req.Body)
		if strings.HasSuffix(req.URL.Path, "/envelope/") {
			r.mu.Lock()
			r.raws = append(r.raws, b)
			r.mu.Unlock()
		}
		w.WriteHeader(http.StatusOK)
	}))
	t.Cleanup(r.srv.Close)
	return r
}

func (r *envelopeReceiver) dsn() string {
	return "http://publickey@" + strings.TrimPrefix(r.srv.URL, "http://") + "/7"
}

// events are the error events received so far, with the raw envelope each came in.
func (r *envelopeReceiver) events(t *testing.T) (events []map[string]any, raws []string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	for _, raw := range r.raws {
		sc := bufio.NewScanner(bytes.NewReader(raw))
		sc.Buffer(make([]byte, 1<<20), 8<<20)
		var lines []string
		for sc.Scan() {
			lines = append(lines, sc.Text())
		}
		for i := 1; i+1 < len(lines); i += 2 { // envelope header, then (item header, payload) pairs
			var item struct{ Type string }
			if json.Unmarshal([]byte(lines[i]), &item) != nil || item.Type != "event" {
				continue
			}
			var ev map[string]any
			if err := json.Unmarshal([]byte(lines[i+1]), &ev); err != nil {
				t.Fatalf("event payload: %v", err)
			}
			events, raws = append(events, ev), append(raws, string(raw))
		}
	}
	return events, raws
}

// panickingPresigner fails the way a broken dependency might: its panic message carries a
// presigned URL and a key, which must not reach Sentry.
type panickingPresigner struct{}

func (panickingPresigner) PresignGet(context.Context, string, time.Duration) (string, time.Time, error) {
	panic("presign broke on https://s3.example/b/k?X-Amz-Credential=AKIAEXAMPLE&X-Amz-Signature=deadbeefcafe with sk_live_stripesecret123")
}

// A request that fails inside a real handler (redemption, whose presigner panics) answers
// INTERNAL_ERROR and reaches Sentry (a local envelope receiver as the DSN's host) with its
// request id and route as tags, and without the credentials the request carried: no
// Authorization, cookies, API key, query string, import token, presigned URL or Stripe key.
func TestFailingRequestReachesSentryWithoutSecrets(t *testing.T) {
	rcv := newEnvelopeReceiver(t)
	client, err := telemetry.NewSentry(telemetry.SentryOptions{DSN: rcv.dsn(), Environment: "test", Release: "test-release"})
	if err != nil {
		t.Fatal(err)
	}
	en := newEnv(t, func(d *Deps) { d.Sentry, d.Presigner = client, panickingPresigner{} })
	dev := en.device(proUser, "blender", dur(time.Minute))
	id, _, tok := en.createImport(proUser, map[string]any{"shader_id": en.shader.String(), "device_id": dev.String()})
	devJWT := en.deviceJWT(proUser, dev)
	const reqID = "sentry-test-request-0001"
	cookie := "sb-access-token=cookie-secret-value-123"
	apiKey := "oct_live_abcdef_secretsecretsecret"
	r := en.do(http.MethodPost, "/v1/imports/"+id.String()+"/redeem?access_token=query-secret-456", devJWT, map[string]string{"token": tok},
		"X-Request-Id", reqID, "Cookie", cookie, "X-Forwarded-For", "203.0.113.9", "User-Agent", "octane-bridge-test/1.0")
	if r.errCode(t) != string(apierror.Internal) {
		t.Fatalf("redeem with a panicking presigner: %d %s", r.Code, r.Body)
	}
	// An API key in its header on a second failing request, to a route of the test's own.
	en.e.GET("/test/fails", func(c echo.Context) error {
		return apierror.Wrap(apierror.Internal, "internal error", errors.New("ledger mismatch for "+apiKey))
	})
	if r := en.do(http.MethodGet, "/test/fails", "", nil, "X-Api-Key", apiKey, "X-Request-Id", "sentry-test-request-0002"); r.errCode(t) != string(apierror.Internal) {
		t.Fatalf("test route: %d %s", r.Code, r.Body)
	}
	// Client errors are not Sentry's business.
	if r := en.do(http.MethodGet, "/v1/imports/"+id.String(), devJWT+"x", nil, "X-Request-Id", "sentry-test-request-0003"); r.Code != 401 {
		t.Fatalf("bad credential: %d", r.Code)
	}
	if !client.Flush(10 * time.Second) {
		t.Fatal("Sentry did not flush")
	}
	events, raws := rcv.events(t)
	byID := map[string]map[string]any{}
	for i, ev := range events {
		tags, _ := ev["tags"].(map[string]any)
		id, _ := tags["request_id"].(string)
		byID[id] = ev
		for _, secret := range []string{devJWT, tok, "cookie-secret-value", apiKey, "query-secret", "X-Amz-Signature=deadbeef",
			"AKIAEXAMPLE", "sk_live_stripesecret", "203.0.113.9", "Bearer", "authorization", "Authorization", "Cookie"} {
			if strings.Contains(raws[i], secret) {
				t.Errorf("event %s carries %q:\n%s", id, secret, raws[i])
			}
		}
	}
	if len(events) != 2 || byID["sentry-test-request-0003"] != nil {
		t.Fatalf("%d events (%v): want the two failures, not the 401", len(events), keys(byID))
	}
	ev := byID[reqID]
	if ev == nil {
		t.Fatalf("no event with request id %s: %v", reqID, keys(byID))
	}
	tags := ev["tags"].(map[string]any)
	if tags["route"] != "/v1/imports/:id/redeem" || tags["error_code"] != "INTERNAL_ERROR" || ev["environment"] != "test" || ev["release"] != "test-release" {
		t.Errorf("tags %v environment %v release %v", tags, ev["environment"], ev["release"])
	}
	exc, _ := ev["exception"].([]any)
	if len(exc) == 0 || !strings.Contains(toJSON(exc), "presign broke") || !strings.Contains(toJSON(exc), "[redacted]") {
		t.Errorf("exception %s: want the panic, its secrets redacted", toJSON(exc))
	}
	if !strings.Contains(toJSON(exc), `"function":"panickingPresigner.PresignGet"`) {
		t.Error("the event's stack is not the panic's")
	}
	req, _ := ev["request"].(map[string]any)
	if req["method"] != "POST" || !strings.HasSuffix(req["url"].(string), "/v1/imports/"+id.String()+"/redeem") {
		t.Errorf("request %v", req)
	}
	if h, _ := req["headers"].(map[string]any); h["User-Agent"] != "octane-bridge-test/1.0" || h["X-Request-Id"] != reqID || len(h) > 5 {
		t.Errorf("request headers %v: only the safe ones", h)
	}
	if other := byID["sentry-test-request-0002"]; other == nil || other["tags"].(map[string]any)["route"] != "/test/fails" {
		t.Errorf("second failure: %v", other)
	}
}

func keys[V any](m map[string]V) []string {
	var out []string
	for k := range m {
		out = append(out, k)
	}
	return out
}

func toJSON(v any) string { b, _ := json.Marshal(v); return string(b) }

// Traces and metrics of a mint, through the real router, into the SDK's in-memory exporter
// and manual reader: a server span named after the route (continuing the caller's traceparent),
// the mint span inside it, a span per SQL statement inside that (with the statement, never its
// arguments), and the request counter, latency histogram and mint counter.
func TestMintIsTracedAndCounted(t *testing.T) {
	spans := tracetest.NewSpanRecorder()
	tp := sdktrace.NewTracerProvider(sdktrace.WithSpanProcessor(spans))
	reader := sdkmetric.NewManualReader()
	mp := sdkmetric.NewMeterProvider(sdkmetric.WithReader(reader))
	en := newEnv(t, func(d *Deps) {
		// The edge's pool carries the statement tracer (run.go); so does this copy of the test's.
		cfg, err := pgxpool.ParseConfig(d.DB.Config().ConnString())
		if err != nil {
			t.Fatal(err)
		}
		cfg.ConnConfig.Tracer = telemetry.NewPgxTracer(tp)
		traced, err := pgxpool.NewWithConfig(context.Background(), cfg)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(traced.Close)
		d.DB, d.TracerProvider, d.MeterProvider = traced, tp, mp
	})
	dev := en.device(proUser, "blender", dur(time.Minute))
	parent := trace.NewSpanContext(trace.SpanContextConfig{TraceID: trace.TraceID{1, 2, 3}, SpanID: trace.SpanID{4, 5, 6}, TraceFlags: trace.FlagsSampled, Remote: true})
	carrier := propagation.HeaderCarrier{}
	propagation.TraceContext{}.Inject(trace.ContextWithSpanContext(context.Background(), parent), carrier)
	r := en.do(http.MethodPost, "/v1/imports", en.session(proUser), map[string]string{"shader_id": en.shader.String(), "device_id": dev.String()},
		"traceparent", carrier.Get("traceparent"))
	if r.Code != http.StatusCreated {
		t.Fatalf("mint: %d %s", r.Code, r.Body)
	}
	importID := r.json(t)["import_id"].(string)
	var token string
	if err := en.db.QueryRow(context.Background(), `select payload->>'token' from realtime.messages where payload->>'import_id' = $1`, importID).Scan(&token); err != nil {
		t.Fatal(err)
	}

	ended := spans.Ended()
	find := func(name string) sdktrace.ReadOnlySpan {
		for _, s := range ended {
			if s.Name() == name {
				return s
			}
		}
		var names []string
		for _, s := range ended {
			names = append(names, s.Name())
		}
		t.Fatalf("no span %q among %v", name, names)
		return nil
	}
	server, mint := find("POST /v1/imports"), find("imports.mint")
	if server.SpanKind() != trace.SpanKindServer || server.Parent().SpanID() != parent.SpanID() || server.SpanContext().TraceID() != parent.TraceID() {
		t.Errorf("server span: kind %v parent %v trace %v", server.SpanKind(), server.Parent(), server.SpanContext().TraceID())
	}
	if a := attrs(server); a["http.route"] != "/v1/imports" || a["http.response.status_code"] != "201" || a["http.request.method"] != "POST" || a["edge.request_id"] == "" {
		t.Errorf("server span attributes %v", a)
	}
	if mint.Parent().SpanID() != server.SpanContext().SpanID() || attrs(mint)["edge.import_id"] != importID {
		t.Errorf("mint span: parent %v attributes %v", mint.Parent(), attrs(mint))
	}
	var sawCreate bool
	for _, s := range ended {
		if !strings.HasPrefix(s.Name(), "db ") {
			continue
		}
		a := attrs(s)
		if a["db.system.name"] != "postgresql" {
			t.Errorf("db span %s: %v", s.Name(), a)
		}
		if strings.Contains(a["db.query.text"], "mint_import") {
			sawCreate = true
			if s.Parent().SpanID() != mint.SpanContext().SpanID() {
				t.Error("the mint_import statement is not inside the mint span")
			}
		}
		for k, v := range a {
			if strings.Contains(v, token) || strings.Contains(v, "oit1.") {
				t.Errorf("db span %s attribute %s carries the token", s.Name(), k)
			}
		}
	}
	if !sawCreate {
		t.Error("no span for the mint_import statement")
	}

	var rm metricdata.ResourceMetrics
	if err := reader.Collect(context.Background(), &rm); err != nil {
		t.Fatal(err)
	}
	got := map[string]bool{}
	for _, sm := range rm.ScopeMetrics {
		for _, m := range sm.Metrics {
			switch d := m.Data.(type) {
			case metricdata.Sum[int64]:
				for _, p := range d.DataPoints {
					route, _ := p.Attributes.Value(attribute.Key("http.route"))
					status, _ := p.Attributes.Value(attribute.Key("http.response.status_code"))
					if m.Name == "edge.http.requests" && route.AsString() == "/v1/imports" && status.AsInt64() == 201 && p.Value == 1 {
						got[m.Name] = true
					}
					if m.Name == "edge.imports.minted" && p.Value == 1 {
						got[m.Name] = true
					}
				}
			case metricdata.Histogram[float64]:
				for _, p := range d.DataPoints {
					route, _ := p.Attributes.Value(attribute.Key("http.route"))
					if m.Name == "http.server.request.duration" && route.AsString() == "/v1/imports" && p.Count == 1 && m.Unit == "s" {
						got[m.Name] = true
					}
				}
			}
		}
	}
	for _, name := range []string{"edge.http.requests", "http.server.request.duration", "edge.imports.minted"} {
		if !got[name] {
			t.Errorf("metric %s missing or wrong: %+v", name, rm.ScopeMetrics)
		}
	}
}

func attrs(s sdktrace.ReadOnlySpan) map[string]string {
	out := map[string]string{}
	for _, kv := range s.Attributes() {
		out[string(kv.Key)] = kv.Value.Emit()
	}
	return out
}

// Readiness through the real router: the database, and Redis when the rate limits live there.
// Liveness depends on neither.
func TestReadinessChecksDatabaseAndRedis(t *testing.T) {
	addr, stop := redistest.Start(t)
	live, err := ratelimit.DialRedis("redis://" + addr)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = live.Close() })
	en := newEnv(t, func(d *Deps) { d.Redis = live })
	for _, p := range []string{"/healthz", "/readyz"} {
		if r := en.do(http.MethodGet, p, "", nil); r.Code != 200 {
			t.Fatalf("%s with PostgreSQL and Redis up: %d %s", p, r.Code, r.Body)
		}
	}
	stop()
	if r := en.do(http.MethodGet, "/readyz", "", nil); r.errCode(t) != string(apierror.ServiceUnavailable) || !strings.Contains(string(r.Body), "Redis") {
		t.Fatalf("readyz with Redis down: %d %s", r.Code, r.Body)
	}
	if r := en.do(http.MethodGet, "/healthz", "", nil); r.Code != 200 {
		t.Fatalf("healthz with Redis down: %d", r.Code)
	}
	// Without Redis configured only the database counts.
	noRedis := newEnv(t)
	if r := noRedis.do(http.MethodGet, "/readyz", "", nil); r.Code != 200 {
		t.Fatalf("readyz without Redis: %d %s", r.Code, r.Body)
	}
}
