import { z } from "zod";

// Public configuration. NEXT_PUBLIC_* names are written out literally so Next inlines them
// into the browser bundle; the schema fails the build (or the first request) on a bad value.
const publicSchema = z.object({
  supabaseUrl: z.url(),
  supabaseAnonKey: z.string().min(20),
  edgeUrl: z.url(),
  siteUrl: z.url(),
  // Empty means previews are served by this site (public/previews in development).
  previewBaseUrl: z.union([z.url(), z.literal("")]),
  // Public URL of the add-on folder `make release` publishes (the CDN's addon/); empty means this
  // site serves the local build from public/addon (lib/addon.ts).
  addonBaseUrl: z.union([z.url(), z.literal("")]),
  // Origin of the bucket the edge presigns upload parts for (the operator's publish page PUTs
  // them from the browser; the bucket's CORS allows the site); empty: no browser uploads.
  uploadUrl: z.union([z.url(), z.literal("")]),
  sentryDsn: z.union([z.url(), z.literal("")]),
});

export type PublicEnv = z.infer<typeof publicSchema>;

const local = {
  supabaseUrl: "http://127.0.0.1:54321",
  // The Supabase CLI's public demo anon key (local stack only).
  supabaseAnonKey:
    "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJpc3MiOiJzdXBhYmFzZS1kZW1vIiwicm9sZSI6ImFub24iLCJleHAiOjE5ODM4MTI5OTZ9.CRXP1A7WOeoJeXxjNni43kdQwgnWNReilDMblYTn_I0",
  edgeUrl: "http://127.0.0.1:8787",
  siteUrl: "http://127.0.0.1:3000",
  previewBaseUrl: "http://127.0.0.1:9000/octane-packages",
  uploadUrl: "http://127.0.0.1:9000",
};

/**
 * The development anon keys production refuses: the Supabase CLI's demo key (above). The list
 * mirrors internal/devsecrets/devsecrets.json (the edge's and the publisher's rule); env-production.test.ts
 * keeps the two in step. Only public keys live here: this module is in the browser bundle.
 */
export const DEV_ANON_KEYS: readonly string[] = [local.supabaseAnonKey];
/** iss of the Supabase CLI's demo keys: a key anyone can mint. */
export const DEMO_JWT_ISSUER = "supabase-demo";

type RawEnv = Record<string, string | undefined>;

/**
 * Production is SITE_ENV=production (any host), or a Vercel production deployment
 * (NODE_ENV=production with VERCEL_ENV=production). NODE_ENV alone is not enough: `next start`
 * in the local stack (make dev, the e2e tests) runs with NODE_ENV=production too.
 * SITE_ENV=development turns the check off. In the browser neither SITE_ENV nor VERCEL_ENV is
 * inlined, so the check runs where the configuration is read: the build and the server.
 */
export function isProductionSite(raw: RawEnv): boolean {
  const flag = (raw.SITE_ENV ?? "").trim().toLowerCase();
  if (flag === "production" || flag === "prod") return true;
  if (flag === "development" || flag === "dev" || flag === "test") return false;
  if (flag !== "") throw new Error(`SITE_ENV: production or development, got ${JSON.stringify(raw.SITE_ENV)}`);
  return raw.NODE_ENV === "production" && raw.VERCEL_ENV === "production";
}

/** localhost (and *.localhost), 127.0.0.0/8, ::1 and the unspecified addresses: this machine. */
export function isLoopbackUrl(value: string): boolean {
  let host: string;
  try {
    host = new URL(value).hostname.toLowerCase().replace(/^\[|\]$/g, "").replace(/\.$/, "");
  } catch {
    return false;
  }
  if (host === "localhost" || host.endsWith(".localhost")) return true;
  if (/^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(host) || host === "0.0.0.0") return true;
  return host === "::1" || host === "::" || host === "0:0:0:0:0:0:0:1";
}

