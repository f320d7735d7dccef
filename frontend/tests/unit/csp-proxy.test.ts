// @vitest-environment node
import { describe, expect, it, vi } from "vitest";
import { NextRequest, NextResponse } from "next/server";

// The session refresh is the Supabase client's business; here it passes the request on as it does.
vi.mock("@/lib/supabase/proxy", () => ({
  updateSession: async (request: NextRequest) => NextResponse.next({ request }),
}));

import { proxy } from "@/proxy";
import { contentSecurityPolicy, parsePublicEnv, permissionsPolicy } from "@/lib/env";

const scriptSrc = (csp: string) => csp.split(";").map((d) => d.trim()).find((d) => d.startsWith("script-src")) ?? "";

describe("CSP with a per-request nonce (proxy.ts)", () => {
  it("gives every page response a fresh nonce, and the same policy to the render", async () => {
    const seen = new Set<string>();
    for (let i = 0; i < 3; i++) {
      const req = new NextRequest("http://127.0.0.1:3000/connect?code=BCDF-GHJK");
      const res = await proxy(req);
      const csp = res.headers.get("content-security-policy") ?? "";
      const nonce = req.headers.get("x-nonce") ?? "";
      expect(nonce).toMatch(/^[A-Za-z0-9+/]{22}==$/);
      expect(scriptSrc(csp)).toContain(`'nonce-${nonce}'`);
      expect(scriptSrc(csp)).toContain("'strict-dynamic'");
      expect(scriptSrc(csp)).not.toContain("unsafe-inline");
      // Next reads the nonce from the request's CSP header: the render sees the same policy.
      expect(res.headers.get("x-middleware-request-content-security-policy")).toBe(csp);
      seen.add(nonce);
    }
    expect(seen.size).toBe(3);
  });

  it("never allows inline scripts without a nonce, nor eval in production", () => {
    const e = parsePublicEnv({});
    expect(scriptSrc(contentSecurityPolicy(e, false))).toBe("script-src 'self'");
    expect(contentSecurityPolicy(e, false, "abc")).not.toContain("unsafe-eval");
    expect(scriptSrc(contentSecurityPolicy(e, false, "abc"))).toBe("script-src 'self' 'nonce-abc' 'strict-dynamic'");
  });

  it("Permissions-Policy denies Local Network Access (loopback and local network)", () => {
    for (const f of ["loopback-network=()", "local-network=()", "local-network-access=()", "camera=()", "microphone=()", "geolocation=()"]) {
      expect(permissionsPolicy).toContain(f);
    }
  });
});
