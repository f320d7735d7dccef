import { beforeEach, describe, expect, it, vi } from "vitest";

let session: { access_token: string } | null = null;
vi.mock("@/lib/supabase/client", () => ({
  createClient: () => ({ auth: { getSession: async () => ({ data: { session } }) } }),
}));

import { cancelImport, startImport } from "@/lib/start-import";
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

  it("sends the texture resolution picked on the page", async () => {
    const fetchImpl = vi.fn(async () => new Response(JSON.stringify({ import_id: "imp-4", status: "queued", device_id: device, resolution: "4k" }), { status: 201 }));
    await startImport({ shader_id: shader, version: "1.1.0", resolution: "4k" }, fetchImpl as unknown as typeof fetch);
    const [, init] = fetchImpl.mock.calls[0] as unknown as [string, RequestInit];
    expect(JSON.parse(init.body as string)).toEqual({ shader_id: shader, version: "1.1.0", resolution: "4k" });
  });

  it("refuses bad input before any request", async () => {
    const fetchImpl = vi.fn();
    expect(await startImport({ shader_id: shader, resolution: "4K; drop" }, fetchImpl as unknown as typeof fetch)).toMatchObject({ ok: false, code: "INVALID_INPUT" });
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

  it("cancels with a POST to the import's cancel route and answers the cancelled row", async () => {
    const id = "33333333-3333-4333-8333-000000000001";
    const row = { id, status: "cancelled", progress: 12, error_code: null, error_message: null, updated_at: "2026-12-03T10:00:00Z" };
    const fetchImpl = vi.fn(async () => new Response(JSON.stringify({ ...row, shader_id: shader, version: "1.0.0", device_id: device, instance_id: null }), { status: 200 }));
    expect(await cancelImport(id, fetchImpl as unknown as typeof fetch)).toEqual({ ok: true, row });
    const [url, init] = fetchImpl.mock.calls[0] as unknown as [string, RequestInit];
    expect(url).toBe(env.edgeUrl.replace(/\/+$/, "") + `/v1/imports/${id}/cancel`);
    expect(init.method).toBe("POST");
    const conflict = vi.fn(async () => new Response(JSON.stringify({ error: { code: "CONFLICT", message: "the import is no longer waiting (status importing)", request_id: "r" } }), { status: 409 }));
    expect(await cancelImport(id, conflict as unknown as typeof fetch)).toMatchObject({ ok: false, code: "CONFLICT" });
    expect(await cancelImport("../../v1/x", fetchImpl as unknown as typeof fetch)).toMatchObject({ ok: false, code: "INVALID_INPUT" });
  });
});
