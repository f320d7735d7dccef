import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { cleanup, fireEvent, render, screen, waitFor } from "@testing-library/react";

const createWebhook = vi.fn();
const rotateWebhook = vi.fn();
vi.mock("@/lib/actions/webhooks", () => ({
  createWebhook: (...a: unknown[]) => createWebhook(...a),
  rotateWebhook: (...a: unknown[]) => rotateWebhook(...a),
  deleteWebhook: vi.fn(),
}));

const refresh = vi.fn();
vi.mock("next/navigation", () => ({ useRouter: () => ({ refresh }) }));
let channel: { userId: string; handlers: Record<string, (p: unknown) => void> } | null = null;
vi.mock("@/components/account/use-user-channel", () => ({
  useUserChannel: (userId: string, handlers: Record<string, (p: unknown) => void>) => { channel = { userId, handlers }; return "live"; },
}));

import { WebhooksPanel, WebhooksWatcher } from "@/components/account/webhooks-panel";
import { userEvents } from "@/lib/browser-data";
import type { Webhook } from "@/lib/data/webhooks";

const hook = (over: Partial<Webhook> = {}): Webhook => ({
  id: "e1000000-0000-4000-8000-000000000001", url: "https://pipeline.example.com/octane", description: "Asset tracker",
  events: ["import.completed", "import.failed"], secret_masked: "whsec_…AbCd", previous_secret_expires_at: null,
  failing_since: null, disabled_at: null, disabled_reason: null, created_at: "2026-12-01T10:00:00Z",
  deliveries: [], ...over,
});

describe("WebhooksPanel", () => {
  beforeEach(() => { createWebhook.mockReset(); rotateWebhook.mockReset(); });
  afterEach(cleanup);

  it("lists endpoints with the masked secret, their state and the latest deliveries", () => {
    render(<WebhooksPanel webhooks={[
      hook({ deliveries: [{ id: "f1000000-0000-4000-8000-000000000001", message_id: "msg_" + "0".repeat(32), event_type: "import.failed",
        status: "pending", attempts: 3, next_attempt_at: "2026-12-01T11:00:00Z", last_attempt_at: "2026-12-01T10:35:00Z",
        response_status: 500, latency_ms: 40, error: "HTTP 500", created_at: "2026-12-01T10:30:00Z", delivered_at: null }] }),
      hook({ id: "e1000000-0000-4000-8000-000000000002", url: "https://down.example.com/hook", disabled_at: "2026-12-02T09:00:00Z",
        disabled_reason: "failing", failing_since: "2026-12-01T08:00:00Z" }),
    ]} />);
    expect(screen.getByText("https://pipeline.example.com/octane")).toBeTruthy();
    expect(screen.getAllByText(/whsec_…AbCd/).length).toBe(2);
    expect(screen.queryByText(/whsec_[A-Za-z0-9+/]{20,}/)).toBeNull();
    expect(screen.getByText("Active")).toBeTruthy();
    expect(screen.getByText("Disabled")).toBeTruthy();
    expect(screen.getByRole("alert").textContent).toContain("every delivery failed for a day");
    expect(screen.getByText("pending after 3 attempts")).toBeTruthy();
    expect(screen.getByText("HTTP 500")).toBeTruthy();
  });

  it("sends the URL and the chosen events, then shows the new secret once", async () => {
    createWebhook.mockResolvedValue({ ok: "Endpoint added.", secret: "whsec_" + "A".repeat(43) + "=" });
    render(<WebhooksPanel webhooks={[]} />);
    expect(screen.getByText("No webhook endpoints.")).toBeTruthy();
    fireEvent.change(screen.getByLabelText("Endpoint URL"), { target: { value: "https://hooks.example.com/x" } });
    fireEvent.click(screen.getByLabelText("A Blender was connected"));
    fireEvent.click(screen.getByRole("button", { name: "Add endpoint" }));
    await waitFor(() => expect(createWebhook).toHaveBeenCalled());
    const fd = createWebhook.mock.calls[0]![1] as FormData;
    expect(fd.get("url")).toBe("https://hooks.example.com/x");
    expect(fd.getAll("events")).toEqual(["import.completed", "import.failed", "subscription.updated", "device.revoked"]);
    expect((await screen.findByTestId("webhook-secret")).textContent).toBe("whsec_" + "A".repeat(43) + "=");
  });

  it("rotates an endpoint's secret and says how long the old one lasts", async () => {
    rotateWebhook.mockResolvedValue({ ok: "New secret. The old one keeps working for 24 hours.", secret: "whsec_new" });
    render(<WebhooksPanel webhooks={[hook()]} />);
    fireEvent.click(screen.getByRole("button", { name: "Rotate secret" }));
    await waitFor(() => expect(rotateWebhook).toHaveBeenCalled());
    expect((rotateWebhook.mock.calls[0]![1] as FormData).get("webhook_id")).toBe(hook().id);
    expect((await screen.findByTestId("webhook-secret")).textContent).toBe("whsec_new");
  });

  it("says when the edge cannot list them", () => {
    render(<WebhooksPanel webhooks={null} />);
    expect(screen.getByRole("alert").textContent).toContain("unavailable");
  });

  it("re-reads the page when the edge turns an endpoint off (webhook_disabled on user:<id>)", () => {
    expect(userEvents).toContain("webhook_disabled");
    refresh.mockReset();
    render(<WebhooksWatcher userId="u1" />);
    expect(channel?.userId).toBe("u1");
    channel?.handlers.webhook_disabled?.({ endpoint_id: "e1", url: "https://down.example.com/hook", disabled_reason: "failing", disabled_at: "2026-12-02T09:00:00Z" });
    expect(refresh).toHaveBeenCalledTimes(1);
  });
});
