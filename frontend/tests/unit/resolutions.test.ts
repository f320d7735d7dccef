import { describe, expect, it } from "vitest";
import { defaultResolution, isSavedResolution, resolutionLabel, versionTextures } from "@/lib/resolutions";

describe("versionTextures", () => {
  it("offers a v2 version's sets in ascending order, each download the base plus that set", () => {
    const t = versionTextures({
      size: 1000, texture_resolutions: ["1k", "2k", "4k"],
      texture_sets: [{ resolution: "4k", size: 40_000_000 }, { resolution: "1k", size: 3_000_000 }, { resolution: "2k", size: 10_000_000 }],
    });
    expect(t).toEqual({ kind: "sets", choices: [
      { resolution: "1k", download: 3_001_000 }, { resolution: "2k", download: 10_001_000 }, { resolution: "4k", download: 40_001_000 },
    ] });
  });

  it("sorts by the number, not the text (8k before 16k)", () => {
    const t = versionTextures({ size: "5", texture_resolutions: null, texture_sets: [{ resolution: "16k", size: 1 }, { resolution: "8k", size: 1 }] });
    expect(t.kind === "sets" && t.choices.map((c) => c.resolution)).toEqual(["8k", "16k"]);
  });

  it("shows a v1 package's resolutions as one fixed download of the package's size", () => {
    expect(versionTextures({ size: 463881, texture_resolutions: ["2k"], texture_sets: [] })).toEqual({ kind: "fixed", resolutions: ["2k"], download: 463881 });
    expect(versionTextures({ size: 10, texture_resolutions: ["1k", "4k"] })).toEqual({ kind: "fixed", resolutions: ["1k", "4k"], download: 10 });
  });

  it("has nothing to choose for a procedural material (v1 without textures, v2 without sets)", () => {
    expect(versionTextures({ size: 10, texture_resolutions: [], texture_sets: [] })).toEqual({ kind: "none" });
    expect(versionTextures({ size: 10, texture_resolutions: null, texture_sets: null })).toEqual({ kind: "none" });
  });
});

describe("defaultResolution", () => {
  const all = ["1k", "2k", "4k"];
  it("takes the saved preference when the version has it", () => {
    expect(defaultResolution(all, "4k")).toBe("4k");
    expect(defaultResolution(all, "1k")).toBe("1k");
  });
  it("falls back to 2k without a preference or when the version lacks it", () => {
    expect(defaultResolution(all, null)).toBe("2k");
    expect(defaultResolution(["1k", "2k"], "4k")).toBe("2k");
  });
  it("without 2k: the largest below the preference (2k without one), else the smallest — import_resolution's rule", () => {
    expect(defaultResolution(["1k", "4k", "16k"], "8k")).toBe("4k");
    expect(defaultResolution(["1k", "8k"], "4k")).toBe("1k");
    expect(defaultResolution(["1k", "4k"], null)).toBe("1k");
    expect(defaultResolution(["4k", "8k"], null)).toBe("4k");
    expect(defaultResolution(["8k", "4k"], "1k")).toBe("4k");
  });
  it("is null when there is nothing to choose", () => {
    expect(defaultResolution([], "2k")).toBeNull();
  });
});

describe("labels and the saved set", () => {
  it("spells resolutions in capitals and knows what the settings can hold", () => {
    expect(resolutionLabel("4k")).toBe("4K");
    expect(["1k", "2k", "4k"].every(isSavedResolution)).toBe(true);
    expect(isSavedResolution("8k")).toBe(false);
    expect(isSavedResolution(null)).toBe(false);
  });
});
