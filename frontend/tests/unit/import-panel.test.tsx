import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { act, cleanup, fireEvent, render, screen, waitFor } from "@testing-library/react";

const startImport = vi.fn();
const cancelImport = vi.fn();
vi.mock("@/lib/start-import", () => ({
  startImport: (...a: unknown[]) => startImport(...a),
  cancelImport: (...a: unknown[]) => cancelImport(...a),
}));
let emit: ((p: Record<string, unknown>) => void) | undefined;
vi.mock("@/components/account/use-user-channel", () => ({
  useUserChannel: (_u: string, h: { import_status?: (p: Record<string, unknown>) => void }) => { emit = h.import_status; return "live"; },
}));
const readRow = vi.fn();
vi.mock("@/lib/supabase/client", () => ({
  createClient: () => ({ from: () => ({ select: () => ({ eq: (_c: string, id: string) => ({ maybeSingle: () => readRow(id) }) }) }) }),
}));
const saveDefaultResolution = vi.fn();
vi.mock("@/lib/actions/account", () => ({ saveDefaultResolution: (...a: unknown[]) => saveDefaultResolution(...a) }));
vi.mock("next/link", () => ({ default: ({ href, children, ...p }: { href: string; children: React.ReactNode }) => <a href={href} {...p}>{children}</a> }));

import { ImportPanel } from "@/components/shader/import-panel";

const now = new Date().toISOString();
const devices = [
  { id: "11111111-1111-4111-8111-000000000001", name: "Laptop", platform: "blender", os: null, last_seen_at: null, revoked_at: null },
  { id: "11111111-1111-4111-8111-000000000002", name: "Workstation", platform: "blender", os: null, last_seen_at: now, revoked_at: null },
];
const base = { shaderId: "a0000000-0000-4000-8000-000000000001", shaderName: "Oak", version: "1.0.0", userId: "u", devices, entitled: true };

