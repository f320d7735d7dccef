"use server";

import { edgeAsUser } from "@/lib/edge-server";
import { edgeMessage, normalizeUserCode } from "@/lib/edge";

export type ApproveState = { error?: string; approved?: string } | undefined;

export async function approveDevice(_prev: ApproveState, formData: FormData): Promise<ApproveState> {
  const code = normalizeUserCode(String(formData.get("user_code") ?? ""));
  if (!code) return { error: "That is not a valid code. It looks like BCDF-GHJK (8 letters)." };
  const res = await edgeAsUser("/v1/devices/approve", { body: { user_code: code } });
  if (!res.ok) {
    if (res.error.code === "NOT_FOUND") return { error: "This code is unknown or has expired. Start connecting again in Blender." };
    return { error: edgeMessage(res.error) };
  }
  return { approved: code };
}
