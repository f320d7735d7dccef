import { afterEach, describe, expect, it, vi } from "vitest";
import { addonFileUrl, addonRoutes, loadAddonFiles, noAddonFiles, parseAddonFiles } from "@/lib/addon";
import { parsePublicEnv } from "@/lib/env";

// Where the add-on comes from (issue 18 item 4): the local build in public/addon, or in production
// the CDN folder `make release` publishes (NEXT_PUBLIC_ADDON_BASE_URL), with no add-on build in the
// Vercel build.

const cdn = "https://cdn.example.com/addon";
const published = { version: "0.2.0", latest: "0.2.0/octane_bridge-0.2.0.zip", zips: ["0.2.0/octane_bridge-0.2.0.zip", "0.2.0/octane_bridge-0.2.0-linux-x64.zip"] };

function fakeFetch(res: () => Response | Promise<Response>) {
  return vi.fn(async (_url: string, _init?: RequestInit & { next?: { revalidate?: number } }) => res());
}

describe("addon downloads", () => {
  it("reads files.json from the CDN in production, cached for five minutes", async () => {
    const f = fakeFetch(() => Response.json(published));
    const readLocal = vi.fn(() => "{}");
    const files = await loadAddonFiles(cdn + "/", { fetch: f, readLocal });
    expect(files).toEqual({ latest: published.latest, zips: published.zips });
    expect(f).toHaveBeenCalledTimes(1);
    expect(f.mock.calls[0]![0]).toBe(`${cdn}/files.json`);
    expect(f.mock.calls[0]![1]?.next?.revalidate).toBe(300);
    expect(readLocal).not.toHaveBeenCalled();
    expect(addonFileUrl(cdn + "/", files.latest!)).toBe(`${cdn}/0.2.0/octane_bridge-0.2.0.zip`);
  });

  it("reads the local build without a base URL and links it from this site", async () => {
    const f = fakeFetch(() => Response.json(published));
    const files = await loadAddonFiles("", { fetch: f, readLocal: () => JSON.stringify({ zips: ["octane_bridge-0.1.0.zip"], latest: "octane_bridge-0.1.0.zip" }) });
    expect(f).not.toHaveBeenCalled();
    expect(addonFileUrl("", files.latest!)).toBe("/addon/octane_bridge-0.1.0.zip");
    expect(await loadAddonFiles("", { fetch: f, readLocal: () => { throw new Error("ENOENT"); } })).toEqual(noAddonFiles);
  });

  it("offers no download when the CDN has no release yet or answers garbage", async () => {
    for (const res of [
      () => new Response("not found", { status: 404 }),
      () => new Response("<html>", { status: 200 }),
      () => { throw new TypeError("fetch failed"); },
      () => Response.json({ latest: 3 }),
    ]) {
      expect(await loadAddonFiles(cdn, { fetch: fakeFetch(res), readLocal: () => "" })).toEqual(noAddonFiles);
    }
  });

  it("takes only plain paths inside the add-on folder", () => {
    expect(parseAddonFiles(published).zips).toHaveLength(2);
    for (const bad of ["../secrets.zip", "0.2.0/../../x.zip", "https://evil.example/x.zip", "/abs.zip", "a/b/c.zip", "..", "0.2.0/..", "a b.zip", "javascript:alert(1)"]) {
      expect(parseAddonFiles({ latest: bad, zips: [] }), bad).toEqual(noAddonFiles);
      expect(parseAddonFiles({ latest: null, zips: [bad] }), bad).toEqual(noAddonFiles);
    }
    expect(addonFileUrl(cdn, "0.2.0/octane bridge.zip")).toBe(`${cdn}/0.2.0/octane%20bridge.zip`);
  });
});

describe("addon routes", () => {
  it("serve /addon/index.json from the CDN under the site's URL and redirect the zips there", () => {
    expect(addonRoutes("")).toEqual({ rewrites: [], redirects: [] });
    const r = addonRoutes(cdn + "/");
    expect(r.rewrites).toEqual([{ source: "/addon/index.json", destination: `${cdn}/index.json` }]);
    expect(r.redirects).toEqual([
      { source: "/addon/files.json", destination: `${cdn}/files.json`, permanent: false },
      // Blender resolves the listing's ./<version>/<zip> against <site>/addon/index.json.
      { source: "/addon/:version/:file", destination: `${cdn}/:version/:file`, permanent: false },
    ]);
  });

  describe("next.config", () => {
    afterEach(() => {
      vi.unstubAllEnvs();
      vi.resetModules();
    });
    it("wires them from NEXT_PUBLIC_ADDON_BASE_URL, before public files", async () => {
      vi.stubEnv("NEXT_PUBLIC_ADDON_BASE_URL", cdn);
      vi.resetModules();
      const config = (await import("@/next.config")).default;
      const rewrites = (await config.rewrites!()) as { beforeFiles: unknown[] };
      expect(rewrites.beforeFiles).toEqual(addonRoutes(cdn).rewrites);
      expect(await config.redirects!()).toEqual(addonRoutes(cdn).redirects);
    });
    it("adds nothing for the local stack", async () => {
      vi.stubEnv("NEXT_PUBLIC_ADDON_BASE_URL", "");
      vi.resetModules();
      const config = (await import("@/next.config")).default;
      expect(((await config.rewrites!()) as { beforeFiles: unknown[] }).beforeFiles).toEqual([]);
      expect(await config.redirects!()).toEqual([]);
    });
  });

  it("is configured like the other public URLs: checked, never loopback in production", () => {
    expect(parsePublicEnv({ NEXT_PUBLIC_ADDON_BASE_URL: cdn }).addonBaseUrl).toBe(cdn);
    expect(parsePublicEnv({}).addonBaseUrl).toBe("");
    expect(() => parsePublicEnv({ NEXT_PUBLIC_ADDON_BASE_URL: "cdn.example.com/addon" })).toThrow();
    const prod = {
      SITE_ENV: "production",
      NEXT_PUBLIC_SUPABASE_URL: "https://abcdefgh.supabase.co",
      NEXT_PUBLIC_SUPABASE_ANON_KEY: "sb_publishable_3kX9v1dQ7wZpL0aR2mB8cT_xYz12345",
      NEXT_PUBLIC_EDGE_URL: "https://edge.example.com",
      NEXT_PUBLIC_SITE_URL: "https://shaders.example.com",
      NEXT_PUBLIC_PREVIEW_BASE_URL: "https://cdn.example.com",
    };
    expect(parsePublicEnv({ ...prod, NEXT_PUBLIC_ADDON_BASE_URL: cdn }).addonBaseUrl).toBe(cdn);
    expect(() => parsePublicEnv({ ...prod, NEXT_PUBLIC_ADDON_BASE_URL: "http://127.0.0.1:9000/octane-packages/addon" })).toThrow(
      /NEXT_PUBLIC_ADDON_BASE_URL: a loopback address/,
    );
  });
});
