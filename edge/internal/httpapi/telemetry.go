package httpapi

import (
	"context"
	"fmt"
	"runtime"
	"time"

	"github.com/getsentry/sentry-go"
	"github.com/labstack/echo/v4"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	"go.opentelemetry.io/otel/metric"
	"go.opentelemetry.io/otel/propagation"
	"go.opentelemetry.io/otel/trace"

	"github.com/octanebridge/octane-bridge/edge/internal/telemetry"
	"github.com/octanebridge/octane-bridge/internal/apierror"
)

// Pinger is a dependency readiness checks (Redis).
type Pinger interface{ Ping(context.Context) error }

const instrumentationScope = "github.com/octanebridge/octane-bridge/edge/internal/httpapi"

// httpTelemetry is the router's OpenTelemetry instruments; without providers they are no-ops.
type httpTelemetry struct {
	tracer     trace.Tracer
	propagator propagation.TextMapPropagator
	requests   metric.Int64Counter
	duration   metric.Float64Histogram
}

func newHTTPTelemetry(d Deps) httpTelemetry {
	tp, mp := telemetry.OrNoop(d.TracerProvider, d.MeterProvider)
	m := mp.Meter(instrumentationScope)
	t := httpTelemetry{tracer: tp.Tracer(instrumentationScope), propagator: propagation.TraceContext{}}
	// The SDK's instrument constructors fail only on an invalid name; these are constants.
	t.requests, _ = m.Int64Counter("edge.http.requests", metric.WithUnit("{request}"),
		metric.WithDescription("HTTP requests by method, route template and status."))
	t.duration, _ = m.Float64Histogram("http.server.request.duration", metric.WithUnit("s"),
		metric.WithDescription("HTTP request latency by method, route template and status."),
		metric.WithExplicitBucketBoundaries(.001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5))
	return t
}

// instrument opens the request's server span, named after the route template (never the URL,
// which may carry ids), continues a W3C traceparent, binds a Sentry hub tagged with the request
// id and route when Sentry is on, and records the request counter and latency histogram.
func (a *api) instrument(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		r := c.Request()
		route := c.Path()
		if route == "" {
			route = "unmatched"
		}
		id := requestIDOf(c)
		ctx := a.tel.propagator.Extract(r.Context(), propagation.HeaderCarrier(r.Header))
		ctx, span := a.tel.tracer.Start(ctx, r.Method+" "+route, trace.WithSpanKind(trace.SpanKindServer),
			trace.WithAttributes(attribute.String("http.request.method", r.Method), attribute.String("http.route", route),
				attribute.String("edge.request_id", id)))
		defer span.End()
		if a.Sentry != nil {
			hub := sentry.NewHub(a.Sentry, sentry.NewScope())
			scope := hub.Scope()
			scope.SetTag("request_id", id)
			scope.SetTag("route", route)
			if sc := span.SpanContext(); sc.IsValid() {
				scope.SetTag("trace_id", sc.TraceID().String())
			}
			scope.AddEventProcessor(func(e *sentry.Event, _ *sentry.EventHint) *sentry.Event {
				e.Request = telemetry.Request(r) // method, URL without query, safe headers only
				return e
			})
			ctx = sentry.SetHubOnContext(ctx, hub)
		}
		c.SetRequest(r.WithContext(ctx))
		start := time.Now()
		err := next(c) // observe, inside, has already written any error response
		status := c.Response().Status
		attrs := metric.WithAttributes(attribute.String("http.request.method", r.Method), attribute.String("http.route", route),
			attribute.Int("http.response.status_code", status))
		a.tel.requests.Add(ctx, 1, attrs)
		a.tel.duration.Record(ctx, time.Since(start).Seconds(), attrs)
		span.SetAttributes(attribute.Int("http.response.status_code", status))
		if status >= 500 {
			span.SetStatus(codes.Error, "")
		}
		return err
	}
}

// report marks the span of a failed (5xx) request with its code and sends the cause to Sentry
// (when on). The event carries the request id and route as tags, and passes telemetry.ScrubEvent.
func (a *api) report(c echo.Context, e *apierror.Error) {
	ctx := c.Request().Context()
	trace.SpanFromContext(ctx).SetAttributes(attribute.String("error.type", string(e.Code)))
	hub := sentry.GetHubFromContext(ctx)
	if hub == nil || e.Err == nil {
		return
	}
	hub.WithScope(func(s *sentry.Scope) {
		s.SetTag("error_code", string(e.Code))
		s.SetLevel(sentry.LevelError)
		hub.CaptureException(e.Err)
	})
}

// panicError is a recovered panic with the stack where it happened, which Sentry shows instead
// of the error handler's (it reads StackTrace, as for github.com/pkg/errors).
type panicError struct {
	value any
	pcs   []uintptr
}

func newPanicError(v any) *panicError {
	pcs := make([]uintptr, 64)
	n := runtime.Callers(3, pcs) // skip Callers, newPanicError and the deferred recover
	return &panicError{value: v, pcs: pcs[:n]}
}

func (p *panicError) Error() string         { return fmt.Sprintf("panic: %v", p.value) }
func (p *panicError) StackTrace() []uintptr { return p.pcs }
