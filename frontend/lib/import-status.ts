import { Code, importRemedy } from "@/lib/codes";

export const importStatuses = [
  "queued", "redeemed", "downloading", "verifying", "importing", "done", "failed", "expired", "cancelled",
] as const;
export type ImportStatus = (typeof importStatuses)[number];

export type ImportRow = {
  id: string;
  status: ImportStatus;
  progress: number;
  error_code: string | null;
  error_message: string | null;
  shader_id?: string;
  device_id?: string;
  updated_at?: string;
};

export const isFinal = (s: ImportStatus) => s === "done" || s === "failed" || s === "expired" || s === "cancelled";

export type StatusView = {
  label: string;
  tone: "neutral" | "progress" | "success" | "error";
  /** 0..100 when a bar makes sense. */
  percent: number | null;
  hint?: string;
};

// What the artist should do next, per failure code: the "web" sentence of schemas/codes.json.
export function remedyFor(code: string | null | undefined): string {
  return importRemedy(code) ?? "Try again. If it keeps failing, check the Octane Bridge panel in Blender.";
}

export function describeImport(row: Pick<ImportRow, "status" | "progress" | "error_code" | "error_message">): StatusView {
  const pct = Math.max(0, Math.min(100, Math.round(row.progress ?? 0)));
  switch (row.status) {
    case "queued":
      return { label: "Queued — waiting for Blender", tone: "progress", percent: null };
    case "redeemed":
      return { label: "Starting download", tone: "progress", percent: 0 };
    case "downloading":
      return { label: `Downloading ${pct}%`, tone: "progress", percent: pct };
    case "verifying":
      return { label: "Verifying package", tone: "progress", percent: pct || 100 };
    case "importing":
      return { label: "Importing into Blender", tone: "progress", percent: null };
    case "done":
      return { label: "Imported", tone: "success", percent: 100 };
    case "failed":
      return {
        label: "Failed" + (row.error_message ? `: ${row.error_message}` : ""),
        tone: "error",
        percent: null,
        hint: remedyFor(row.error_code),
      };
    case "expired":
      return {
        label: "Expired — Blender did not pick it up in time",
        tone: "error",
        percent: null,
        hint: remedyFor(Code.EXPIRED),
      };
    case "cancelled":
      return { label: "Cancelled", tone: "neutral", percent: null };
  }
}

/** Applies a Realtime import_status payload to a list, newest state wins (events may arrive out of order). */
/** The columns of public.imports the web app shows (RLS: the owner's rows only). */
export const IMPORT_COLUMNS = "id, status, progress, error_code, error_message, shader_id, device_id, updated_at";

/** Keeps the newest event of each of the last `max` imports (events that arrive before their id is known). */
export function rememberImport(seen: Map<string, ImportRow>, row: ImportRow, max = 50): void {
  const prev = seen.get(row.id);
  seen.delete(row.id);
  seen.set(row.id, prev ? mergeImport([prev], row)[0]! : row);
  if (seen.size > max) seen.delete(seen.keys().next().value!);
}

export function mergeImport<T extends ImportRow>(list: T[], incoming: T): T[] {
  const i = list.findIndex((r) => r.id === incoming.id);
  if (i === -1) return [incoming, ...list];
  const cur = list[i]!;
  if (cur.updated_at && incoming.updated_at && incoming.updated_at < cur.updated_at) return list;
  if (isFinal(cur.status) && !isFinal(incoming.status)) return list;
  const next = list.slice();
  next[i] = { ...cur, ...incoming };
  return next;
}

export type Device = {
  id: string;
  name: string;
  platform: string;
  os: string | null;
  last_seen_at: string | null;
  revoked_at: string | null;
};

export const ONLINE_WINDOW_MS = 90_000;

export function isOnline(d: Pick<Device, "last_seen_at" | "revoked_at">, now = Date.now()): boolean {
  if (d.revoked_at || !d.last_seen_at) return false;
  return now - Date.parse(d.last_seen_at) < ONLINE_WINDOW_MS;
}

