import { afterEach, describe, expect, it, vi } from "vitest";
import { cleanup, render, screen, within } from "@testing-library/react";
import { UsageDashboard } from "@/components/operator/usage-dashboard";
import { Code, webText } from "@/lib/codes";
import type { Dashboard } from "@/lib/data/operator";

// Every metric issue 20 item 3 names is on the operator's dashboard, from the rows its SQL
// functions return (pgTAP 80_usage_analytics tests the rows; this, what the page makes of them).
const data: Dashboard = {
  days: 30,
  perDay: [
    { day: "2026-12-01", imports: 10, done: 8, failed: 2 },
    { day: "2026-12-02", imports: 6, done: 4, failed: 0 },
  ],
  perShader: [{ shader_id: "a1", slug: "oak-wood", name: "Oak Wood", imports: 12, done: 10, failed: 2 }],
  failures: [{ error_code: Code.DISK_FULL, failures: 2 }],
  steps: [
    { step: "download", imports: 12, p50_ms: 1200, p95_ms: 4500 },
    { step: "total", imports: 12, p50_ms: 2500, p95_ms: 12_000 },
  ],
  devices: [
    { platform: "blender", blender_version: "4.2.0", addon_version: "1.1.0", devices: 3 },
    { platform: "blender", blender_version: "3.6.5", addon_version: "1.0.0", devices: 1 },
  ],
  subscriptions: [
    { day: "2026-12-01", started: 2, cancelled: 0, active: 5 },
    { day: "2026-12-02", started: 1, cancelled: 1, active: 5 },
  ],
  searchMisses: [{ query: "velvet curtain", misses: 7 }],
};

describe("UsageDashboard", () => {
  afterEach(cleanup);

  it("shows imports, success rate, step p50/p95, devices, subscriptions and search misses", () => {
    render(<UsageDashboard data={data} />);
    const stats = screen.getByTestId("usage-dashboard");
    expect(stats.textContent).toContain("16"); // imports in the window
    expect(stats.textContent).toContain("85.7 %"); // 12 done ÷ (12 + 2)
    expect(stats.textContent).toContain("12 done, 2 failed");
    expect(stats.textContent).toContain("2.50 s / 12.0 s"); // the whole import's p50 / p95
    expect(stats.textContent).toContain("+3 new, −1 cancelled");
    for (const title of ["Imports per day", "Most imported shaders", "Why imports failed", "Import steps", "Active devices",
      "Subscriptions", "Searches without results"]) {
      expect(screen.getAllByText(title).length).toBeGreaterThan(0);
    }
    // The failure codes behind the failures, in the site's words.
    expect(screen.getByText(Code.DISK_FULL)).toBeTruthy();
    expect(screen.getByText(webText(Code.DISK_FULL)!)).toBeTruthy();
    // p50 and p95 of each step.
    const download = screen.getByText("download").closest("tr")!;
    expect(within(download).getByText("1.20 s")).toBeTruthy();
    expect(within(download).getByText("4.50 s")).toBeTruthy();
    // Devices by platform, Blender and add-on version.
    const row = screen.getByText("4.2.0").closest("tr")!;
    expect(within(row).getByText("blender")).toBeTruthy();
    expect(within(row).getByText("1.1.0")).toBeTruthy();
    expect(within(row).getByText("3")).toBeTruthy();
    // Charts for per-shader imports, devices and search misses (labelled images).
    for (const label of ["Imports per shader", "Active devices per Blender version", "Active devices per add-on version",
      "Searches without results", "Failed imports per failure code"]) {
      expect(screen.getByRole("img", { name: label })).toBeTruthy();
    }
  });

  it("says so when a window has nothing", () => {
    render(<UsageDashboard data={{ ...data, perDay: [], perShader: [], failures: [], steps: [], devices: [], searchMisses: [] }} />);
    expect(screen.getAllByText("No imports in this window.").length).toBe(2);
    expect(screen.getByText("No failed imports in this window.")).toBeTruthy();
    expect(screen.getByText("No done imports in this window.")).toBeTruthy();
    expect(screen.getByText("No device was seen in this window.")).toBeTruthy();
    expect(screen.getByText("Every search in this window found something.")).toBeTruthy();
  });
});

// The artist's own numbers on the account page (issue 20 item 4): imports per month and most used shaders.
const numbers = vi.hoisted(() => ({ perMonth: [] as unknown[], topShaders: [] as unknown[] }));
vi.mock("@/lib/data/my-numbers", () => ({ getMyNumbers: async () => numbers }));
import { YourNumbers } from "@/components/account/your-numbers";

describe("YourNumbers", () => {
  afterEach(cleanup);

  it("charts the imports per month and links the most used shaders", async () => {
    numbers.perMonth = [{ month: "2026-11-01", imports: 4, done: 3 }, { month: "2026-12-01", imports: 2, done: 2 }];
    numbers.topShaders = [{ shader_id: "a1", slug: "oak-wood", name: "Oak Wood", imports: 5 }];
    render(await YourNumbers());
    expect(screen.getByRole("img", { name: "Your imports per month" })).toBeTruthy();
    expect(screen.getByRole("link", { name: "Oak Wood" }).getAttribute("href")).toBe("/shaders/oak-wood");
    expect(screen.getByText("5×")).toBeTruthy();
  });

  it("says so before the first import", async () => {
    numbers.perMonth = [{ month: "2026-12-01", imports: 0, done: 0 }];
    numbers.topShaders = [];
    render(await YourNumbers());
    expect(screen.getByText("No imports in the last twelve months yet.")).toBeTruthy();
  });
});
