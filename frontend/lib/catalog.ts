// No zod here: this module ships to the browser with the search box, and the budget is tight.
export const sorts = ["popular", "newest", "name", "relevance"] as const;
export const tiers = ["all", "free", "pro"] as const;
export type Sort = (typeof sorts)[number];
export type Tier = (typeof tiers)[number];
export const PAGE_SIZE = 24;

export type ShaderSummary = {
  id: string;
  slug: string;
  name: string;
  description: string;
  category_id: string;
  tags: string[];
  is_free: boolean;
  preview_key: string | null;
  latest_version: string | null;
  popularity: number;
  created_at: string;
  total_count?: number;
  /** The count stopped at a cap (10,000 browsing, 4,000 searching): total_count is a floor. */
  total_capped?: boolean;
  /** The query with its typos corrected, when the search had to correct them ("marbel" -> "marble"). */
  corrected_query?: string | null;
};

export type CatalogQuery = {
  q: string;
  category: string | null;
  tags: string[];
  tier: Tier;
  sort: Sort;
  page: number;
};

type Params = Record<string, string | string[] | undefined>;
const first = (v: string | string[] | undefined) => (Array.isArray(v) ? v[0] : v);

const tagRe = /^[a-z0-9][a-z0-9-]{0,39}$/;

/** Reads the browse page's URL into a bounded, valid query; anything invalid falls back to defaults. */
export function parseCatalogQuery(sp: Params): CatalogQuery {
  const q = (first(sp.q) ?? "").trim().slice(0, 100);
  const cat = first(sp.category);
  const category = cat && tagRe.test(cat) ? cat : null;
  const tags = (first(sp.tags) ?? "")
    .split(",")
    .map((t) => t.trim().toLowerCase())
    .filter((t) => tagRe.test(t))
    .slice(0, 5);
  const rawTier = first(sp.tier);
  const tier: Tier = (tiers as readonly string[]).includes(rawTier ?? "") ? (rawTier as Tier) : "all";
  const defaultSort: Sort = q ? "relevance" : "popular";
  const rawSort = first(sp.sort);
  let sort: Sort = (sorts as readonly string[]).includes(rawSort ?? "") ? (rawSort as Sort) : defaultSort;
  if (sort === "relevance" && !q) sort = "popular";
  const pageNum = Number.parseInt(first(sp.page) ?? "1", 10);
  const page = Number.isFinite(pageNum) ? Math.min(Math.max(pageNum, 1), MAX_PAGE) : 1;
  return { q, category, tags: Array.from(new Set(tags)), tier, sort, page };
}

/** The canonical URL search string for a query (defaults omitted, so URLs stay short and cacheable). */
export function catalogSearch(query: Partial<CatalogQuery>): string {
  const p = new URLSearchParams();
  if (query.q) p.set("q", query.q);
  if (query.category) p.set("category", query.category);
  if (query.tags && query.tags.length) p.set("tags", query.tags.join(","));
  if (query.tier && query.tier !== "all") p.set("tier", query.tier);
  const defaultSort = query.q ? "relevance" : "popular";
  if (query.sort && query.sort !== defaultSort) p.set("sort", query.sort);
  if (query.page && query.page > 1) p.set("page", String(query.page));
  const s = p.toString();
  return s ? "?" + s : "";
}

export function searchArgs(query: CatalogQuery) {
  return {
    q: query.q,
    category: query.category,
    tag_filter: query.tags.length ? query.tags : null,
    tier: query.tier,
    sort: query.sort,
    page_size: PAGE_SIZE,
    page_offset: (query.page - 1) * PAGE_SIZE,
  };
}

export const MAX_PAGE = 400;

/** Pages the UI offers; the search function bounds its offset, so deeper pages are not linked. */
export function pageCount(total: number): number {
  return Math.min(MAX_PAGE, Math.max(1, Math.ceil(total / PAGE_SIZE)));
}

/** "1 shader", "48 shaders", or "10,000+ shaders" when the count stopped at its cap. */
export function totalLabel(total: number, capped: boolean): string {
  const n = total.toLocaleString("en") + (capped ? "+" : "");
  return `${n} ${total === 1 && !capped ? "shader" : "shaders"}`;
}

/** Public URL of a preview image; null when the shader has none yet. */
export function previewUrl(base: string, key: string | null | undefined): string | null {
  if (!key) return null;
  const clean = key.replace(/^\/+/, "").split("/").map(encodeURIComponent).join("/");
  return (base ? base.replace(/\/+$/, "") : "") + "/" + clean;
}

/**
 * Widths of the JPEG renditions the publisher writes beside every preview
 * (`previews/<slug>/<version>-384.jpg`, `-768.jpg`; internal/shaderpkg/preview.Widths is the contract).
 */
export const PREVIEW_WIDTHS = [384, 768] as const;
/** The published preview.webp itself: rendered at 1024 px. */
export const PREVIEW_FULL_WIDTH = 1024;

/** Display widths for `sizes`, from the layouts: the browse grid (2/3/4/6 columns in max-w-7xl) and the shader page's column (≤ 768 px). */
const previewSizes = {
  grid: "(min-width: 1280px) 192px, (min-width: 1024px) 25vw, (min-width: 640px) 33vw, 50vw",
  page: "(min-width: 1280px) 768px, (min-width: 1024px) calc(100vw - 480px), (min-width: 816px) 768px, calc(100vw - 32px)",
} as const;

export type PreviewImage = { src: string; srcSet?: string; sizes?: string };

/**
 * `<img>` sources for a preview key. The grid gets the small JPEG renditions, the shader page the 768
 * rendition and the 1024 WebP. A key not in the publisher's `….webp` shape gets its single URL.
 */
export function previewImage(base: string, key: string | null | undefined, use: "grid" | "page"): PreviewImage | null {
  const full = previewUrl(base, key);
  if (!full || !key || !/\.webp$/.test(key)) return full ? { src: full } : null;
  const url = (w: number) => previewUrl(base, key.replace(/\.webp$/, `-${w}.jpg`)) as string;
  const [small, large] = PREVIEW_WIDTHS;
  if (use === "grid") return { src: url(small), srcSet: `${url(small)} ${small}w, ${url(large)} ${large}w`, sizes: previewSizes.grid };
  return { src: full, srcSet: `${url(large)} ${large}w, ${full} ${PREVIEW_FULL_WIDTH}w`, sizes: previewSizes.page };
}

export function formatBytes(n: number): string {
  if (!Number.isFinite(n) || n < 0) return "—";
  // Decimal units, as the OS file managers artists use show them.
  const units = ["B", "KB", "MB", "GB"];
  let i = 0;
  let v = n;
  while (v >= 1000 && i < units.length - 1) {
    v /= 1000;
    i++;
  }
  return `${v >= 10 || i === 0 ? Math.round(v) : v.toFixed(1)} ${units[i]}`;
}

// Aliases used by the shader page's helper code (see COORDINATION.md).
export function toSearchParams(query: Partial<CatalogQuery>): URLSearchParams {
  return new URLSearchParams(catalogSearch(query).replace(/^\?/, ""));
}
export function catalogHref(query: CatalogQuery, change: Partial<CatalogQuery> = {}): string {
  const merged = { ...query, page: 1, ...change };
  return "/" + catalogSearch(merged);
}
export const totalPages = pageCount;