/** A key of the local stack: listed, or a JWT issued by the Supabase CLI's demo issuer. */
export function isDevAnonKey(key: string): boolean {
  if (DEV_ANON_KEYS.includes(key)) return true;
  const payload = key.split(".")[1];
  if (!payload) return false;
  try {
    const json = atob(payload.replace(/-/g, "+").replace(/_/g, "/"));
    return (JSON.parse(json) as { iss?: unknown }).iss === DEMO_JWT_ISSUER;
  } catch {
    return false;
  }
}

const names = {
  supabaseUrl: "NEXT_PUBLIC_SUPABASE_URL",
  supabaseAnonKey: "NEXT_PUBLIC_SUPABASE_ANON_KEY",
  edgeUrl: "NEXT_PUBLIC_EDGE_URL",
  siteUrl: "NEXT_PUBLIC_SITE_URL",
  previewBaseUrl: "NEXT_PUBLIC_PREVIEW_BASE_URL",
  addonBaseUrl: "NEXT_PUBLIC_ADDON_BASE_URL",
  uploadUrl: "NEXT_PUBLIC_UPLOAD_URL",
  sentryDsn: "NEXT_PUBLIC_SENTRY_DSN",
} as const;

// Production: no fallbacks, no development keys, nothing on this machine (the page must never
// talk to a loopback address). Every problem is one issue naming its variable.
const productionSchema = publicSchema.superRefine((e, ctx) => {
  if (isDevAnonKey(e.supabaseAnonKey)) {
    ctx.addIssue({ code: "custom", path: ["supabaseAnonKey"],
      message: `${names.supabaseAnonKey}: the local development key; set the project's anon (publishable) key` });
  }
  for (const k of ["supabaseUrl", "edgeUrl", "siteUrl", "previewBaseUrl", "addonBaseUrl", "uploadUrl", "sentryDsn"] as const) {
    if (e[k] && isLoopbackUrl(e[k])) {
      ctx.addIssue({ code: "custom", path: [k], message: `${names[k]}: a loopback address is the local stack; production needs the real URL` });
    }
  }
});

export function parsePublicEnv(raw: RawEnv): PublicEnv {
  if (isProductionSite(raw)) {
    const missing: string[] = [];
    const get = (name: string, optional = false) => {
      const v = (raw[name] ?? "").trim();
      if (v === "" && !optional) missing.push(name);
      return v;
    };
    const candidate = {
      supabaseUrl: get(names.supabaseUrl),
      supabaseAnonKey: get(names.supabaseAnonKey),
      edgeUrl: get(names.edgeUrl),
      siteUrl: get(names.siteUrl),
      previewBaseUrl: get(names.previewBaseUrl),
      // Optional: without it the Help page offers no download (docs/deploy.md sets it).
      addonBaseUrl: get(names.addonBaseUrl, true),
      // Optional: without it the operator publishes with the CLI only (docs/deploy.md sets it).
      uploadUrl: get(names.uploadUrl, true),
      sentryDsn: get(names.sentryDsn, true),
    };
    if (missing.length > 0) {
      throw new Error(`site environment (production: SITE_ENV or VERCEL_ENV): ${missing.join(", ")} required, no local fallback`);
    }
    const r = productionSchema.safeParse(candidate);
    if (!r.success) {
      throw new Error(`site environment (production): ${r.error.issues.map((i) => (i.code === "custom" ? i.message : `${names[i.path[0] as keyof typeof names]}: ${i.message}`)).join("; ")}`);
    }
    return r.data;
  }
  return publicSchema.parse({
    supabaseUrl: raw.NEXT_PUBLIC_SUPABASE_URL || local.supabaseUrl,
    supabaseAnonKey: raw.NEXT_PUBLIC_SUPABASE_ANON_KEY || local.supabaseAnonKey,
    edgeUrl: raw.NEXT_PUBLIC_EDGE_URL || local.edgeUrl,
    siteUrl: raw.NEXT_PUBLIC_SITE_URL || local.siteUrl,
    previewBaseUrl: raw.NEXT_PUBLIC_PREVIEW_BASE_URL ?? local.previewBaseUrl,
    addonBaseUrl: raw.NEXT_PUBLIC_ADDON_BASE_URL ?? "",
    uploadUrl: raw.NEXT_PUBLIC_UPLOAD_URL ?? local.uploadUrl,
    sentryDsn: raw.NEXT_PUBLIC_SENTRY_DSN ?? "",
  });
}

