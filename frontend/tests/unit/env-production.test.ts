import { describe, expect, it } from "vitest";
import fs from "node:fs";
import path from "node:path";
import { DEV_ANON_KEYS, isDevAnonKey, isLoopbackUrl, isProductionSite, parsePublicEnv } from "@/lib/env";

// The site's production check (issue 18 item 6): no fallback to the local stack, no development
// keys, no loopback URLs. The list of development keys is the edge's and the publisher's
// (internal/devsecrets/devsecrets.json).

const root = path.resolve(__dirname, "../../..");
const devsecrets = JSON.parse(fs.readFileSync(path.join(root, "internal/devsecrets/devsecrets.json"), "utf8")) as {
  public_keys: Record<string, string[]>;
  secrets: Record<string, string[]>;
  demo_jwt_issuer: string;
};
const cases = JSON.parse(fs.readFileSync(path.join(root, "internal/devsecrets/devsecretstest/cases.json"), "utf8")) as {
  loopback_urls: Record<string, boolean>;
};
const envExample = Object.fromEntries(
  fs
    .readFileSync(path.join(root, ".env.example"), "utf8")
    .split("\n")
    .filter((l) => /^[A-Z_]+=/.test(l))
    .map((l) => [l.slice(0, l.indexOf("=")), l.slice(l.indexOf("=") + 1)]),
) as Record<string, string>;

const real = {
  NEXT_PUBLIC_SUPABASE_URL: "https://abcdefgh.supabase.co",
  NEXT_PUBLIC_SUPABASE_ANON_KEY: "sb_publishable_3kX9v1dQ7wZpL0aR2mB8cT_xYz12345",
  NEXT_PUBLIC_EDGE_URL: "https://edge.example.com",
  NEXT_PUBLIC_SITE_URL: "https://shaders.example.com",
  NEXT_PUBLIC_PREVIEW_BASE_URL: "https://cdn.example.com",
  NEXT_PUBLIC_SENTRY_DSN: "",
};
const vercelProd = { NODE_ENV: "production", VERCEL_ENV: "production" };

function jwt(payload: object): string {
  const b64 = (s: string) => Buffer.from(s).toString("base64url");
  return `${b64('{"alg":"HS256","typ":"JWT"}')}.${b64(JSON.stringify(payload))}.c2lnbmF0dXJl`;
}

describe("production mode", () => {
  it("is Vercel production or SITE_ENV=production, never NODE_ENV alone (next start in the local stack)", () => {
    expect(isProductionSite({ NODE_ENV: "production" })).toBe(false);
    expect(isProductionSite({ NODE_ENV: "production", VERCEL_ENV: "preview" })).toBe(false);
    expect(isProductionSite(vercelProd)).toBe(true);
    expect(isProductionSite({ SITE_ENV: "production" })).toBe(true);
    expect(isProductionSite({ ...vercelProd, SITE_ENV: "development" })).toBe(false);
    expect(() => isProductionSite({ SITE_ENV: "staging" })).toThrow(/SITE_ENV/);
    // make dev / e2e: next start without any NEXT_PUBLIC_* still gets the local stack.
    expect(parsePublicEnv({ NODE_ENV: "production" }).supabaseUrl).toBe("http://127.0.0.1:54321");
  });

  it("fails on missing values instead of falling back to 127.0.0.1", () => {
    expect(() => parsePublicEnv(vercelProd)).toThrow(
      /NEXT_PUBLIC_SUPABASE_URL, NEXT_PUBLIC_SUPABASE_ANON_KEY, NEXT_PUBLIC_EDGE_URL, NEXT_PUBLIC_SITE_URL, NEXT_PUBLIC_PREVIEW_BASE_URL required, no local fallback/,
    );
    const { NEXT_PUBLIC_EDGE_URL: _omitted, ...noEdge } = real;
    expect(() => parsePublicEnv({ ...noEdge, SITE_ENV: "production" })).toThrow(/NEXT_PUBLIC_EDGE_URL required/);
  });

  it("refuses the .env.example values: the development anon key and every loopback URL", () => {
    const local: Record<string, string> = { SITE_ENV: "production" };
    for (const k of Object.keys(real)) local[k] = envExample[k] ?? "";
    let message = "";
    try {
      parsePublicEnv(local);
    } catch (err) {
      message = (err as Error).message;
    }
    expect(message).toMatch(/NEXT_PUBLIC_SUPABASE_ANON_KEY: the local development key/);
    for (const k of ["NEXT_PUBLIC_SUPABASE_URL", "NEXT_PUBLIC_EDGE_URL", "NEXT_PUBLIC_SITE_URL", "NEXT_PUBLIC_PREVIEW_BASE_URL"]) {
      expect(message).toContain(`${k}: a loopback address`);
    }
    expect(message).not.toContain(envExample.NEXT_PUBLIC_SUPABASE_ANON_KEY);
    for (const [k, v] of Object.entries({
      NEXT_PUBLIC_SITE_URL: "http://localhost:3000",
      NEXT_PUBLIC_SENTRY_DSN: "http://key@127.0.0.1:9999/1",
      NEXT_PUBLIC_EDGE_URL: "http://[::1]:8787",
    })) {
      expect(() => parsePublicEnv({ ...real, ...vercelProd, [k]: v }), k).toThrow(new RegExp(`${k}: a loopback address`));
    }
  });

  it("refuses any key of the Supabase CLI's demo issuer (the demo service key too), and accepts real values", () => {
    const minted = jwt({ iss: devsecrets.demo_jwt_issuer, role: "anon", exp: 2000000000 });
    expect(() => parsePublicEnv({ ...real, ...vercelProd, NEXT_PUBLIC_SUPABASE_ANON_KEY: minted })).toThrow(/local development key/);
    expect(isDevAnonKey(devsecrets.secrets.SUPABASE_SERVICE_ROLE_KEY![0]!)).toBe(true);
    expect(isDevAnonKey(jwt({ iss: "supabase", ref: "abcdefgh", role: "anon" }))).toBe(false);
    expect(parsePublicEnv({ ...real, ...vercelProd })).toEqual({
      supabaseUrl: real.NEXT_PUBLIC_SUPABASE_URL,
      supabaseAnonKey: real.NEXT_PUBLIC_SUPABASE_ANON_KEY,
      edgeUrl: real.NEXT_PUBLIC_EDGE_URL,
      siteUrl: real.NEXT_PUBLIC_SITE_URL,
      previewBaseUrl: real.NEXT_PUBLIC_PREVIEW_BASE_URL,
      addonBaseUrl: "",
      uploadUrl: "",
      sentryDsn: "",
    });
  });

  it("uses the same development keys as the edge and the publisher (internal/devsecrets)", () => {
    expect([...DEV_ANON_KEYS].sort()).toEqual([...devsecrets.public_keys.SUPABASE_ANON_KEY!].sort());
    expect(DEV_ANON_KEYS).toContain(envExample.NEXT_PUBLIC_SUPABASE_ANON_KEY);
    expect(DEV_ANON_KEYS).toContain(envExample.SUPABASE_ANON_KEY);
  });

  it("knows loopback the way internal/devsecrets does (its examples: devsecretstest/cases.json)", () => {
    for (const [u, want] of Object.entries(cases.loopback_urls)) expect(isLoopbackUrl(u), u).toBe(want);
  });
});
