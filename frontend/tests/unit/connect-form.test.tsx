import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { cleanup, fireEvent, render, screen } from "@testing-library/react";

const approveDevice = vi.fn();
const denyDevice = vi.fn();
vi.mock("@/app/connect/actions", () => ({
  approveDevice: (...a: unknown[]) => approveDevice(...a),
  denyDevice: (...a: unknown[]) => denyDevice(...a),
}));
vi.mock("next/link", () => ({ default: ({ href, children, ...p }: { href: string; children: React.ReactNode }) => <a href={href} {...p}>{children}</a> }));

import { ConnectForm } from "@/app/connect/connect-form";

const code = (fd: unknown) => (fd as FormData).get("user_code");

describe("ConnectForm", () => {
  beforeEach(() => { approveDevice.mockReset(); denyDevice.mockReset(); });
  afterEach(cleanup);

  it("offers Deny next to Approve", () => {
    render(<ConnectForm initialCode="BCDF-GHJK" email="pro@octane.local" />);
    expect(screen.getByRole("button", { name: "Approve this Blender" })).toBeTruthy();
    expect(screen.getByRole("button", { name: "Deny" })).toBeTruthy();
  });

  it("Deny sends the code to the deny action only and confirms the refusal", async () => {
    denyDevice.mockResolvedValue({ denied: "BCDF-GHJK", at: 1 });
    render(<ConnectForm initialCode="BCDF-GHJK" email="pro@octane.local" />);
    fireEvent.click(screen.getByRole("button", { name: "Deny" }));
    await screen.findByText("Code refused.");
    expect(denyDevice).toHaveBeenCalledTimes(1);
    expect(code(denyDevice.mock.calls[0]![1])).toBe("BCDF-GHJK");
    expect(approveDevice).not.toHaveBeenCalled();
    expect(screen.queryByText("Blender connected.")).toBeNull();
  });

  it("Approve still approves", async () => {
    approveDevice.mockResolvedValue({ approved: "BCDF-GHJK", at: 1 });
    render(<ConnectForm initialCode="BCDF-GHJK" email="pro@octane.local" />);
    fireEvent.click(screen.getByRole("button", { name: "Approve this Blender" }));
    await screen.findByText("Blender connected.");
    expect(denyDevice).not.toHaveBeenCalled();
  });

  it("shows the error of the latest click", async () => {
    approveDevice.mockResolvedValue({ error: "approve failed", at: 1 });
    denyDevice.mockResolvedValue({ error: "deny failed", at: 2 });
    render(<ConnectForm initialCode="BCDF-GHJK" email="pro@octane.local" />);
    fireEvent.click(screen.getByRole("button", { name: "Approve this Blender" }));
    await screen.findByText("approve failed");
    fireEvent.click(screen.getByRole("button", { name: "Deny" }));
    await screen.findByText("deny failed");
    expect(screen.queryByText("approve failed")).toBeNull();
  });
});
