package config

import (
	"fmt"
	"strings"
	"testing"
)

// Observability is off by default and switched on by the standard variables.
func TestObservabilityConfig(t *testing.T) {
	c, err := Load(env(nil))
	if err != nil || c.SentryDSN != "" || c.OTLPTracesURL != "" || c.OTLPMetricsURL != "" || c.SentryEnvironment != "development" || c.OTelServiceName != "octane-edge" {
		t.Fatalf("defaults: %+v %v", c, err)
	}
	c, err = Load(env(map[string]string{"SENTRY_DSN": "https://pub@o1.ingest.sentry.io/42", "SENTRY_ENVIRONMENT": "staging",
		"OTEL_EXPORTER_OTLP_ENDPOINT": "http://collector:4318/", "OTEL_EXPORTER_OTLP_HEADERS": "DD-API-KEY=dd-secret,x-tenant=a%20b",
		"OTEL_SERVICE_NAME": "edge-eu"}))
	if err != nil {
		t.Fatal(err)
	}
	if c.OTLPTracesURL != "http://collector:4318/v1/traces" || c.OTLPMetricsURL != "http://collector:4318/v1/metrics" ||
		c.OTLPHeaders["DD-API-KEY"] != "dd-secret" || c.OTLPHeaders["x-tenant"] != "a b" || c.SentryEnvironment != "staging" || c.OTelServiceName != "edge-eu" {
		t.Fatalf("%+v", c)
	}
	if s := fmt.Sprint(c); strings.Contains(s, "dd-secret") || strings.Contains(s, "pub@") {
		t.Fatalf("a secret in the printed config: %s", s)
	}
	c, err = Load(env(map[string]string{"OTEL_EXPORTER_OTLP_ENDPOINT": "http://collector:4318", "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT": "https://traces.example/otlp",
		"OTEL_METRICS_EXPORTER": "none"}))
	if err != nil || c.OTLPTracesURL != "https://traces.example/otlp" || c.OTLPMetricsURL != "" {
		t.Fatalf("per-signal: %q %q %v", c.OTLPTracesURL, c.OTLPMetricsURL, err)
	}
	c, err = Load(env(map[string]string{"OTEL_EXPORTER_OTLP_ENDPOINT": "http://collector:4318", "OTEL_SDK_DISABLED": "true"}))
	if err != nil || c.OTLPTracesURL != "" || c.OTLPMetricsURL != "" {
		t.Fatalf("disabled: %+v %v", c, err)
	}
	for name, over := range map[string]map[string]string{
		"grpc":        {"OTEL_EXPORTER_OTLP_ENDPOINT": "http://c:4317", "OTEL_EXPORTER_OTLP_PROTOCOL": "grpc"},
		"not a URL":   {"OTEL_EXPORTER_OTLP_ENDPOINT": "collector:4318"},
		"bad headers": {"OTEL_EXPORTER_OTLP_ENDPOINT": "http://c:4318", "OTEL_EXPORTER_OTLP_HEADERS": "novalue"},
		"bad DSN":     {"SENTRY_DSN": "not-a-dsn"},
	} {
		if _, err := Load(env(over)); err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
}
