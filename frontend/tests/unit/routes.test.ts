import { describe, expect, it } from "vitest";
import { nextFrom, safeNext } from "@/lib/routes";

describe("return targets of the auth pages", () => {
  it("keeps a same-site ?next= and passes it on to the other auth pages", () => {
    expect(nextFrom({ next: "/shaders/oak?device=1" })).toEqual({
      next: "/shaders/oak?device=1",
      nextQuery: "?next=%2Fshaders%2Foak%3Fdevice%3D1",
    });
  });

  it("falls back to the home page, with nothing to pass on, for a missing, repeated or foreign ?next=", () => {
    for (const next of [undefined, ["/a", "/b"], "//evil.example", "https://evil.example/", "/\\evil.example"]) {
      expect(nextFrom({ next })).toEqual({ next: "/", nextQuery: "" });
    }
    expect(safeNext("/account#subscription")).toBe("/account#subscription");
  });
});
