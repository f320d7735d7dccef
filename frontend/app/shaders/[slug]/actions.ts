"use server";

import { z } from "zod";
import { edgeAsUser } from "@/lib/edge-server";
import { edgeMessage } from "@/lib/edge";

const input = z.object({
  shader_id: z.uuid(),
  device_id: z.uuid().optional(),
  version: z.string().regex(/^[0-9]+\.[0-9]+\.[0-9]+$/).optional(),
});

export type StartImportResult =
  | { ok: true; import_id: string; status: string; device_id: string }
  | { ok: false; code: string; message: string };

/** Asks the edge to queue an import; the edge checks entitlement and device ownership. */
export async function startImport(raw: { shader_id: string; device_id?: string; version?: string }): Promise<StartImportResult> {
  const parsed = input.safeParse(raw);
  if (!parsed.success) return { ok: false, code: "INVALID_INPUT", message: "Choose a device and try again." };
  const res = await edgeAsUser<{ import_id: string; status: string; device_id: string }>("/v1/imports", { body: parsed.data });
  if (!res.ok) return { ok: false, code: res.error.code, message: edgeMessage(res.error) };
  return { ok: true, import_id: res.data.import_id, status: res.data.status ?? "queued", device_id: res.data.device_id };
}
