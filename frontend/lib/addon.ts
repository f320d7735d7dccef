import { z } from "zod";

// Where the Blender add-on's downloads and its extensions listing (/addon/index.json) come from.
//
// - Local (NEXT_PUBLIC_ADDON_BASE_URL empty): this site serves them from public/addon/, which
//   scripts/sync-addon.mjs fills from dist/addon/ (`make addon`, `make dev`).
// - Production: `make release` publishes them to S3 behind the CDN (addon/<version>/*.zip,
//   addon/index.json, addon/files.json) and NEXT_PUBLIC_ADDON_BASE_URL is that folder's public URL.
//   /addon/index.json stays this site's URL (the one artists paste into Blender) and is served from
//   there by a rewrite; the listing's relative zip URLs (./<version>/<zip>) resolve to
//   /addon/<version>/<zip>, which redirect to the CDN, as does the Help page's download.
// Nothing here needs the add-on at build time, so the Vercel build has no Go or Python in it.

/** The Help page's list of downloads: paths relative to the add-on folder. */
export type AddonFiles = { latest: string | null; zips: string[] };

export const noAddonFiles: AddonFiles = { latest: null, zips: [] };

// "octane_bridge-0.1.0.zip" or "0.1.0/octane_bridge-0.1.0.zip": plain names, at most one folder.
const segment = "(?!\\.{1,2}(?:/|$))[A-Za-z0-9._-]+";
const relPath = z.string().regex(new RegExp(`^${segment}(?:/${segment})?$`));
const filesSchema = z.object({ latest: relPath.nullable(), zips: z.array(relPath) });

/** The configured base without a trailing slash; "" when the site serves the files itself. */
export function addonBase(baseUrl: string): string {
  return baseUrl.replace(/\/+$/, "");
}

/** URL of a file of the add-on folder (a path from files.json). */
export function addonFileUrl(baseUrl: string, rel: string): string {
  return `${addonBase(baseUrl) || "/addon"}/${rel.split("/").map(encodeURIComponent).join("/")}`;
}

/** files.json as published: anything else (missing, malformed, paths that leave the folder) is no files. */
export function parseAddonFiles(raw: unknown): AddonFiles {
  const r = filesSchema.safeParse(raw);
  return r.success ? { latest: r.data.latest, zips: r.data.zips } : noAddonFiles;
}

type Fetch = (url: string, init?: RequestInit & { next?: { revalidate?: number } }) => Promise<Response>;

/**
 * The downloads the Help page offers. With a base URL, files.json is read from there (cached for
 * five minutes, like the CDN's own lifetime for it); without, from public/addon/ through readLocal.
 */
export async function loadAddonFiles(baseUrl: string, deps: { fetch: Fetch; readLocal: () => string }): Promise<AddonFiles> {
  const base = addonBase(baseUrl);
  try {
    if (!base) return parseAddonFiles(JSON.parse(deps.readLocal()));
    const res = await deps.fetch(`${base}/files.json`, { next: { revalidate: 300 } });
    if (!res.ok) return noAddonFiles;
    return parseAddonFiles(await res.json());
  } catch {
    return noAddonFiles;
  }
}

type Rewrite = { source: string; destination: string };
type Redirect = Rewrite & { permanent: boolean };

/**
 * next.config's routes for a CDN-hosted add-on: /addon/index.json is served from the CDN under this
 * site's URL (a rewrite checked before public files), and /addon/<version>/<zip> (what Blender
 * resolves the listing's relative URLs to) and /addon/files.json redirect there. Nothing locally.
 */
export function addonRoutes(baseUrl: string): { rewrites: Rewrite[]; redirects: Redirect[] } {
  const base = addonBase(baseUrl);
  if (!base) return { rewrites: [], redirects: [] };
  return {
    rewrites: [{ source: "/addon/index.json", destination: `${base}/index.json` }],
    redirects: [
      { source: "/addon/files.json", destination: `${base}/files.json`, permanent: false },
      { source: "/addon/:version/:file", destination: `${base}/:version/:file`, permanent: false },
    ],
  };
}
