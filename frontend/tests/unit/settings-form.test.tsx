import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { cleanup, fireEvent, render, screen, waitFor } from "@testing-library/react";

const saveSettings = vi.fn();
vi.mock("@/lib/actions/account", () => ({ saveSettings: (...a: unknown[]) => saveSettings(...a) }));

import { SettingsForm } from "@/components/account/settings-form";
import type { Settings } from "@/lib/data/account";

const studio = { id: "d0000000-0000-4000-8000-0000000000a1", name: "Studio Blender", platform: "blender", os: null, last_seen_at: null, revoked_at: null };
const laptop = { id: "d0000000-0000-4000-8000-0000000000a2", name: "Laptop Blender", platform: "blender", os: null, last_seen_at: null, revoked_at: null };
const settings = (over: Partial<Settings> = {}): Settings => ({
  default_resolution: "2k", default_device_id: null, updated_at: null,
  notifications: { import_failed: true, billing: true, product_news: false }, ...over,
});
const select = (label: string) => screen.getByLabelText(label) as HTMLSelectElement;
const box = (label: string) => screen.getByLabelText(label) as HTMLInputElement;

describe("SettingsForm", () => {
  beforeEach(() => saveSettings.mockReset());
  afterEach(cleanup);

  it("shows the saved settings: resolution, default Blender and e-mails", () => {
    render(<SettingsForm settings={settings({ default_resolution: "4k", default_device_id: laptop.id })} devices={[studio, laptop]} />);
    expect(select("Texture resolution").value).toBe("4k");
    expect(select("Import into").value).toBe(laptop.id);
    expect([...select("Import into").options].map((o) => o.textContent)).toEqual(["The Blender seen most recently", "Studio Blender", "Laptop Blender"]);
    expect(box("An import failed").checked).toBe(true);
    expect(box("New shaders and features (occasionally)").checked).toBe(false);
  });

  it("offers the most recently seen Blender when the default is no longer listed", () => {
    render(<SettingsForm settings={settings({ default_device_id: "d0000000-0000-4000-8000-0000000000ff" })} devices={[studio]} />);
    expect(select("Import into").value).toBe("");
  });

  it("sends the form's choices and shows the answer", async () => {
    saveSettings.mockResolvedValue({ ok: "Settings saved.", at: 1 });
    render(<SettingsForm settings={settings()} devices={[studio, laptop]} />);
    fireEvent.change(select("Texture resolution"), { target: { value: "1k" } });
    fireEvent.change(select("Import into"), { target: { value: studio.id } });
    fireEvent.click(box("Payments and my subscription"));
    fireEvent.click(screen.getByRole("button", { name: "Save settings" }));
    await waitFor(() => expect(saveSettings).toHaveBeenCalled());
    const fd = saveSettings.mock.calls[0]![1] as FormData;
    expect([fd.get("default_resolution"), fd.get("default_device_id"), fd.get("billing"), fd.get("import_failed")]).toEqual(["1k", studio.id, null, "on"]);
    expect((await screen.findByRole("status")).textContent).toBe("Settings saved.");
  });

  it("shows the edge's error", async () => {
    saveSettings.mockResolvedValue({ error: "That Blender is not yours.", at: 2 });
    render(<SettingsForm settings={settings()} devices={[studio]} />);
    fireEvent.click(screen.getByRole("button", { name: "Save settings" }));
    expect((await screen.findByText("That Blender is not yours.")).textContent).toBe("That Blender is not yours.");
  });
});
