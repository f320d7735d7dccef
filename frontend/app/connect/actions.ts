"use server";

import { edgeAsUser } from "@/lib/edge-server";
import { edgeMessage, normalizeUserCode } from "@/lib/edge";

export type ApproveState = { error?: string; approved?: string } | undefined;
export type DenyState = { error?: string; denied?: string } | undefined;

const badCode = "That is not a valid code. It looks like BCDF-GHJK (8 letters).";
const unknownCode = "This code is unknown or has expired. Start connecting again in Blender.";

export async function approveDevice(_prev: ApproveState, formData: FormData): Promise<ApproveState> {
  const code = normalizeUserCode(String(formData.get("user_code") ?? ""));
  if (!code) return { error: badCode };
  const res = await edgeAsUser("/v1/devices/approve", { body: { user_code: code } });
  if (!res.ok) {
    if (res.error.code === "NOT_FOUND") return { error: unknownCode };
    return { error: edgeMessage(res.error) };
  }
  return { approved: code };
}

/** Refuses a code the user did not start: the Blender polling for it is told access_denied. */
export async function denyDevice(_prev: DenyState, formData: FormData): Promise<DenyState> {
  const code = normalizeUserCode(String(formData.get("user_code") ?? ""));
  if (!code) return { error: badCode };
  const res = await edgeAsUser("/v1/devices/deny", { body: { user_code: code } });
  if (!res.ok) {
    if (res.error.code === "NOT_FOUND") return { error: unknownCode };
    return { error: edgeMessage(res.error) };
  }
  return { denied: code };
}
