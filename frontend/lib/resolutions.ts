// Texture resolutions of a shader version as the shader page offers them (package format v2:
// a base object plus one texture set per resolution, docs/packages.md). Browser-safe: the Import
// panel uses it too.

/** A texture set of a version as the page reads it (public.texture_sets). */
export type TextureSetSize = { resolution: string; size: number };

/** What a version's textures let the artist choose. */
export type Textures =
  /** Procedural: no textures, nothing to choose. */
  | { kind: "none" }
  /** A v1 package: its resolutions are inside the one download; nothing to choose. */
  | { kind: "fixed"; resolutions: string[]; download: number }
  /** A v2 version: one download per resolution, the base plus that set (ascending). */
  | { kind: "sets"; choices: { resolution: string; download: number }[] };

/** The resolutions the account settings can remember (the edge's `Resolution`). */
export const SAVED_RESOLUTIONS = ["1k", "2k", "4k"] as const;
export type SavedResolution = (typeof SAVED_RESOLUTIONS)[number];
export const isSavedResolution = (r: string | null | undefined): r is SavedResolution =>
  (SAVED_RESOLUTIONS as readonly string[]).includes(r ?? "");

/** Without a saved preference (or when the version lacks it) the default is this one. */
export const FALLBACK_RESOLUTION = "2k";

const px = (r: string) => Number.parseInt(r, 10);

/** "4k" → "4K". */
export const resolutionLabel = (r: string) => r.toUpperCase();

/** What a version offers: its texture sets (v2) with download sizes, else the v1 package's resolutions. */
export function versionTextures(v: { size: number | string; texture_resolutions: string[] | null; texture_sets?: TextureSetSize[] | null }): Textures {
  const base = Number(v.size);
  const sets = [...(v.texture_sets ?? [])].sort((a, b) => px(a.resolution) - px(b.resolution));
  if (sets.length) return { kind: "sets", choices: sets.map((s) => ({ resolution: s.resolution, download: base + Number(s.size) })) };
  const res = v.texture_resolutions ?? [];
  return res.length ? { kind: "fixed", resolutions: res, download: base } : { kind: "none" };
}

/**
 * The resolution preselected among `available`: the saved preference (2k without one) when the
 * version has it, else 2k when it has it, else the largest below the preference, else the
 * smallest — public.import_resolution's rule for an import that names none. Null when there is
 * nothing to choose.
 */
export function defaultResolution(available: string[], preference: string | null | undefined): string | null {
  const want = preference || FALLBACK_RESOLUTION;
  if (available.includes(want)) return want;
  if (available.includes(FALLBACK_RESOLUTION)) return FALLBACK_RESOLUTION;
  const sorted = [...available].sort((a, b) => px(a) - px(b));
  const below = sorted.filter((r) => px(r) < (px(want) || 0));
  return below.at(-1) ?? sorted[0] ?? null;
}
