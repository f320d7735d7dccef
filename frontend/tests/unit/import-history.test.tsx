import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { act, cleanup, fireEvent, render, screen } from "@testing-library/react";

const startImport = vi.fn();
vi.mock("@/lib/start-import", () => ({ startImport: (...a: unknown[]) => startImport(...a) }));
let emit: ((p: Record<string, unknown>) => void) | undefined;
vi.mock("@/components/account/use-user-channel", () => ({
  useUserChannel: (_u: string, h: { import_status?: (p: Record<string, unknown>) => void }) => { emit = h.import_status; return "live"; },
  LiveDot: () => null,
}));
vi.mock("next/link", () => ({ default: ({ href, children, ...p }: { href: string; children: React.ReactNode }) => <a href={href} {...p}>{children}</a> }));

import { ImportHistory } from "@/components/account/import-history";
import type { HistoryRow } from "@/lib/data/account";

const oak = { name: "Oak Wood", slug: "oak-wood" };
const shaderId = "a0000000-0000-4000-8000-000000000001";
const online = { id: "11111111-1111-4111-8111-000000000002", name: "Workstation", platform: "blender", os: null, last_seen_at: new Date().toISOString(), revoked_at: null };
const gone = { id: "11111111-1111-4111-8111-000000000003", name: "Old laptop", platform: "blender", os: null, last_seen_at: "2026-01-01T00:00:00Z", revoked_at: null };
const row = (p: Partial<HistoryRow>): HistoryRow => ({
  id: "imp-1", status: "done", progress: 100, error_code: null, error_message: null, shader_id: shaderId, device_id: online.id,
  version: "1.1.0", resolution: "4k", created_at: "2026-12-01T10:00:00Z", shader: oak, ...p,
});

describe("ImportHistory", () => {
  beforeEach(() => { startImport.mockReset(); emit = undefined; });
  afterEach(cleanup);

  it("shows each import's version and resolution, and Import again asks for the same shader, version and resolution on the same Blender", async () => {
    startImport.mockResolvedValue({ ok: true, import_id: "imp-2", status: "queued", device_id: online.id });
    render(<ImportHistory userId="u" initial={[row({})]} shaderNames={{}} devices={[online]} />);
    expect(screen.getByTestId("import-row").textContent).toContain("Oak Wood v1.1.0 · 4K");
    fireEvent.click(screen.getByRole("button", { name: "Import Oak Wood v1.1.0 at 4K again" }));
    await screen.findByText(/Queued/);
    expect(startImport).toHaveBeenCalledWith({ shader_id: shaderId, version: "1.1.0", resolution: "4k", device_id: online.id });
    const rows = screen.getAllByTestId("import-row");
    expect(rows.map((r) => r.getAttribute("data-import-id"))).toEqual(["imp-2", "imp-1"]);
    expect(rows[0]!.textContent).toContain("v1.1.0 · 4K");
    // The broadcast does not name the resolution: the new row keeps it as it goes on.
    act(() => emit!({ id: "imp-2", status: "done", progress: 100, error_code: null, error_message: null, version: "1.1.0", shader_id: shaderId }));
    expect(screen.getAllByTestId("import-row")[0]!.textContent).toMatch(/v1\.1\.0 · 4K.*Imported/);
  });

  it("leaves the Blender to the edge when the original one is offline or gone, and sends no resolution for a v1 import", async () => {
    startImport.mockResolvedValue({ ok: true, import_id: "imp-3", status: "queued", device_id: online.id });
    render(<ImportHistory userId="u" initial={[row({ device_id: gone.id, version: "1.0.1", resolution: null, status: "failed", error_code: "CHECKSUM_MISMATCH" })]} shaderNames={{}} devices={[gone]} />);
    fireEvent.click(screen.getByRole("button", { name: "Import Oak Wood v1.0.1 again" }));
    await screen.findByText(/Queued/);
    expect(startImport).toHaveBeenCalledWith({ shader_id: shaderId, version: "1.0.1", resolution: undefined, device_id: undefined });
  });

  it("offers Import again only once an import has ended, and explains a refusal", async () => {
    startImport.mockResolvedValue({ ok: false, code: "SUBSCRIPTION_REQUIRED", message: "x" });
    render(<ImportHistory userId="u" initial={[row({ id: "run", status: "downloading", progress: 40 }), row({ id: "old" })]} shaderNames={{}} devices={[online]} />);
    expect(screen.getAllByRole("button", { name: /again/ })).toHaveLength(1);
    fireEvent.click(screen.getByRole("button", { name: /again/ }));
    expect((await screen.findByRole("alert")).textContent).toMatch(/part of Pro/);
    expect(screen.getAllByTestId("import-row")).toHaveLength(2);
  });
});
