import { beforeEach, describe, expect, it, vi } from "vitest";

const edgeAsUser = vi.fn();
vi.mock("@/lib/edge-server", () => ({ edgeAsUser: (...a: unknown[]) => edgeAsUser(...a) }));
vi.mock("next/cache", () => ({ revalidatePath: vi.fn() }));
vi.mock("next/navigation", () => ({ redirect: vi.fn() }));

import { saveDefaultResolution, saveSettings } from "@/lib/actions/account";

const form = (fields: Record<string, string>) => {
  const fd = new FormData();
  for (const [k, v] of Object.entries(fields)) fd.set(k, v);
  return fd;
};

describe("saveSettings", () => {
  beforeEach(() => { edgeAsUser.mockReset(); edgeAsUser.mockResolvedValue({ ok: true, data: {} }); });

  it("PUTs the whole form: no Blender chosen is null, unchecked e-mails are false", async () => {
    const r = await saveSettings(undefined, form({ default_resolution: "4k", default_device_id: "", import_failed: "on" }));
    expect(r?.ok).toBe("Settings saved.");
    expect(edgeAsUser).toHaveBeenCalledWith("/v1/settings", { method: "PUT", body: {
      default_resolution: "4k", default_device_id: null,
      notifications: { import_failed: true, billing: false, product_news: false },
    } });
  });

  it("refuses what the lists do not offer without calling the edge", async () => {
    for (const f of [{ default_resolution: "8k", default_device_id: "" }, { default_resolution: "2k", default_device_id: "not-a-uuid" }]) {
      expect((await saveSettings(undefined, form(f)))?.error).toBe("Choose a resolution and a Blender from the lists.");
    }
    expect(edgeAsUser).not.toHaveBeenCalled();
  });

  it("shows the edge's message for its error code", async () => {
    edgeAsUser.mockResolvedValue({ ok: false, status: 404, error: { code: "NOT_FOUND", message: "default_device_id is not one of your Blenders" } });
    const r = await saveSettings(undefined, form({ default_resolution: "2k", default_device_id: "d0000000-0000-4000-8000-0000000000a1" }));
    expect(r?.error).toBeTruthy();
    expect(r?.ok).toBeUndefined();
  });
});

describe("saveDefaultResolution (the shader page's pick)", () => {
  beforeEach(() => { edgeAsUser.mockReset(); edgeAsUser.mockResolvedValue({ ok: true, data: {} }); });

  it("PUTs only default_resolution, keeping the other settings", async () => {
    const r = await saveDefaultResolution("4k");
    expect(r?.ok).toBe("4K is now your default resolution.");
    expect(edgeAsUser).toHaveBeenCalledWith("/v1/settings", { method: "PUT", body: { default_resolution: "4k" } });
  });

  it("refuses a resolution the settings cannot hold without calling the edge, and shows the edge's refusal", async () => {
    expect((await saveDefaultResolution("8k"))?.error).toBe("That resolution cannot be saved as your default.");
    expect(edgeAsUser).not.toHaveBeenCalled();
    edgeAsUser.mockResolvedValue({ ok: false, status: 429, error: { code: "RATE_LIMIT_EXCEEDED", message: "slow down" } });
    expect((await saveDefaultResolution("1k"))?.error).toBeTruthy();
  });
});