export const env: PublicEnv = parsePublicEnv({
  NEXT_PUBLIC_SUPABASE_URL: process.env.NEXT_PUBLIC_SUPABASE_URL,
  NEXT_PUBLIC_SUPABASE_ANON_KEY: process.env.NEXT_PUBLIC_SUPABASE_ANON_KEY,
  NEXT_PUBLIC_EDGE_URL: process.env.NEXT_PUBLIC_EDGE_URL,
  NEXT_PUBLIC_SITE_URL: process.env.NEXT_PUBLIC_SITE_URL,
  NEXT_PUBLIC_PREVIEW_BASE_URL: process.env.NEXT_PUBLIC_PREVIEW_BASE_URL,
  NEXT_PUBLIC_ADDON_BASE_URL: process.env.NEXT_PUBLIC_ADDON_BASE_URL,
  NEXT_PUBLIC_UPLOAD_URL: process.env.NEXT_PUBLIC_UPLOAD_URL,
  NEXT_PUBLIC_SENTRY_DSN: process.env.NEXT_PUBLIC_SENTRY_DSN,
  // Server and build only (not inlined into the browser bundle): see isProductionSite.
  SITE_ENV: process.env.SITE_ENV,
  NODE_ENV: process.env.NODE_ENV,
  VERCEL_ENV: process.env.VERCEL_ENV,
});

/** Origins the browser may connect to (CSP connect-src): the site, Supabase (HTTP + WebSocket), the edge, the upload bucket. */
export function connectSources(e: PublicEnv): string[] {
  const sb = new URL(e.supabaseUrl);
  const ws = `${sb.protocol === "https:" ? "wss:" : "ws:"}//${sb.host}`;
  const out = ["'self'", sb.origin, ws, new URL(e.edgeUrl).origin];
  if (e.uploadUrl) out.push(new URL(e.uploadUrl).origin);
  if (e.sentryDsn) out.push(new URL(e.sentryDsn).origin);
  return out;
}

/**
 * The site's CSP. Scripts run only from this site and, inline, only with the request's nonce
 * (proxy.ts makes one per request; Next puts it on its own scripts): never 'unsafe-inline'.
 * 'strict-dynamic' lets those scripts load the page's chunks. Without a nonce (responses the
 * proxy does not see) no inline script runs at all.
 */
export function contentSecurityPolicy(e: PublicEnv, dev: boolean, nonce?: string): string {
  const img = ["'self'", "data:", "blob:"];
  if (e.previewBaseUrl) img.push(new URL(e.previewBaseUrl).origin);
  const script = nonce ? ["'self'", `'nonce-${nonce}'`, "'strict-dynamic'"] : ["'self'"];
  if (dev) script.push("'unsafe-eval'"); // React's dev-only error overlays; never in production
  const connect = connectSources(e);
  if (dev) connect.push("ws:"); // Next's dev-server HMR socket
  return [
    "default-src 'self'",
    `script-src ${script.join(" ")}`,
    "style-src 'self' 'unsafe-inline'",
    `img-src ${img.join(" ")}`,
    "font-src 'self'",
    `connect-src ${connect.join(" ")}`,
    "frame-ancestors 'none'",
    "base-uri 'self'",
    "form-action 'self'",
    "object-src 'none'",
  ].join("; ");
}

/**
 * Permissions-Policy: no camera, microphone or location, and no Local Network Access at all
 * (Chrome's loopback-network / local-network, and the older local-network-access name): the site
 * never talks to the artist's machine, and a script injected into it could not ask to.
 */
export const permissionsPolicy =
  "camera=(), microphone=(), geolocation=(), loopback-network=(), local-network=(), local-network-access=()";
