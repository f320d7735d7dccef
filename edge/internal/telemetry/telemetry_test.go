package telemetry

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"

	"github.com/getsentry/sentry-go"
	metricnoop "go.opentelemetry.io/otel/metric/noop"
	sdkmetric "go.opentelemetry.io/otel/sdk/metric"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	tracenoop "go.opentelemetry.io/otel/trace/noop"
	coltracepb "go.opentelemetry.io/proto/otlp/collector/trace/v1"
	"google.golang.org/protobuf/proto"
)

// Whatever fills an event, what leaves the edge has no credential in it.
func TestScrubEventRemovesSecrets(t *testing.T) {
	secrets := []string{"oit1.local-1.eyJwYXlsb2FkIn0.bWFj", "oct_live_abc123_secretpart", "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJ4In0.sig",
		"sk_live_51Habc", "rk_test_abc", "whsec_abc123", "X-Amz-Signature=abcdef", "postgres://postgres:pw@db:5432/x", "hunter2"}
	e := &sentry.Event{
		Message: "failed with " + secrets[0] + " and Bearer " + secrets[2],
		Request: &sentry.Request{URL: "https://edge.example/v1/x?token=" + secrets[0], Method: "POST", QueryString: "token=" + secrets[0],
			Cookies: "sb=" + secrets[2], Data: `{"token":"` + secrets[0] + `"}`, Env: map[string]string{"REMOTE_ADDR": "203.0.113.9"},
			Headers: map[string]string{"Authorization": "Bearer x", "X-Api-Key": secrets[1], "Cookie": "a=b", "User-Agent": "ua " + secrets[3], "Stripe-Signature": "t=1,v1=x"}},
		User:        sentry.User{ID: "user-1", Email: "a@example.com", IPAddress: "203.0.113.9"},
		Exception:   []sentry.Exception{{Type: "*errors.errorString", Value: "dial " + secrets[7] + ": " + secrets[4]}},
		Tags:        map[string]string{"route": "/v1/x", "k": secrets[5]},
		Breadcrumbs: []*sentry.Breadcrumb{{Message: "GET ?" + secrets[6], Data: map[string]any{"password": "hunter2", "url": "u?" + secrets[6]}}},
		Contexts:    map[string]sentry.Context{"app": {"api_key": "anything", "nested": map[string]any{"list": []any{secrets[1]}}}},
	}
	out := ScrubEvent(e)
	raw, _ := json.Marshal(out)
	for _, s := range append(secrets, "203.0.113.9", "a@example.com", "Authorization", "Cookie", "Stripe-Signature", "X-Api-Key") {
		if strings.Contains(string(raw), s) {
			t.Errorf("%q survived: %s", s, raw)
		}
	}
	if out.Request.URL != "https://edge.example/v1/x" || out.Request.Headers["User-Agent"] != "ua [redacted]" || out.User.ID != "user-1" || out.Tags["route"] != "/v1/x" {
		t.Errorf("kept too little: %s", raw)
	}
}

// With an endpoint, spans and metrics leave over OTLP/HTTP (protobuf) to the given URLs, with
// the configured headers; Shutdown flushes them.
func TestOTLPExportsOverHTTP(t *testing.T) {
	var mu sync.Mutex
	got := map[string]string{}
	var traces coltracepb.ExportTraceServiceRequest
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		mu.Lock()
		got[r.URL.Path] = r.Header.Get("Content-Type") + " " + r.Header.Get("Dd-Api-Key")
		if r.URL.Path == "/v1/traces" {
			if err := proto.Unmarshal(body, &traces); err != nil {
				t.Errorf("traces body: %v", err)
			}
		}
		mu.Unlock()
		w.Header().Set("Content-Type", "application/x-protobuf")
	}))
	defer srv.Close()
	p, err := OTLP(context.Background(), OTLPConfig{TracesURL: srv.URL + "/v1/traces", MetricsURL: srv.URL + "/v1/metrics",
		Headers: map[string]string{"DD-API-KEY": "k"}, ServiceName: "octane-edge", Version: "test"})
	if err != nil {
		t.Fatal(err)
	}
	_, span := p.Tracer.Tracer("test").Start(context.Background(), "work")
	span.End()
	c, _ := p.Meter.Meter("test").Int64Counter("test.count")
	c.Add(context.Background(), 1)
	if err := p.Shutdown(context.Background()); err != nil {
		t.Fatal(err)
	}
	mu.Lock()
	defer mu.Unlock()
	for _, path := range []string{"/v1/traces", "/v1/metrics"} {
		if got[path] != "application/x-protobuf k" {
			t.Errorf("%s: %q (all: %v)", path, got[path], got)
		}
	}
	rs := traces.GetResourceSpans()
	if len(rs) != 1 || len(rs[0].GetScopeSpans()) != 1 || rs[0].GetScopeSpans()[0].GetSpans()[0].GetName() != "work" {
		t.Fatalf("exported spans: %v", rs)
	}
	res := map[string]string{}
	for _, kv := range rs[0].GetResource().GetAttributes() {
		res[kv.GetKey()] = kv.GetValue().GetStringValue()
	}
	if res["service.name"] != "octane-edge" || res["service.version"] != "test" || res["service.instance.id"] == "" {
		t.Errorf("resource %v", res)
	}
	// Without endpoints nothing is built.
	off, err := OTLP(context.Background(), OTLPConfig{})
	if err != nil || off.Shutdown(context.Background()) != nil {
		t.Fatal(err)
	}
	if _, s := off.Tracer.Tracer("x").Start(context.Background(), "y"); s.SpanContext().IsValid() {
		t.Error("a real span without an endpoint")
	}
}

func TestFirstWord(t *testing.T) {
	for in, want := range map[string]string{"select 1": "select", "\n\t  insert into x": "insert", "-- c\nupdate t": "update",
		"select(1)": "select", "": "query"} {
		if got := firstWord(in); got != want {
			t.Errorf("%q: %q, want %q", in, got, want)
		}
	}
}

// Unset providers are switched off, set ones are kept: the imports service and the router report
// through what the edge configured, or nothing.
func TestOrNoopKeepsSetProviders(t *testing.T) {
	tp, mp := OrNoop(nil, nil)
	if _, ok := tp.(tracenoop.TracerProvider); !ok {
		t.Errorf("nil tracer provider became %T", tp)
	}
	if _, ok := mp.(metricnoop.MeterProvider); !ok {
		t.Errorf("nil meter provider became %T", mp)
	}
	sdkTP, sdkMP := sdktrace.NewTracerProvider(), sdkmetric.NewMeterProvider()
	if tp, mp := OrNoop(sdkTP, sdkMP); tp != sdkTP || mp != sdkMP {
		t.Errorf("set providers replaced: %T %T", tp, mp)
	}
}