describe("ImportPanel", () => {
  beforeEach(() => { startImport.mockReset(); cancelImport.mockReset(); readRow.mockReset(); saveDefaultResolution.mockReset(); emit = undefined; });

  it("lists the Blenders of one machine by file and version, preselects ?device=<device>.<Blender>, imports to it", async () => {
    const dev = devices[1]!.id;
    const blenders = [
      { id: "22222222-2222-4222-8222-000000000001", device_id: dev, blend_file: "scene.blend", blender_version: "4.2.1", last_seen_at: now, stopped_at: null },
      { id: "22222222-2222-4222-8222-000000000002", device_id: dev, blend_file: "assets.blend", blender_version: "3.4.1", last_seen_at: now, stopped_at: null },
    ];
    startImport.mockResolvedValue({ ok: true, import_id: "imp-7", status: "queued", device_id: dev });
    render(<ImportPanel {...base} blenders={blenders} requestedDevice={`${dev}.${blenders[1]!.id}`} />);
    const select = screen.getByLabelText("Import into") as HTMLSelectElement;
    expect(select.value).toBe(`${dev}.${blenders[1]!.id}`);
    const texts = [...select.options].map((o) => o.textContent);
    expect(texts).toContain("● scene.blend — Blender 4.2.1 — online");
    expect(texts).toContain("● assets.blend — Blender 3.4.1 — online");
    expect(select.querySelector("optgroup")!.getAttribute("label")).toBe("Workstation");
    fireEvent.click(screen.getByRole("button", { name: /Import to Blender/ }));
    await screen.findByText(/Queued/);
    expect(startImport).toHaveBeenCalledWith({ shader_id: base.shaderId, device_id: dev, instance_id: blenders[1]!.id, version: "1.0.0" });
  });

  it("keeps the Blender ?device= names listed while it is offline, and says the import waits for it", () => {
    const dev = devices[1]!.id;
    const gone = { id: "22222222-2222-4222-8222-000000000003", device_id: dev, blend_file: "", blender_version: "4.2.1",
      last_seen_at: now, stopped_at: now };
    render(<ImportPanel {...base} blenders={[gone]} requestedDevice={`${dev}.${gone.id}`} />);
    const select = screen.getByLabelText("Import into") as HTMLSelectElement;
    expect(select.value).toBe(`${dev}.${gone.id}`);
    expect([...select.options].map((o) => o.textContent)).toContain("○ Untitled — Blender 4.2.1 — offline");
    expect(screen.getByText(/waits up to 15 minutes for it to come back/)).toBeTruthy();
  });

  it("cancels a running import and says what happened", async () => {
    startImport.mockResolvedValue({ ok: true, import_id: "imp-9", status: "queued", device_id: devices[1]!.id });
    cancelImport.mockResolvedValue({ ok: true, row: { id: "imp-9", status: "cancelled", progress: 30, error_code: null, error_message: null } });
    render(<ImportPanel {...base} requestedDevice={null} />);
    fireEvent.click(screen.getByRole("button", { name: /Import to Blender/ }));
    await screen.findByText(/Queued/);
    act(() => emit!({ id: "imp-9", status: "downloading", progress: 30, error_code: null, error_message: null }));
    fireEvent.click(screen.getByRole("button", { name: "Cancel import" }));
    await screen.findByText("Cancelled");
    expect(cancelImport).toHaveBeenCalledWith("imp-9");
    expect(screen.queryByRole("button", { name: "Cancel import" })).toBeNull();
    expect(screen.getByText(/importing again resumes it/)).toBeTruthy();
    // A late progress event does not bring the import back.
    act(() => emit!({ id: "imp-9", status: "downloading", progress: 40, error_code: null, error_message: null }));
    expect(screen.getByTestId("import-status").getAttribute("data-status")).toBe("cancelled");
  });
  afterEach(cleanup);

  it("lists online devices first and preselects the first online one", () => {
    render(<ImportPanel {...base} requestedDevice={null} />);
    const select = screen.getByLabelText("Import into") as HTMLSelectElement;
    expect(select.value).toBe(devices[1]!.id);
    expect(select.options[0]!.textContent).toContain("Workstation — online");
  });

  it("preselects the device from ?device=", () => {
    render(<ImportPanel {...base} requestedDevice={devices[0]!.id} />);
    expect((screen.getByLabelText("Import into") as HTMLSelectElement).value).toBe(devices[0]!.id);
  });

  it("shows the paywall instead of the button without a subscription", () => {
    render(<ImportPanel {...base} entitled={false} requestedDevice={null} />);
    expect(screen.getByTestId("paywall")).toBeTruthy();
    expect(screen.queryByRole("button", { name: /Import to Blender/ })).toBeNull();
  });

  it("follows live status from queued to downloading to done", async () => {
    startImport.mockResolvedValue({ ok: true, import_id: "imp-1", status: "queued", device_id: devices[1]!.id });
    render(<ImportPanel {...base} requestedDevice={null} />);
    fireEvent.click(screen.getByRole("button", { name: /Import to Blender/ }));
    await screen.findByText(/Queued/);
    expect(startImport).toHaveBeenCalledWith({ shader_id: base.shaderId, device_id: devices[1]!.id, version: "1.0.0" });
    act(() => emit!({ id: "other", status: "done", progress: 100 }));
    expect(screen.queryByText("Imported")).toBeNull();
    act(() => emit!({ id: "imp-1", status: "downloading", progress: 42, error_code: null, error_message: null }));
    expect(screen.getByText("Downloading 42%")).toBeTruthy();
    expect(screen.getByRole("progressbar").getAttribute("aria-valuenow")).toBe("42");
    act(() => emit!({ id: "imp-1", status: "done", progress: 100, error_code: null, error_message: null }));
    expect(screen.getByText("Imported")).toBeTruthy();
  });

  it("keeps a status that arrived before the answer to the click (a cached package is that fast)", async () => {
    let answer!: (v: unknown) => void;
    startImport.mockReturnValue(new Promise((r) => { answer = r; }));
    render(<ImportPanel {...base} requestedDevice={null} />);
    fireEvent.click(screen.getByRole("button", { name: /Import to Blender/ }));
    act(() => emit!({ id: "imp-2", status: "importing", progress: 100, error_code: null, error_message: null, updated_at: "2026-11-22T10:00:00.100000+00:00" }));
    act(() => emit!({ id: "imp-2", status: "done", progress: 100, error_code: null, error_message: null, updated_at: "2026-11-22T10:00:00.200000+00:00" }));
    await act(async () => answer({ ok: true, import_id: "imp-2", status: "queued", device_id: devices[1]!.id }));
    expect(screen.getByText("Imported")).toBeTruthy();
  });

  it("reads the row while an import runs, so a lost broadcast cannot leave it stuck", async () => {
    vi.useFakeTimers();
    try {
      startImport.mockResolvedValue({ ok: true, import_id: "imp-3", status: "queued", device_id: devices[1]!.id });
      readRow.mockResolvedValue({ data: { id: "imp-3", status: "done", progress: 100, error_code: null, error_message: null } });
      render(<ImportPanel {...base} requestedDevice={null} />);
      await act(async () => { fireEvent.click(screen.getByRole("button", { name: /Import to Blender/ })); });
      expect(screen.getByText(/Queued/)).toBeTruthy();
      await act(async () => { await vi.advanceTimersByTimeAsync(4_100); });
      expect(readRow).toHaveBeenCalledWith("imp-3");
      expect(screen.getByText("Imported")).toBeTruthy();
      const calls = readRow.mock.calls.length;
      await act(async () => { await vi.advanceTimersByTimeAsync(10_000); });
      expect(readRow.mock.calls.length).toBe(calls); // finished: no more reads
    } finally {
      vi.useRealTimers();
    }
  });

  it("explains a refused import with a way forward", async () => {
    startImport.mockResolvedValue({ ok: false, code: "SUBSCRIPTION_REQUIRED", message: "x" });
    render(<ImportPanel {...base} requestedDevice={null} />);
    fireEvent.click(screen.getByRole("button", { name: /Import to Blender/ }));
    await waitFor(() => expect(screen.getByRole("alert").textContent).toMatch(/part of Pro/));
    expect(screen.getByRole("link", { name: "See plans" }).getAttribute("href")).toBe("/account#subscription");
  });

  describe("texture resolution", () => {
    const sets = { kind: "sets" as const, choices: [
      { resolution: "1k", download: 3_200_000 }, { resolution: "2k", download: 11_500_000 }, { resolution: "4k", download: 44_000_000 },
    ] };
    const radio = (name: RegExp) => screen.getByRole("radio", { name }) as HTMLInputElement;

    it("lists the version's resolutions with their download sizes, preselects the saved one and imports at the one picked", async () => {
      startImport.mockResolvedValue({ ok: true, import_id: "imp-r", status: "queued", device_id: devices[1]!.id });
      render(<ImportPanel {...base} requestedDevice={null} textures={sets} preferredResolution="1k" />);
      expect(screen.getAllByRole("radio").map((r) => r.getAttribute("value"))).toEqual(["1k", "2k", "4k"]);
      expect(radio(/^1K/).checked).toBe(true);
      expect(radio(/^4K/).closest("label")!.textContent).toBe("4K44 MB");
      fireEvent.click(screen.getByRole("button", { name: /Import to Blender/ }));
      await screen.findByText(/Queued/);
      expect(startImport).toHaveBeenCalledWith({ shader_id: base.shaderId, device_id: devices[1]!.id, version: "1.0.0", resolution: "1k" });
    });

    it("defaults to 2k without a saved preference, and remembers a pick as the account's default", async () => {
      saveDefaultResolution.mockResolvedValue({ ok: "4K is now your default resolution." });
      startImport.mockResolvedValue({ ok: true, import_id: "imp-s", status: "queued", device_id: devices[1]!.id });
      render(<ImportPanel {...base} requestedDevice={null} textures={sets} preferredResolution={null} />);
      expect(radio(/^2K/).checked).toBe(true);
      fireEvent.click(radio(/^4K/));
      await screen.findByText("4K is now your default resolution.");
      expect(saveDefaultResolution).toHaveBeenCalledWith("4k");
      expect(radio(/^4K/).checked).toBe(true);
      fireEvent.click(screen.getByRole("button", { name: /Import to Blender/ }));
      await screen.findByText(/Queued/);
      expect(startImport.mock.calls[0]![0].resolution).toBe("4k");
    });

    it("saves a change back to the first default too (each change once)", async () => {
      saveDefaultResolution.mockImplementation(async (r: string) => ({ ok: `${r.toUpperCase()} is now your default resolution.` }));
      render(<ImportPanel {...base} requestedDevice={null} textures={sets} preferredResolution="2k" />);
      fireEvent.click(radio(/^4K/));
      await screen.findByText("4K is now your default resolution.");
      fireEvent.click(radio(/^2K/));
      await screen.findByText("2K is now your default resolution.");
      expect(saveDefaultResolution.mock.calls.map((c) => c[0])).toEqual(["4k", "2k"]);
    });

    it("says so when the default could not be saved, and still imports at the pick", async () => {
      saveDefaultResolution.mockResolvedValue({ error: "Too many requests." });
      render(<ImportPanel {...base} requestedDevice={null} textures={sets} preferredResolution="2k" />);
      fireEvent.click(radio(/^1K/));
      await screen.findByText("Too many requests.");
      expect(radio(/^1K/).checked).toBe(true);
    });

    it("does not try to save a resolution the settings cannot hold (8k)", () => {
      render(<ImportPanel {...base} requestedDevice={null} textures={{ kind: "sets", choices: [...sets.choices, { resolution: "8k", download: 1.6e8 }] }} />);
      fireEvent.click(radio(/^8K/));
      expect(radio(/^8K/).checked).toBe(true);
      expect(saveDefaultResolution).not.toHaveBeenCalled();
    });

    it("shows a v1 package's single download and imports without a resolution", async () => {
      startImport.mockResolvedValue({ ok: true, import_id: "imp-v1", status: "queued", device_id: devices[1]!.id });
      render(<ImportPanel {...base} requestedDevice={null} textures={{ kind: "fixed", resolutions: ["2k"], download: 463_881 }} preferredResolution="4k" />);
      expect(screen.queryAllByRole("radio")).toHaveLength(0);
      expect(screen.getByTestId("resolution-fixed").textContent).toBe("Textures 2K — one download of 464 KB");
      fireEvent.click(screen.getByRole("button", { name: /Import to Blender/ }));
      await screen.findByText(/Queued/);
      expect(startImport.mock.calls[0]![0].resolution).toBeUndefined();
    });
  });
});
