import { describe, expect, it } from "vitest";
import {
  catalogHref,
  formatBytes,
  parseCatalogQuery,
  PREVIEW_WIDTHS,
  previewImage,
  previewUrl,
  searchArgs,
  toSearchParams,
  totalLabel,
  totalPages,
} from "@/lib/catalog";

describe("parseCatalogQuery", () => {
  it("defaults to popular browsing", () => {
    expect(parseCatalogQuery({})).toEqual({ q: "", category: null, tags: [], tier: "all", sort: "popular", page: 1 });
  });
  it("defaults to relevance when searching", () => {
    expect(parseCatalogQuery({ q: " steel " }).sort).toBe("relevance");
  });
  it("rejects unknown values instead of passing them to the database", () => {
    const q = parseCatalogQuery({ sort: "drop table", tier: "gold", category: "Metal; --", page: "-3", tags: "ok,<script>,a b" });
    expect(q).toMatchObject({ sort: "popular", tier: "all", category: null, page: 1, tags: ["ok"] });
  });
  it("caps the page and the term length", () => {
    const q = parseCatalogQuery({ page: "99999", q: "x".repeat(500) });
    expect(q.page).toBe(400);
    expect(q.q).toHaveLength(100);
  });
  it("takes the first of repeated parameters", () => {
    expect(parseCatalogQuery({ q: ["glass", "wood"] }).q).toBe("glass");
  });
});

describe("URLs", () => {
  it("round-trips through the canonical query string", () => {
    const q = parseCatalogQuery({ q: "car paint", category: "car-paint", tags: "metallic", tier: "pro", sort: "newest", page: "3" });
    expect(parseCatalogQuery(Object.fromEntries(toSearchParams(q)))).toEqual(q);
  });
  it("omits defaults so equal searches share a URL", () => {
    expect(catalogHref(parseCatalogQuery({}))).toBe("/");
    expect(catalogHref(parseCatalogQuery({ q: "oak" }))).toBe("/?q=oak");
  });
  it("goes back to page 1 when a filter changes", () => {
    const q = parseCatalogQuery({ page: "5" });
    expect(catalogHref(q, { tier: "free" })).toBe("/?tier=free");
    expect(catalogHref(q, { page: 6 })).toBe("/?page=6");
  });
});

describe("searchArgs", () => {
  it("maps the query to the search_shaders RPC", () => {
    expect(searchArgs(parseCatalogQuery({ q: "gold", tags: "metal", page: "2" }))).toEqual({
      q: "gold", category: null, tag_filter: ["metal"], tier: "all", sort: "relevance", page_size: 24, page_offset: 24,
    });
  });
});

describe("helpers", () => {
  it("counts pages", () => {
    expect(totalPages(0)).toBe(1);
    expect(totalPages(24)).toBe(1);
    expect(totalPages(25)).toBe(2);
    expect(totalPages(1_000_000)).toBe(400);
  });
  it("builds preview URLs with encoded segments", () => {
    expect(previewUrl("http://cdn/b/", "previews/oak wood/1.0.0.webp")).toBe("http://cdn/b/previews/oak%20wood/1.0.0.webp");
    expect(previewUrl("http://cdn", null)).toBeNull();
  });
  it("gives the grid the small JPEG renditions as a srcset", () => {
    expect(previewImage("http://cdn/b/", "previews/oak-wood/1.0.1.webp", "grid")).toEqual({
      src: "http://cdn/b/previews/oak-wood/1.0.1-384.jpg",
      srcSet: "http://cdn/b/previews/oak-wood/1.0.1-384.jpg 384w, http://cdn/b/previews/oak-wood/1.0.1-768.jpg 768w",
      sizes: "(min-width: 1280px) 192px, (min-width: 1024px) 25vw, (min-width: 640px) 33vw, 50vw",
    });
  });
  it("gives the shader page the 1024 WebP with the 768 rendition as a smaller candidate", () => {
    const img = previewImage("", "previews/oak wood/2.0.0.webp", "page");
    expect(img?.src).toBe("/previews/oak%20wood/2.0.0.webp");
    expect(img?.srcSet).toBe("/previews/oak%20wood/2.0.0-768.jpg 768w, /previews/oak%20wood/2.0.0.webp 1024w");
    expect(img?.sizes).toMatch(/768px/);
  });
  it("names the renditions the publisher writes (internal/shaderpkg/preview.Widths)", () => {
    expect(PREVIEW_WIDTHS).toEqual([384, 768]);
  });
  it("falls back to the single URL for a key without renditions, and to nothing without a key", () => {
    expect(previewImage("http://cdn", "previews/legacy/1.0.0.png", "grid")).toEqual({ src: "http://cdn/previews/legacy/1.0.0.png" });
    expect(previewImage("http://cdn", null, "grid")).toBeNull();
    expect(previewImage("http://cdn", "", "page")).toBeNull();
  });
  it("labels the count, with a + when it stopped at its cap", () => {
    expect(totalLabel(1, false)).toBe("1 shader");
    expect(totalLabel(48, false)).toBe("48 shaders");
    expect(totalLabel(10_000, true)).toBe("10,000+ shaders");
    expect(totalLabel(1, true)).toBe("1+ shaders");
  });
  it("formats sizes", () => {
    expect(formatBytes(512)).toBe("512 B");
    expect(formatBytes(5_300_000)).toBe("5.3 MB");
    expect(formatBytes(-1)).toBe("—");
  });
});
