package config

import (
	"errors"
	"fmt"
	"net/url"
	"strings"
)

// otlp reads the standard OpenTelemetry exporter variables (the subset the edge supports):
// OTEL_EXPORTER_OTLP_ENDPOINT (base URL; /v1/traces and /v1/metrics are appended), the
// per-signal OTEL_EXPORTER_OTLP_{TRACES,METRICS}_ENDPOINT (used as they are),
// OTEL_EXPORTER_OTLP_HEADERS (k=v,k2=v2, values URL-encoded), OTEL_EXPORTER_OTLP_PROTOCOL (only
// http/protobuf), OTEL_{TRACES,METRICS}_EXPORTER=none and OTEL_SDK_DISABLED=true to switch a
// signal or everything off. No endpoint: nothing is exported.
func otlp(get func(k, def string) string) (traces, metrics string, headers map[string]string, errs []error) {
	if strings.EqualFold(get("OTEL_SDK_DISABLED", ""), "true") {
		return "", "", nil, nil
	}
	if p := get("OTEL_EXPORTER_OTLP_PROTOCOL", "http/protobuf"); p != "http/protobuf" {
		errs = append(errs, fmt.Errorf("OTEL_EXPORTER_OTLP_PROTOCOL: the edge exports http/protobuf only, not %q", p))
	}
	base := strings.TrimRight(get("OTEL_EXPORTER_OTLP_ENDPOINT", ""), "/")
	signal := func(name, path string) string {
		upper := strings.ToUpper(name)
		if strings.EqualFold(get("OTEL_"+upper+"_EXPORTER", "otlp"), "none") {
			return ""
		}
		u := get("OTEL_EXPORTER_OTLP_"+upper+"_ENDPOINT", "")
		if u == "" && base != "" {
			u = base + path
		}
		if p, err := url.Parse(u); u != "" && (err != nil || (p.Scheme != "http" && p.Scheme != "https") || p.Host == "") {
			errs = append(errs, fmt.Errorf("OTEL_EXPORTER_OTLP_%s_ENDPOINT (or OTEL_EXPORTER_OTLP_ENDPOINT): not an http(s) URL", upper))
			return ""
		}
		return u
	}
	traces, metrics = signal("traces", "/v1/traces"), signal("metrics", "/v1/metrics")
	if h := get("OTEL_EXPORTER_OTLP_HEADERS", ""); h != "" {
		headers = map[string]string{}
		for _, kv := range strings.Split(h, ",") {
			k, v, ok := strings.Cut(kv, "=")
			k = strings.TrimSpace(k)
			dv, err := url.QueryUnescape(strings.TrimSpace(v))
			if !ok || k == "" || err != nil {
				errs = append(errs, errors.New("OTEL_EXPORTER_OTLP_HEADERS: key=value pairs separated by commas"))
				break
			}
			headers[k] = dv
		}
	}
	return traces, metrics, headers, errs
}
