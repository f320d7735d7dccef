import { beforeEach, describe, expect, it, vi } from "vitest";

let session: { access_token: string } | null = null;
vi.mock("@/lib/supabase/client", () => ({
  createClient: () => ({ auth: { getSession: async () => ({ data: { session } }) } }),
}));

import { startImport } from "@/lib/start-import";
import { env } from "@/lib/env";

const shader = "a0000000-0000-4000-8000-000000000001";
const device = "11111111-1111-4111-8111-000000000002";

describe("startImport (browser → edge)", () => {
  beforeEach(() => { session = { access_token: "user-jwt" }; });

  it("posts the import to the edge with the user's token", async () => {
    const fetchImpl = vi.fn(async () => new Response(JSON.stringify({ import_id: "imp-1", status: "queued", device_id: device }), { status: 201 }));
    const res = await startImport({ shader_id: shader, device_id: device, version: "1.0.0" }, fetchImpl as unknown as typeof fetch);
    expect(res).toEqual({ ok: true, import_id: "imp-1", status: "queued", device_id: device });
    const [url, init] = fetchImpl.mock.calls[0] as unknown as [string, RequestInit];
    expect(url).toBe(env.edgeUrl.replace(/\/+$/, "") + "/v1/imports");
    expect(init.method).toBe("POST");
    expect((init.headers as Record<string, string>).authorization).toBe("Bearer user-jwt");
    expect(JSON.parse(init.body as string)).toEqual({ shader_id: shader, device_id: device, version: "1.0.0" });
  });

  it("refuses bad input before any request", async () => {
    const fetchImpl = vi.fn();
    expect(await startImport({ shader_id: "not-a-uuid" }, fetchImpl as unknown as typeof fetch)).toMatchObject({ ok: false, code: "INVALID_INPUT" });
    expect(fetchImpl).not.toHaveBeenCalled();
  });

  it("asks to sign in again without a session", async () => {
    session = null;
    const fetchImpl = vi.fn();
    expect(await startImport({ shader_id: shader }, fetchImpl as unknown as typeof fetch)).toMatchObject({ ok: false, code: "AUTH_REQUIRED" });
    expect(fetchImpl).not.toHaveBeenCalled();
  });

  it("passes the edge's error code through with a friendly message", async () => {
    const fetchImpl = vi.fn(async () => new Response(JSON.stringify({ error: { code: "SUBSCRIPTION_REQUIRED", message: "x", request_id: "r" } }), { status: 402 }));
    expect(await startImport({ shader_id: shader }, fetchImpl as unknown as typeof fetch)).toMatchObject({ ok: false, code: "SUBSCRIPTION_REQUIRED" });
  });
});
