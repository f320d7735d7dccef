import { describe, expect, it, vi } from "vitest";
import { edgeRequest, normalizeUserCode, edgeMessage } from "@/lib/edge";
import { safeNext, isProtectedPath, loginRedirectPath } from "@/lib/routes";
import { parsePublicEnv, contentSecurityPolicy, connectSources } from "@/lib/env";

describe("edgeRequest", () => {
  it("sends the bearer token and JSON body", async () => {
    const f = vi.fn(async () => new Response(JSON.stringify({ import_id: "x" }), { status: 201 }));
    const r = await edgeRequest<{ import_id: string }>("http://edge/", "/v1/imports", { token: "jwt", body: { shader_id: "s" }, fetchImpl: f as unknown as typeof fetch });
    expect(r).toEqual({ ok: true, data: { import_id: "x" } });
    const [url, init] = f.mock.calls[0] as unknown as [string, RequestInit];
    expect(url).toBe("http://edge/v1/imports");
    expect((init.headers as Record<string, string>).authorization).toBe("Bearer jwt");
    expect(init.method).toBe("POST");
  });
  it("returns the edge's error code", async () => {
    const f = async () => new Response(JSON.stringify({ error: { code: "SUBSCRIPTION_REQUIRED", message: "m", request_id: "r1" } }), { status: 402 });
    const r = await edgeRequest("http://edge", "/v1/imports", { body: {}, fetchImpl: f as unknown as typeof fetch });
    expect(r.ok).toBe(false);
    if (!r.ok) {
      expect(r.error.code).toBe("SUBSCRIPTION_REQUIRED");
      expect(edgeMessage(r.error)).toMatch(/Subscribe/);
    }
  });
  it("maps network failures to SERVICE_UNAVAILABLE", async () => {
    const f = async () => { throw new TypeError("fetch failed"); };
    const r = await edgeRequest("http://edge", "/x", { fetchImpl: f as unknown as typeof fetch });
    expect(!r.ok && r.error.code).toBe("SERVICE_UNAVAILABLE");
  });
  it("handles non-JSON error bodies", async () => {
    const f = async () => new Response("<html>bad gateway</html>", { status: 502 });
    const r = await edgeRequest("http://edge", "/x", { fetchImpl: f as unknown as typeof fetch });
    expect(!r.ok && r.error.code).toBe("INTERNAL_ERROR");
  });
});

describe("normalizeUserCode", () => {
  it("accepts what people type", () => {
    expect(normalizeUserCode("bcdf ghjk")).toBe("BCDF-GHJK");
    expect(normalizeUserCode(" BCDF-GHJK ")).toBe("BCDF-GHJK");
  });
  it("rejects vowels, digits and wrong lengths", () => {
    expect(normalizeUserCode("ABCD-EFGH")).toBeNull();
    expect(normalizeUserCode("BCDF-GHJ")).toBeNull();
    expect(normalizeUserCode("")).toBeNull();
  });
});

describe("routes", () => {
  it("accepts only same-site return paths", () => {
    expect(safeNext("/account?x=1")).toBe("/account?x=1");
    expect(safeNext("//evil.example/x")).toBe("/");
    expect(safeNext("https://evil.example")).toBe("/");
    expect(safeNext("/\\evil.example")).toBe("/");
    expect(safeNext(null, "/account")).toBe("/account");
  });
  it("protects account and connect", () => {
    expect(isProtectedPath("/account")).toBe(true);
    expect(isProtectedPath("/connect")).toBe(true);
    expect(isProtectedPath("/accounting")).toBe(false);
    expect(isProtectedPath("/")).toBe(false);
  });
  it("builds login redirects with the return path", () => {
    expect(loginRedirectPath("/connect?user_code=BCDF-GHJK")).toBe("/login?next=%2Fconnect%3Fuser_code%3DBCDF-GHJK");
  });
});

describe("env and CSP", () => {
  const e = parsePublicEnv({ NEXT_PUBLIC_SUPABASE_URL: "https://abc.supabase.co", NEXT_PUBLIC_EDGE_URL: "https://edge.example.com/", NEXT_PUBLIC_PREVIEW_BASE_URL: "https://cdn.example.com/p", NEXT_PUBLIC_UPLOAD_URL: "" });
  it("lets the browser connect only to the site, Supabase (http + ws) and the edge", () => {
    expect(connectSources(e)).toEqual(["'self'", "https://abc.supabase.co", "wss://abc.supabase.co", "https://edge.example.com"]);
    const csp = contentSecurityPolicy(e, false);
    expect(csp).toContain("connect-src 'self' https://abc.supabase.co wss://abc.supabase.co https://edge.example.com;");
    expect(csp).toContain("img-src 'self' data: blob: https://cdn.example.com");
    expect(csp).not.toContain("unsafe-eval");
    expect(csp).toContain("frame-ancestors 'none'");
  });
  it("lets the operator's page PUT upload parts to the bucket's origin when one is set", () => {
    const up = parsePublicEnv({ NEXT_PUBLIC_UPLOAD_URL: "https://octane-packages.s3.eu-central-1.amazonaws.com/" });
    expect(connectSources(up)).toContain("https://octane-packages.s3.eu-central-1.amazonaws.com");
    expect(connectSources(parsePublicEnv({}))).toContain("http://127.0.0.1:9000");
  });
  it("rejects a malformed URL", () => {
    expect(() => parsePublicEnv({ NEXT_PUBLIC_EDGE_URL: "not a url" })).toThrow();
  });
  it("defaults to the local stack", () => {
    expect(parsePublicEnv({}).supabaseUrl).toBe("http://127.0.0.1:54321");
  });
});
