import { beforeEach, describe, expect, it, vi } from "vitest";

let session: { access_token: string } | null = null;
vi.mock("@/lib/supabase/client", () => ({
  createClient: () => ({ auth: { getSession: async () => ({ data: { session } }) } }),
}));
const edgeAsUser = vi.fn();
vi.mock("@/lib/edge-server", () => ({ edgeAsUser: (...a: unknown[]) => edgeAsUser(...a) }));

import { ago, lookupDevice, platformLabel } from "@/lib/device-grant";
import { approveDevice } from "@/lib/actions/connect";
import { env } from "@/lib/env";

describe("lookupDevice (browser → edge, so the edge sees the approver's address)", () => {
  beforeEach(() => { session = { access_token: "user-jwt" }; });

  it("posts the normalised code with the user's token", async () => {
    const body = { user_code: "BCDF-GHJK", name: "Studio", platform: "blender", same_network: true };
    const fetchImpl = vi.fn(async () => new Response(JSON.stringify(body), { status: 200 }));
    expect(await lookupDevice("bcdf ghjk", fetchImpl as unknown as typeof fetch)).toEqual({ ok: true, device: body });
    const [url, init] = fetchImpl.mock.calls[0] as unknown as [string, RequestInit];
    expect(url).toBe(env.edgeUrl.replace(/\/+$/, "") + "/v1/devices/lookup");
    expect((init.headers as Record<string, string>).authorization).toBe("Bearer user-jwt");
    expect(JSON.parse(init.body as string)).toEqual({ user_code: "BCDF-GHJK" });
  });

  it("explains an unknown code, and refuses a malformed one without a request", async () => {
    const notFound = vi.fn(async () => new Response(JSON.stringify({ error: { code: "NOT_FOUND", message: "code not found" } }), { status: 404 }));
    expect(await lookupDevice("BCDF-GHJK", notFound as unknown as typeof fetch)).toMatchObject({ ok: false, code: "NOT_FOUND", message: expect.stringContaining("expired") });
    const never = vi.fn();
    expect(await lookupDevice("AEIO", never as unknown as typeof fetch)).toMatchObject({ ok: false, code: "INVALID_INPUT" });
    expect(never).not.toHaveBeenCalled();
  });

  it("labels platforms and times", () => {
    expect(platformLabel({ platform: "blender", platform_version: "4.2.1" })).toBe("Blender 4.2.1");
    expect(platformLabel({ platform: "rhino", platform_version: null })).toBe("Rhino");
    const now = Date.parse("2026-12-02T12:00:00Z");
    expect(ago("2026-12-02T11:59:50Z", now)).toBe("just now");
    expect(ago("2026-12-02T11:57:00Z", now)).toBe("3 minutes ago");
    expect(ago("2026-12-02T10:59:00Z", now)).toBe("1 hour ago");
  });
});

describe("approveDevice (Server Action)", () => {
  beforeEach(() => { edgeAsUser.mockReset(); edgeAsUser.mockResolvedValue({ ok: true, data: { approved: true } }); });

  it("refuses without the explicit confirmation", async () => {
    const fd = new FormData();
    fd.set("user_code", "BCDF-GHJK");
    expect(await approveDevice(undefined, fd)).toMatchObject({ error: expect.stringContaining("confirm") });
    expect(edgeAsUser).not.toHaveBeenCalled();
    fd.set("confirm", "on");
    expect(await approveDevice(undefined, fd)).toEqual({ approved: "BCDF-GHJK" });
    expect(edgeAsUser).toHaveBeenCalledWith("/v1/devices/approve", { body: { user_code: "BCDF-GHJK" } });
  });
});
