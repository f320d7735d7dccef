import type { NextConfig } from "next";
import path from "node:path";
import { env, contentSecurityPolicy, permissionsPolicy } from "./lib/env";
import { addonRoutes } from "./lib/addon";

const dev = process.env.NODE_ENV !== "production";

const nextConfig: NextConfig = {
  reactStrictMode: true,
  poweredByHeader: false,
  // The workspace root holds the lockfile; tell Turbopack so it does not guess.
  turbopack: { root: path.resolve(__dirname, "..") },
  outputFileTracingRoot: path.resolve(__dirname, ".."),
  // Production serves the add-on from the CDN (NEXT_PUBLIC_ADDON_BASE_URL): lib/addon.ts.
  async rewrites() {
    return { beforeFiles: addonRoutes(env.addonBaseUrl).rewrites, afterFiles: [], fallback: [] };
  },
  async redirects() {
    return addonRoutes(env.addonBaseUrl).redirects;
  },
  async headers() {
    return [
      {
        source: "/:path*",
        headers: [
          { key: "X-Content-Type-Options", value: "nosniff" },
          { key: "Referrer-Policy", value: "strict-origin-when-cross-origin" },
          { key: "Permissions-Policy", value: permissionsPolicy },
        ],
      },
      // Pages get their CSP, with a per-request script nonce, from proxy.ts. What the proxy does not
      // see (static files, previews, add-on downloads) gets the same policy without a nonce: no
      // inline script at all. (Two CSP headers would both apply, so the two sets never overlap.)
      {
        source: "/:path(_next/static/.*|_next/image.*|favicon\\.ico|previews/.*|addon/.*|\\.well-known/.*|.*\\.(?:svg|png|jpg|jpeg|gif|webp|zip|json))",
        headers: [{ key: "Content-Security-Policy", value: contentSecurityPolicy(env, dev) }],
      },
      {
        source: "/.well-known/octane-bridge.json",
        headers: [{ key: "Access-Control-Allow-Origin", value: "*" }],
      },
    ];
  },
};

export default nextConfig;
