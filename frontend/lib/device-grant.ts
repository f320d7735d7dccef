import { edgeMessage, normalizeUserCode, userCodeText, type EdgeOk } from "@/lib/edge";
import { edgeFromBrowser } from "@/lib/edge-browser";
import { Code } from "@/lib/codes";

/**
 * What a pending pairing code would connect, as the edge describes it (POST /v1/devices/lookup);
 * same_network says whether the pairing was started from this browser's address (null: unknown).
 */
export type PendingDevice = EdgeOk<"deviceLookup">;

export type LookupResult = { ok: true; device: PendingDevice } | { ok: false; code: string; message: string };

// Called from the browser, not through a Server Action: the edge compares the address the
// pairing started from with the address of *this* request, which must be the approver's browser.
export async function lookupDevice(rawCode: string, fetchImpl?: typeof fetch): Promise<LookupResult> {
  const code = normalizeUserCode(rawCode);
  if (!code) return { ok: false, code: Code.INVALID_INPUT, message: userCodeText.invalid };
  const res = await edgeFromBrowser<"deviceLookup">("/v1/devices/lookup", { body: { user_code: code }, fetchImpl });
  if (!res.ok) {
    if (res.error.code === Code.NOT_FOUND) {
      return { ok: false, code: Code.NOT_FOUND, message: userCodeText.unknown };
    }
    return { ok: false, code: res.error.code, message: edgeMessage(res.error) };
  }
  return { ok: true, device: res.data };
}

const platformNames: Record<string, string> = {
  blender: "Blender", rhino: "Rhino", sketchup: "SketchUp", revit: "Revit", autocad: "AutoCAD", archicad: "Archicad",
};

export function platformLabel(d: Pick<PendingDevice, "platform" | "platform_version">): string {
  const name = platformNames[d.platform] ?? d.platform;
  return d.platform_version ? `${name} ${d.platform_version}` : name;
}

/** "just now", "3 minutes ago" — from the server's timestamp and the page's clock. */
export function ago(iso: string, now: number = Date.now()): string {
  const s = Math.max(0, Math.round((now - Date.parse(iso)) / 1000));
  if (s < 45) return "just now";
  const m = Math.round(s / 60);
  if (m < 60) return m === 1 ? "1 minute ago" : `${m} minutes ago`;
  const h = Math.round(m / 60);
  return h === 1 ? "1 hour ago" : `${h} hours ago`;
}
