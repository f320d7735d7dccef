package telemetry

import (
	"context"
	"errors"
	"os"
	"strings"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	"go.opentelemetry.io/otel/exporters/otlp/otlpmetric/otlpmetrichttp"
	"go.opentelemetry.io/otel/exporters/otlp/otlptrace/otlptracehttp"
	"go.opentelemetry.io/otel/metric"
	metricnoop "go.opentelemetry.io/otel/metric/noop"
	sdkmetric "go.opentelemetry.io/otel/sdk/metric"
	"go.opentelemetry.io/otel/sdk/resource"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/trace"
	tracenoop "go.opentelemetry.io/otel/trace/noop"
)

// OTLPConfig says where traces and metrics go (OTLP over HTTP, protobuf); an empty URL turns that
// signal off.
type OTLPConfig struct {
	TracesURL, MetricsURL string            // full URLs, e.g. http://otel-collector:4318/v1/traces
	Headers               map[string]string // OTEL_EXPORTER_OTLP_HEADERS (API keys of hosted back ends)
	ServiceName, Version  string
	Environment           string
}

// Providers are the tracer and meter providers the edge's code uses, and how to flush them.
type Providers struct {
	Tracer   trace.TracerProvider
	Meter    metric.MeterProvider
	Shutdown func(context.Context) error
}

// Noop is telemetry switched off.
func Noop() Providers {
	return Providers{Tracer: tracenoop.NewTracerProvider(), Meter: metricnoop.NewMeterProvider(),
		Shutdown: func(context.Context) error { return nil }}
}

// OrNoop is tp and mp with a nil one switched off: callers that report nothing (tests) leave
// them unset.
func OrNoop(tp trace.TracerProvider, mp metric.MeterProvider) (trace.TracerProvider, metric.MeterProvider) {
	if tp == nil {
		tp = tracenoop.NewTracerProvider()
	}
	if mp == nil {
		mp = metricnoop.NewMeterProvider()
	}
	return tp, mp
}

// OTLP builds providers that export over OTLP/HTTP: spans in batches, metrics every
// OTEL_METRIC_EXPORT_INTERVAL (60 s by default). Sampling follows OTEL_TRACES_SAMPLER (default:
// the parent's decision, else always).
func OTLP(ctx context.Context, c OTLPConfig) (Providers, error) {
	p := Noop()
	if c.TracesURL == "" && c.MetricsURL == "" {
		return p, nil
	}
	host, _ := os.Hostname() // the pod or machine: tells the N instances apart
	res := resource.NewSchemaless(attribute.String("service.name", c.ServiceName), attribute.String("service.version", c.Version),
		attribute.String("deployment.environment.name", c.Environment), attribute.String("service.instance.id", uuid.NewString()),
		attribute.String("host.name", host))
	var shutdowns []func(context.Context) error
	if c.TracesURL != "" {
		exp, err := otlptracehttp.New(ctx, otlptracehttp.WithEndpointURL(c.TracesURL), otlptracehttp.WithHeaders(c.Headers))
		if err != nil {
			return p, err
		}
		tp := sdktrace.NewTracerProvider(sdktrace.WithBatcher(exp), sdktrace.WithResource(res))
		p.Tracer, shutdowns = tp, append(shutdowns, tp.Shutdown)
	}
	if c.MetricsURL != "" {
		exp, err := otlpmetrichttp.New(ctx, otlpmetrichttp.WithEndpointURL(c.MetricsURL), otlpmetrichttp.WithHeaders(c.Headers))
		if err != nil {
			return p, err
		}
		mp := sdkmetric.NewMeterProvider(sdkmetric.WithReader(sdkmetric.NewPeriodicReader(exp)), sdkmetric.WithResource(res))
		p.Meter, shutdowns = mp, append(shutdowns, mp.Shutdown)
	}
	p.Shutdown = func(ctx context.Context) error {
		var errs []error
		for _, s := range shutdowns {
			errs = append(errs, s(ctx))
		}
		return errors.Join(errs...)
	}
	return p, nil
}

// PgxTracer makes one client span per PostgreSQL statement (pgx.QueryTracer): the statement text
// with its placeholders, never the arguments (tokens, hashes and ids travel as arguments).
type PgxTracer struct{ Tracer trace.Tracer }

// NewPgxTracer traces with tp.
func NewPgxTracer(tp trace.TracerProvider) *PgxTracer {
	return &PgxTracer{Tracer: tp.Tracer("github.com/octanebridge/octane-bridge/edge/internal/telemetry")}
}

const maxStatement = 2048

// TraceQueryStart opens the statement's span.
func (t *PgxTracer) TraceQueryStart(ctx context.Context, _ *pgx.Conn, d pgx.TraceQueryStartData) context.Context {
	op := strings.ToUpper(firstWord(d.SQL))
	sql := d.SQL
	if len(sql) > maxStatement {
		sql = sql[:maxStatement]
	}
	ctx, _ = t.Tracer.Start(ctx, "db "+strings.ToLower(op), trace.WithSpanKind(trace.SpanKindClient), trace.WithAttributes(
		attribute.String("db.system.name", "postgresql"), attribute.String("db.operation.name", op),
		attribute.String("db.query.text", sql)))
	return ctx
}

// TraceQueryEnd closes it, with the SQLSTATE-free error status.
func (t *PgxTracer) TraceQueryEnd(ctx context.Context, _ *pgx.Conn, d pgx.TraceQueryEndData) {
	span := trace.SpanFromContext(ctx)
	if d.Err != nil {
		span.SetStatus(codes.Error, "query failed")
	}
	span.SetAttributes(attribute.Int64("db.response.returned_rows", d.CommandTag.RowsAffected()))
	span.End()
}

func firstWord(sql string) string {
	s := strings.TrimSpace(sql)
	for strings.HasPrefix(s, "--") { // a leading comment line
		_, s, _ = strings.Cut(s, "\n")
		s = strings.TrimSpace(s)
	}
	if i := strings.IndexAny(s, " \t\n("); i >= 0 {
		s = s[:i]
	}
	if s == "" {
		return "query"
	}
	return s
}