/** Online devices first, then most recently seen; revoked devices are dropped. */
export function orderDevices<T extends Device>(devices: T[], now = Date.now()): T[] {
  return devices
    .filter((d) => !d.revoked_at)
    .sort((a, b) => {
      const oa = isOnline(a, now) ? 1 : 0;
      const ob = isOnline(b, now) ? 1 : 0;
      if (oa !== ob) return ob - oa;
      return (Date.parse(b.last_seen_at ?? "") || 0) - (Date.parse(a.last_seen_at ?? "") || 0);
    });
}

/**
 * One Blender running on a device (public.device_instances, announced by its bridge): several
 * Blenders on one machine share its pairing, and each is its own import target.
 */
export type Blender = {
  id: string;
  device_id: string;
  blend_file: string;
  blender_version: string;
  last_seen_at: string;
  stopped_at: string | null;
};

export const isBlenderOnline = (b: Pick<Blender, "last_seen_at" | "stopped_at">, now = Date.now()) =>
  !b.stopped_at && now - Date.parse(b.last_seen_at) < ONLINE_WINDOW_MS;

/** ?device= as the site accepts it: a device id, or a device id and one of its Blenders' ids. */
export const DEVICE_PARAM = /^[0-9a-f-]{36}(\.[0-9a-f-]{36})?$/i;

/** An import target as the picker and ?device= spell it: "<device id>" or "<device id>.<Blender id>". */
export const targetValue = (deviceId: string, blenderId?: string | null) => (blenderId ? `${deviceId}.${blenderId}` : deviceId);
export function parseTarget(v: string | null | undefined): { device_id?: string; instance_id?: string } {
  if (!v) return {};
  const [device_id, instance_id] = v.split(".", 2);
  return instance_id ? { device_id, instance_id } : { device_id };
}

/** What tells a Blender apart from the others of its machine, in words. */
export const blenderLabel = (b: Pick<Blender, "blend_file" | "blender_version">) =>
  `${b.blend_file || "Untitled"}${b.blender_version ? ` — Blender ${b.blender_version}` : ""}`;

export type TargetGroup<T extends Device> = {
  device: T;
  online: boolean;
  /** The machine's running Blenders (and the one asked for); empty: the machine itself is the target. */
  blenders: Blender[];
};

/**
 * The picker's groups: each device (online first) with its running Blenders, newest first, plus
 * the Blender named in ?device= whatever its state (a bridge restarting keeps its imports).
 */
export function targetGroups<T extends Device>(devices: T[], blenders: Blender[], requested: string | null | undefined, now = Date.now()): TargetGroup<T>[] {
  const asked = parseTarget(requested).instance_id;
  return orderDevices(devices, now).map((device) => {
    const mine = blenders
      .filter((b) => b.device_id === device.id && (isBlenderOnline(b, now) || b.id === asked))
      .sort((a, b) => Date.parse(b.last_seen_at) - Date.parse(a.last_seen_at));
    return { device, online: isOnline(device, now) || mine.some((b) => isBlenderOnline(b, now)), blenders: mine };
  });
}

/** The target to preselect: the one named in ?device= (a Blender, or a machine's first Blender), else the first one listed. */
export function pickTarget<T extends Device>(groups: TargetGroup<T>[], requested: string | null | undefined): string {
  const values = (g: TargetGroup<T>) => (g.blenders.length ? g.blenders.map((b) => targetValue(g.device.id, b.id)) : [g.device.id]);
  const { device_id, instance_id } = parseTarget(requested);
  const group = groups.find((g) => g.device.id === device_id);
  if (group) {
    const v = values(group);
    const exact = instance_id ? targetValue(group.device.id, instance_id) : null;
    return exact && v.includes(exact) ? exact : v[0]!;
  }
  return groups[0] ? values(groups[0])[0]! : "";
}
