// What the Import button shows for each state of an import, in words an artist understands.

export type ImportStatus =
  | "queued" | "redeemed" | "downloading" | "verifying" | "importing"
  | "done" | "failed" | "expired" | "cancelled";

export interface ImportState {
  id: string;
  status: ImportStatus;
  progress: number;
  error_code: string | null;
  error_message: string | null;
}

export interface StatusView {
  label: string;
  detail?: string;
  tone: "busy" | "ok" | "error";
  progress?: number; // 0..100 while downloading
  final: boolean;
}

const FAILURE_HELP: Record<string, string> = {
  SUBSCRIPTION_REQUIRED: "This shader needs an active subscription. Subscribe from your account page, then import again.",
  DEVICE_REVOKED: "This Blender was disconnected from your account. Connect it again from the add-on's preferences.",
  EXPIRED: "Blender did not pick the import up in time. Make sure Blender is open with the add-on connected, then try again.",
  CHECKSUM_MISMATCH: "The download was damaged and was discarded. Try again; if it keeps happening, contact support.",
  SIGNATURE_INVALID: "The package could not be verified and was not opened. Contact support.",
};

export function describeStatus(s: ImportState): StatusView {
  switch (s.status) {
    case "queued":
      return { label: "Waiting for Blender…", detail: "Blender picks the import up as soon as it is online.", tone: "busy", final: false };
    case "redeemed":
      return { label: "Preparing…", tone: "busy", final: false };
    case "downloading":
      return { label: `Downloading ${Math.round(s.progress)}%`, tone: "busy", progress: s.progress, final: false };
    case "verifying":
      return { label: "Verifying…", tone: "busy", final: false };
    case "importing":
      return { label: "Importing into Blender…", tone: "busy", final: false };
    case "done":
      return { label: "Imported", detail: "The material is on your selection in Blender.", tone: "ok", final: true };
    case "expired":
      return { label: "Expired", detail: FAILURE_HELP.EXPIRED, tone: "error", final: true };
    case "cancelled":
      return { label: "Cancelled", detail: s.error_code ? FAILURE_HELP[s.error_code] : undefined, tone: "error", final: true };
    case "failed":
      return {
        label: "Import failed",
        detail: (s.error_code && FAILURE_HELP[s.error_code]) || s.error_message || "Something went wrong. Try again.",
        tone: "error",
        final: true,
      };
  }
}

// Applies a realtime update unless it is older than what is shown (messages may arrive out of
// order; the status only moves forward and progress only grows within a status).
const ORDER: ImportStatus[] = ["queued", "redeemed", "downloading", "verifying", "importing", "done"];
export function applyUpdate(current: ImportState | null, update: ImportState): ImportState {
  if (!current || current.id !== update.id) return update;
  const finals: ImportStatus[] = ["done", "failed", "expired", "cancelled"];
  if (finals.includes(current.status)) return current;
  if (finals.includes(update.status)) return update;
  const a = ORDER.indexOf(current.status);
  const b = ORDER.indexOf(update.status);
  if (b < a) return current;
  if (b === a && update.progress < current.progress) return current;
  return update;
}
