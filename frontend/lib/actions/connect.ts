"use server";

import { edgeAsUser } from "@/lib/edge-server";
import { edgeMessage, normalizeUserCode, userCodeText } from "@/lib/edge";
import { Code } from "@/lib/codes";

// `at` orders the two forms' answers, so the page shows the error of the latest click.
export type ApproveState = { error?: string; approved?: string; at?: number } | undefined;
export type DenyState = { error?: string; denied?: string; at?: number } | undefined;

export async function approveDevice(_prev: ApproveState, formData: FormData): Promise<ApproveState> {
  const code = normalizeUserCode(String(formData.get("user_code") ?? ""));
  const at = Date.now();
  if (!code) return { error: userCodeText.invalid, at };
  // Approval is explicit: the form sends the confirmation box only after showing the device.
  if (formData.get("confirm") !== "on") return { error: "Check the device above and confirm it is your own Blender first.", at };
  const res = await edgeAsUser<"deviceApprove">("/v1/devices/approve", { body: { user_code: code } });
  if (!res.ok) {
    if (res.error.code === Code.NOT_FOUND) return { error: userCodeText.unknown, at };
    return { error: edgeMessage(res.error), at };
  }
  return { approved: code };
}

/** Refuses a code the user did not start: the Blender polling for it is told access_denied. */
export async function denyDevice(_prev: DenyState, formData: FormData): Promise<DenyState> {
  const code = normalizeUserCode(String(formData.get("user_code") ?? ""));
  const at = Date.now();
  if (!code) return { error: userCodeText.invalid, at };
  const res = await edgeAsUser<"deviceDeny">("/v1/devices/deny", { body: { user_code: code } });
  if (!res.ok) {
    if (res.error.code === Code.NOT_FOUND) return { error: userCodeText.unknown, at };
    return { error: edgeMessage(res.error), at };
  }
  return { denied: code };
}
