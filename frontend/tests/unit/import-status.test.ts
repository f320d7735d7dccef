import { describe, expect, it } from "vitest";
import {
  describeImport, mergeImport, orderDevices, isOnline, parseTarget, pickTarget, remedyFor, rememberImport, targetGroups, DEVICE_PARAM,
  type Blender, type ImportRow, type Device,
} from "@/lib/import-status";

const row = (o: Partial<ImportRow>): ImportRow => ({ id: "a", status: "queued", progress: 0, error_code: null, error_message: null, ...o });

describe("describeImport", () => {
  it("shows download progress as a percentage", () => {
    expect(describeImport(row({ status: "downloading", progress: 42 }))).toMatchObject({ label: "Downloading 42%", percent: 42, tone: "progress" });
  });
  it("clamps progress", () => {
    expect(describeImport(row({ status: "downloading", progress: 140 })).percent).toBe(100);
  });
  it("explains a failure and what to do next", () => {
    const v = describeImport(row({ status: "failed", error_code: "CHECKSUM_MISMATCH", error_message: "hash differs" }));
    expect(v.tone).toBe("error");
    expect(v.label).toContain("hash differs");
    expect(v.hint).toMatch(/Import again/);
  });
  it("explains an import the server ended because Blender stopped working on it", () => {
    const v = describeImport(row({ status: "failed", error_code: "IMPORT_STALLED", error_message: "Blender stopped" }));
    expect(v.tone).toBe("error");
    expect(v.hint).toMatch(/Open Blender and import again/);
  });
  it("has a generic remedy for unknown codes", () => {
    expect(remedyFor("SOMETHING_NEW")).toMatch(/Try again/);
  });
  it("tells the user to open Blender when an import expired", () => {
    expect(describeImport(row({ status: "expired" })).hint).toMatch(/Open Blender/);
  });
});

describe("mergeImport", () => {
  it("adds unknown imports on top", () => {
    expect(mergeImport([row({ id: "a" })], row({ id: "b" })).map((r) => r.id)).toEqual(["b", "a"]);
  });
  it("ignores stale events that arrive late", () => {
    const list = [row({ status: "downloading", progress: 80, updated_at: "2026-01-01T00:00:02Z" })];
    const out = mergeImport(list, row({ status: "downloading", progress: 20, updated_at: "2026-01-01T00:00:01Z" }));
    expect(out[0]!.progress).toBe(80);
  });
  it("never leaves a final state for a non-final one", () => {
    const list = [row({ status: "done", progress: 100 })];
    expect(mergeImport(list, row({ status: "importing" }))[0]!.status).toBe("done");
  });
  it("applies newer states", () => {
    const out = mergeImport([row({ status: "queued" })], row({ status: "failed", error_code: "BLEND_INVALID" }));
    expect(out[0]).toMatchObject({ status: "failed", error_code: "BLEND_INVALID" });
  });
});

describe("devices", () => {
  const now = Date.parse("2026-01-01T12:00:00Z");
  const dev = (id: string, seenAgoS: number | null, revoked = false): Device => ({
    id, name: id, platform: "blender", os: null,
    last_seen_at: seenAgoS === null ? null : new Date(now - seenAgoS * 1000).toISOString(),
    revoked_at: revoked ? "2026-01-01T00:00:00Z" : null,
  });
  it("treats a heartbeat within 90 s as online", () => {
    expect(isOnline(dev("a", 30), now)).toBe(true);
    expect(isOnline(dev("a", 120), now)).toBe(false);
    expect(isOnline(dev("a", null), now)).toBe(false);
    expect(isOnline(dev("a", 1, true), now)).toBe(false);
  });
  it("orders online devices first and drops revoked ones", () => {
    const out = orderDevices([dev("old", 5000), dev("on", 10), dev("gone", 1, true), dev("recent", 200)], now);
    expect(out.map((d) => d.id)).toEqual(["on", "recent", "old"]);
  });
  it("preselects the requested device, else the first online", () => {
    const groups = targetGroups([dev("a", 5000), dev("b", 10)], [], null, now);
    expect(pickTarget(groups, "a")).toBe("a");
    expect(pickTarget(groups, "not-mine")).toBe("b");
    expect(pickTarget([], null)).toBe("");
  });
  it("lists each machine's running Blenders by their file, and preselects the one ?device= names", () => {
    const bl = (id: string, device: string, seenAgoS: number, file: string, stopped = false): Blender => ({
      id, device_id: device, blend_file: file, blender_version: "4.2.1",
      last_seen_at: new Date(now - seenAgoS * 1000).toISOString(), stopped_at: stopped ? "2026-01-01T11:59:00Z" : null,
    });
    const ds = [dev("a", 5000), dev("b", 10)];
    const blenders = [bl("s", "b", 5, "scene.blend"), bl("x", "b", 1, "assets.blend"), bl("q", "b", 3, "old.blend", true), bl("z", "b", 600, "gone.blend")];
    const groups = targetGroups(ds, blenders, null, now);
    expect(groups.map((g) => [g.device.id, g.online, g.blenders.map((b) => b.id)])).toEqual([["b", true, ["x", "s"]], ["a", false, []]]);
    expect(pickTarget(groups, null)).toBe("b.x");
    expect(pickTarget(groups, "b.s")).toBe("b.s");
    expect(pickTarget(groups, "b")).toBe("b.x"); // a machine: its most recently seen Blender
    expect(pickTarget(groups, "a")).toBe("a"); // no Blender open there: the machine itself
    // The Blender ?device= names stays listed (offline) while its bridge restarts.
    expect(targetGroups(ds, blenders, "b.q", now)[0]!.blenders.map((b) => b.id)).toEqual(["x", "q", "s"]);
    expect(parseTarget("d.i")).toEqual({ device_id: "d", instance_id: "i" });
    expect(parseTarget("d")).toEqual({ device_id: "d" });
    const id = "11111111-1111-4111-8111-000000000002";
    expect(DEVICE_PARAM.test(id) && DEVICE_PARAM.test(`${id}.${id}`)).toBe(true);
    expect(DEVICE_PARAM.test(`${id}.`) || DEVICE_PARAM.test(`${id}.x`) || DEVICE_PARAM.test("javascript:x")).toBe(false);
  });
});

describe("rememberImport", () => {
  it("keeps the newest state of each import and forgets the oldest import beyond the cap", () => {
    const seen = new Map<string, ImportRow>();
    rememberImport(seen, row({ id: "a", status: "done", updated_at: "2026-11-22T10:00:02Z" }), 2);
    rememberImport(seen, row({ id: "a", status: "importing", updated_at: "2026-11-22T10:00:01Z" }), 2);
    expect(seen.get("a")!.status).toBe("done");
    rememberImport(seen, row({ id: "b" }), 2);
    rememberImport(seen, row({ id: "c" }), 2);
    expect([...seen.keys()]).toEqual(["b", "c"]);
  });
});
