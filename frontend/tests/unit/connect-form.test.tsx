import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { cleanup, fireEvent, render, screen, waitFor } from "@testing-library/react";

const approveDevice = vi.fn();
const denyDevice = vi.fn();
const lookupDevice = vi.fn();
vi.mock("@/lib/actions/connect", () => ({
  approveDevice: (...a: unknown[]) => approveDevice(...a),
  denyDevice: (...a: unknown[]) => denyDevice(...a),
}));
vi.mock("@/lib/device-grant", async (orig) => ({
  ...(await orig<typeof import("@/lib/device-grant")>()),
  lookupDevice: (...a: unknown[]) => lookupDevice(...a),
}));
vi.mock("next/link", () => ({ default: ({ href, children, ...p }: { href: string; children: React.ReactNode }) => <a href={href} {...p}>{children}</a> }));

import { ConnectForm } from "@/app/connect/connect-form";

const field = (fd: unknown, k: string) => (fd as FormData).get(k);

const pending = (over: Record<string, unknown> = {}) => ({
  ok: true,
  device: {
    user_code: "BCDF-GHJK", name: "Studio Blender", platform: "blender", platform_version: "4.2.1",
    addon_version: "1.3.0", bridge_version: "1.3.1", os: "Windows 11",
    requested_at: new Date(Date.now() - 3 * 60_000).toISOString(), expires_at: new Date(Date.now() + 7 * 60_000).toISOString(),
    same_network: false, ...over,
  },
});

const approveButton = () => screen.getByRole("button", { name: "Approve this Blender" }) as HTMLButtonElement;

describe("ConnectForm", () => {
  beforeEach(() => { approveDevice.mockReset(); denyDevice.mockReset(); lookupDevice.mockReset(); });
  afterEach(cleanup);

  it("says plainly to approve only a code your own Blender shows", () => {
    render(<ConnectForm initialCode="" email="pro@octane.local" />);
    expect(screen.getByTestId("approve-warning").textContent).toContain("Only approve a code your own Blender shows");
  });

  it("shows what is being approved before it can be approved", async () => {
    lookupDevice.mockResolvedValue(pending());
    render(<ConnectForm initialCode="BCDF-GHJK" email="pro@octane.local" />);
    const box = await screen.findByTestId("pending-device");
    expect(lookupDevice).toHaveBeenCalledWith("BCDF-GHJK");
    for (const text of ["Studio Blender", "Blender 4.2.1", "Windows 11", "add-on 1.3.0, bridge 1.3.1", "3 minutes ago"]) {
      expect(box.textContent).toContain(text);
    }
    expect(screen.getByTestId("origin").getAttribute("data-same")).toBe("false");
    expect(screen.getByTestId("origin").textContent).toContain("not made from this browser");
  });

  it("keeps Approve disabled until the user confirms it is their Blender, then sends the confirmation", async () => {
    lookupDevice.mockResolvedValue(pending({ same_network: true }));
    approveDevice.mockResolvedValue({ approved: "BCDF-GHJK", at: 1 });
    render(<ConnectForm initialCode="BCDF-GHJK" email="pro@octane.local" />);
    await screen.findByTestId("pending-device");
    expect(screen.getByTestId("origin").textContent).toContain("same internet address");
    expect(approveButton().disabled).toBe(true);
    fireEvent.click(approveButton());
    expect(approveDevice).not.toHaveBeenCalled();
    fireEvent.click(screen.getByRole("checkbox", { name: /This is my own Blender/ }));
    expect(approveButton().disabled).toBe(false);
    fireEvent.click(approveButton());
    await screen.findByText("Blender connected.");
    expect(field(approveDevice.mock.calls[0]![1], "user_code")).toBe("BCDF-GHJK");
    expect(field(approveDevice.mock.calls[0]![1], "confirm")).toBe("on");
    expect(denyDevice).not.toHaveBeenCalled();
  });

  it("looks a typed code up only when asked, and forgets the review when the code changes", async () => {
    lookupDevice.mockResolvedValue(pending());
    render(<ConnectForm initialCode="" email="pro@octane.local" />);
    expect(screen.queryByRole("button", { name: "Approve this Blender" })).toBeNull();
    fireEvent.change(screen.getByLabelText("Code from Blender"), { target: { value: "bcdf ghjk" } });
    fireEvent.click(screen.getByRole("button", { name: "Review request" }));
    await screen.findByTestId("pending-device");
    expect(lookupDevice).toHaveBeenCalledWith("bcdf ghjk");
    fireEvent.click(screen.getByRole("checkbox"));
    fireEvent.change(screen.getByLabelText("Code from Blender"), { target: { value: "BCDF-GHJX" } });
    expect(screen.queryByTestId("pending-device")).toBeNull();
    expect(screen.queryByRole("button", { name: "Approve this Blender" })).toBeNull();
  });

  it("an unknown or expired code shows why and offers no approval", async () => {
    lookupDevice.mockResolvedValue({ ok: false, code: "NOT_FOUND", message: "This code is unknown or has expired." });
    render(<ConnectForm initialCode="BCDF-GHJK" email="pro@octane.local" />);
    await screen.findByText("This code is unknown or has expired.");
    expect(screen.queryByRole("button", { name: "Approve this Blender" })).toBeNull();
  });

  it("Deny sends the code to the deny action only and confirms the refusal, without a review", async () => {
    lookupDevice.mockReturnValue(new Promise(() => {}));
    denyDevice.mockResolvedValue({ denied: "BCDF-GHJK", at: 1 });
    render(<ConnectForm initialCode="BCDF-GHJK" email="pro@octane.local" />);
    fireEvent.click(screen.getByRole("button", { name: "Deny" }));
    await screen.findByText("Code refused.");
    expect(denyDevice).toHaveBeenCalledTimes(1);
    expect(field(denyDevice.mock.calls[0]![1], "user_code")).toBe("BCDF-GHJK");
    expect(approveDevice).not.toHaveBeenCalled();
  });

  it("shows the error of the latest click", async () => {
    lookupDevice.mockResolvedValue(pending());
    approveDevice.mockResolvedValue({ error: "approve failed", at: 1 });
    denyDevice.mockResolvedValue({ error: "deny failed", at: 2 });
    render(<ConnectForm initialCode="BCDF-GHJK" email="pro@octane.local" />);
    await screen.findByTestId("pending-device");
    fireEvent.click(screen.getByRole("checkbox"));
    fireEvent.click(approveButton());
    await screen.findByText("approve failed");
    fireEvent.click(screen.getByRole("button", { name: "Deny" }));
    await screen.findByText("deny failed");
    await waitFor(() => expect(screen.queryByText("approve failed")).toBeNull());
  });
});
