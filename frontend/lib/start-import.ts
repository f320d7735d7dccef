import { z } from "zod";
import { edgeMessage } from "@/lib/edge";
import { edgeFromBrowser } from "@/lib/edge-browser";
import { Code } from "@/lib/codes";
import type { ImportRow } from "@/lib/import-status";

// Import is posted to the edge straight from the browser (lib/edge-browser.ts): it is the click an
// artist waits on, and a Server Action would add a hop through the site and a token check there
// (docs/decisions.md, "Web app"). The edge accepts only this site's origin (CORS) and checks the
// user's token itself.

const input = z.object({
  shader_id: z.uuid(),
  device_id: z.uuid().optional(),
  instance_id: z.uuid().optional(),
  version: z.string().regex(/^[0-9]+\.[0-9]+\.[0-9]+$/).optional(),
  // A texture set of the version (package format v2); without it the edge picks the account's default.
  resolution: z.string().regex(/^[1-9][0-9]?k$/).optional(),
});

export type StartImportResult =
  | { ok: true; import_id: string; status: string; device_id: string }
  | { ok: false; code: string; message: string };

/** Asks the edge to queue an import; the edge checks entitlement and device ownership. */
export async function startImport(
  raw: { shader_id: string; device_id?: string; instance_id?: string; version?: string; resolution?: string },
  fetchImpl?: typeof fetch,
): Promise<StartImportResult> {
  const parsed = input.safeParse(raw);
  if (!parsed.success) return { ok: false, code: Code.INVALID_INPUT, message: "Choose a device and try again." };
  const res = await edgeFromBrowser<"createImport">("/v1/imports", {
    body: parsed.data,
    fetchImpl,
  });
  if (!res.ok) return { ok: false, code: res.error.code, message: edgeMessage(res.error) };
  return { ok: true, import_id: res.data.import_id, status: res.data.status, device_id: res.data.device_id };
}

export type CancelImportResult = { ok: true; row: ImportRow } | { ok: false; code: string; message: string };

/** Cancels an import until Blender has it; the edge tells the Blender, whose bridge stops the download. */
export async function cancelImport(id: string, fetchImpl?: typeof fetch): Promise<CancelImportResult> {
  if (!z.uuid().safeParse(id).success) return { ok: false, code: Code.INVALID_INPUT, message: "That import cannot be cancelled." };
  const res = await edgeFromBrowser<"cancelImport">(`/v1/imports/${id}/cancel`, { method: "POST", fetchImpl });
  if (!res.ok) return { ok: false, code: res.error.code, message: edgeMessage(res.error) };
  const d = res.data;
  return { ok: true, row: { id: d.id, status: d.status, progress: d.progress, error_code: d.error_code, error_message: d.error_message, updated_at: d.updated_at } };
}
