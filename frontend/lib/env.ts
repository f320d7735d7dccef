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
};

export function parsePublicEnv(raw: Record<string, string | undefined>): PublicEnv {
  return publicSchema.parse({
    supabaseUrl: raw.NEXT_PUBLIC_SUPABASE_URL || local.supabaseUrl,
    supabaseAnonKey: raw.NEXT_PUBLIC_SUPABASE_ANON_KEY || local.supabaseAnonKey,
    edgeUrl: raw.NEXT_PUBLIC_EDGE_URL || local.edgeUrl,
    siteUrl: raw.NEXT_PUBLIC_SITE_URL || local.siteUrl,
    previewBaseUrl: raw.NEXT_PUBLIC_PREVIEW_BASE_URL ?? local.previewBaseUrl,
    sentryDsn: raw.NEXT_PUBLIC_SENTRY_DSN ?? "",
  });
}

export const env: PublicEnv = parsePublicEnv({
  NEXT_PUBLIC_SUPABASE_URL: process.env.NEXT_PUBLIC_SUPABASE_URL,
  NEXT_PUBLIC_SUPABASE_ANON_KEY: process.env.NEXT_PUBLIC_SUPABASE_ANON_KEY,
  NEXT_PUBLIC_EDGE_URL: process.env.NEXT_PUBLIC_EDGE_URL,
  NEXT_PUBLIC_SITE_URL: process.env.NEXT_PUBLIC_SITE_URL,
  NEXT_PUBLIC_PREVIEW_BASE_URL: process.env.NEXT_PUBLIC_PREVIEW_BASE_URL,
  NEXT_PUBLIC_SENTRY_DSN: process.env.NEXT_PUBLIC_SENTRY_DSN,
});

/** Origins the browser may connect to (CSP connect-src): the site, Supabase (HTTP + WebSocket), the edge. */
export function connectSources(e: PublicEnv): string[] {
  const sb = new URL(e.supabaseUrl);
  const ws = `${sb.protocol === "https:" ? "wss:" : "ws:"}//${sb.host}`;
  const out = ["'self'", sb.origin, ws, new URL(e.edgeUrl).origin];
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
