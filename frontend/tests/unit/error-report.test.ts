// @vitest-environment node
import { createServer, type IncomingHttpHeaders, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { afterEach, beforeEach, describe, expect, it } from "vitest";

import { onRequestError } from "@/instrumentation";
import { parseDsn, redact } from "@/lib/error-report";

type Received = { path: string; headers: IncomingHttpHeaders; body: string };

// A local stand-in for Sentry: the DSN's host, collecting every envelope.
let server: Server;
let received: Received[];
let base: string;

beforeEach(async () => {
  received = [];
  server = createServer((req, res) => {
    let body = "";
    req.on("data", (c) => (body += c));
    req.on("end", () => {
      received.push({ path: req.url ?? "", headers: req.headers, body });
      res.writeHead(200, { "Content-Type": "application/json" }).end("{}");
    });
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  base = `127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterEach(async () => {
  delete process.env.SENTRY_DSN;
  delete process.env.NEXT_PUBLIC_SENTRY_DSN;
  await new Promise((r) => server.close(r));
});

const jwt = "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiJ1c2VyIn0.c2lnbmF0dXJl";
const request = {
  path: "/shaders/oak-wood?token=query-secret-1&access_token=query-secret-2",
  method: "GET",
  headers: {
    cookie: `sb-127-auth-token=base64-${jwt}; other=cookie-secret-3`,
    authorization: `Bearer ${jwt}`,
    "x-api-key": "oct_live_abc_secretsecret",
    "x-request-id": "site-request-0001",
    "x-forwarded-for": "203.0.113.9",
  },
};
const context = {
  routerKind: "App Router" as const,
  routePath: "/shaders/[slug]",
  routeType: "render" as const,
  renderSource: "react-server-components" as const,
  revalidateReason: undefined,
};

describe("server error reporting (instrumentation.ts onRequestError)", () => {
  it("sends a failing request to the DSN's host with its request id and route, and no secrets", async () => {
    process.env.SENTRY_DSN = `http://publickey@${base}/7`;
    const error = Object.assign(
      new Error(`catalog query failed: postgres://app:db-password-4@db:5432/x with oit1.local-1.cGF5bG9hZA.bWFj and sk_live_stripe5`),
      { digest: "1234567890" },
    );
    await onRequestError(error, request, context);

    expect(received).toHaveLength(1);
    const { path, headers, body } = received[0]!;
    expect(path).toBe("/api/7/envelope/");
    expect(headers["x-sentry-auth"]).toContain("sentry_key=publickey");
    const [, itemHeader = "", payload = ""] = body.trim().split("\n");
    expect(JSON.parse(itemHeader)).toEqual({ type: "event" });
    const event = JSON.parse(payload);
    expect(event.tags).toMatchObject({
      request_id: "site-request-0001",
      route: "/shaders/[slug]",
      route_type: "render",
      digest: "1234567890",
    });
    expect(event.request).toEqual({ method: "GET", url: "/shaders/oak-wood" });
    expect(event.exception.values[0].value).toContain("catalog query failed");
    expect(event.exception.values[0].stacktrace.frames.length).toBeGreaterThan(0);
    for (const secret of [
      jwt,
      "eyJ",
      "query-secret",
      "cookie-secret",
      "oct_live_",
      "203.0.113.9",
      "db-password",
      "oit1.",
      "sk_live_",
      "authorization",
      "cookie",
    ]) {
      expect(body, secret).not.toContain(secret);
    }
  });

  it("without a request id header, the digest ties the event to the server log", async () => {
    process.env.SENTRY_DSN = `http://publickey@${base}/7`;
    const { "x-request-id": _omit, ...headers } = request.headers;
    await onRequestError(Object.assign(new Error("boom"), { digest: "987654321" }), { ...request, headers }, context);
    expect(JSON.parse(received[0]?.body.trim().split("\n")[2] ?? "{}").tags.request_id).toBe("987654321");
  });

  it("sends nothing when SENTRY_DSN is unset", async () => {
    await onRequestError(new Error("boom"), request, context);
    expect(received).toHaveLength(0);
  });

  it("reads DSNs and redacts credentials", () => {
    expect(parseDsn("https://abc@o1.ingest.sentry.io/42")).toEqual({
      envelopeUrl: "https://o1.ingest.sentry.io/api/42/envelope/",
      publicKey: "abc",
    });
    expect(parseDsn("https://abc@host/prefix/42")?.envelopeUrl).toBe("https://host/prefix/api/42/envelope/");
    expect(parseDsn("not a dsn")).toBeNull();
    expect(parseDsn("https://host/42")).toBeNull();
    expect(redact("GET /x?token=abc&page=2")).toBe("GET /x?token=[redacted]&page=2");
    expect(redact(`Bearer ${jwt}`)).not.toContain("eyJ");
    expect(redact("Bearer opaque-token-1")).toBe("[redacted]");
    expect(redact("whsec_abc rk_test_x1")).toBe("[redacted] [redacted]");
  });
});
