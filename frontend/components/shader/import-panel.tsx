"use client";

import { useEffect, useRef, useState, useTransition } from "react";
import Link from "next/link";
import { Download, CheckCircle2, AlertTriangle, Loader2, X } from "lucide-react";
import { Button, buttonVariants } from "@/components/ui/button";
import { Select } from "@/components/ui/select";
import { Alert } from "@/components/ui/alert";
import { ProblemAlert } from "@/components/problem-alert";
import {
  blenderLabel, describeImport, isBlenderOnline, isFinal, mergeImport, parseTarget, pickTarget, rememberImport, targetGroups, targetValue,
  type Blender, type Device, type ImportRow,
} from "@/lib/import-status";
import { readImport } from "@/lib/browser-data";
import { useUserChannel } from "@/components/account/use-user-channel";
import { cancelImport, startImport } from "@/lib/start-import";
import { problemFor, type Problem } from "@/lib/codes";
import { saveDefaultResolution } from "@/lib/actions/account";
import { formatBytes } from "@/lib/catalog";
import { defaultResolution, isSavedResolution, resolutionLabel, type Textures } from "@/lib/resolutions";
import { cn } from "@/lib/utils";

type Props = {
  shaderId: string;
  shaderName: string;
  version: string | null;
  userId: string;
  devices: Device[];
  /** The Blenders running on those devices (several may share one machine). */
  blenders?: Blender[];
  /** ?device=: "<device id>" or "<device id>.<Blender id>" (the add-on's Browse Shader Library). */
  requestedDevice: string | null;
  entitled: boolean;
  /** The version's textures: a choice of resolutions (v2), the v1 package's own, or none. */
  textures?: Textures;
  /** The account's saved default resolution (GET /v1/settings), if known. */
  preferredResolution?: string | null;
};

const RECHECK_MS = 4_000;
/** Until Blender has it, an import can be cancelled. */
const CANCELLABLE = new Set<ImportRow["status"]>(["queued", "redeemed", "downloading", "verifying"]);

/** A state update that merges row into the current import when it is that import. */
const mergeInto = (row: ImportRow) => (cur: ImportRow | null) => (cur && row.id === cur.id ? mergeImport([cur], row)[0]! : cur);

export function ImportPanel({
  shaderId, shaderName, version, userId, devices, blenders = [], requestedDevice, entitled, textures = { kind: "none" }, preferredResolution = null,
}: Props) {
  const [now] = useState(() => Date.now());
  const [deviceList, setDeviceList] = useState(devices);
  const [blenderList, setBlenderList] = useState(blenders);
  const [target, setTarget] = useState(() => pickTarget(targetGroups(devices, blenders, requestedDevice, now), requestedDevice));
  // The chosen Blender stays listed when it goes offline (its import waits for it).
  const groups = targetGroups(deviceList, blenderList, target, now);
  const [cancelling, setCancelling] = useState(false);
  const [current, setCurrent] = useState<ImportRow | null>(null);
  const [problem, setProblem] = useState<Problem | null>(null);
  const [pending, startTransition] = useTransition();
  const choices = textures.kind === "sets" ? textures.choices : [];
  const [resolution, setResolution] = useState(() => defaultResolution(choices.map((c) => c.resolution), preferredResolution));
  const [saved, setSaved] = useState<{ ok?: string; error?: string } | null>(null);
  // The account's default as last saved (from this page too), so each change is saved once.
  const [savedDefault, setSavedDefault] = useState(preferredResolution);

  // Status events can overtake the answer to our own request (a cached package is done in tens
  // of milliseconds), so every event is remembered and merged in once the import id is known.
  const seen = useRef(new Map<string, ImportRow>());
  useUserChannel(userId, {
    import_status: (row) => {
      rememberImport(seen.current, row);
      setCurrent(mergeInto(row));
    },
    device_status: (p) => {
      if (p.instance_id) {
        // One Blender of the machine came online, went offline or opened another file.
        const b: Blender = {
          id: p.instance_id, device_id: p.device_id, blend_file: p.blend_file ?? "", blender_version: p.blender_version ?? "",
          last_seen_at: p.online ? new Date().toISOString() : (p.last_seen_at ?? new Date(0).toISOString()),
          stopped_at: p.online ? null : new Date().toISOString(),
        };
        setBlenderList((bs) => [b, ...bs.filter((x) => x.id !== b.id)]);
      }
      if (p.online) setDeviceList((ds) => ds.map((d) => (d.id === p.device_id ? { ...d, last_seen_at: new Date().toISOString() } : d)));
      else if (!p.instance_id) setDeviceList((ds) => ds.map((d) => (d.id === p.device_id ? { ...d, last_seen_at: p.last_seen_at } : d)));
    },
  });

  // A broadcast can still be lost (a reconnect of the page's socket): while the import runs, the
  // row itself is read every few seconds, so the status never sticks.
  const runningId = current && !isFinal(current.status) ? current.id : null;
  useEffect(() => {
    if (!runningId) return;
    const t = setInterval(async () => {
      const row = await readImport(runningId);
      if (row) setCurrent(mergeInto(row));
    }, RECHECK_MS);
    return () => clearInterval(t);
  }, [runningId]);

  const view = current ? describeImport(current) : null;
  const busy = pending || (current !== null && !isFinal(current.status));
  const chosen = parseTarget(target);
  const group = groups.find((g) => g.device.id === chosen.device_id);
  const chosenBlender = chosen.instance_id ? blenderList.find((b) => b.id === chosen.instance_id) : undefined;
  const offline = group ? (chosenBlender ? !isBlenderOnline(chosenBlender, now) : !group.online) : false;

  function onImport() {
    setProblem(null);
    startTransition(async () => {
      const res = await startImport({
        shader_id: shaderId, device_id: chosen.device_id, instance_id: chosen.instance_id, version: version ?? undefined, resolution: resolution ?? undefined,
      });
      if (!res.ok) {
        setProblem(problemFor(res.code, res.message));
        return;
      }
      const started: ImportRow = { id: res.import_id, status: (res.status as ImportRow["status"]) ?? "queued", progress: 0, error_code: null, error_message: null };
      const early = seen.current.get(res.import_id);
      setCurrent(early ? mergeImport([started], early)[0]! : started);
    });
  }

  // A pick is remembered as the account's default (the settings hold 1k, 2k and 4k).
  async function onResolution(r: string) {
    setResolution(r);
    setSaved(null);
    if (!isSavedResolution(r) || r === savedDefault) return;
    const res = (await saveDefaultResolution(r)) ?? null;
    if (res?.ok) setSavedDefault(r);
    setSaved(res);
  }

  async function onCancel() {
    if (!current) return;
    setProblem(null);
    setCancelling(true);
    const res = await cancelImport(current.id);
    setCancelling(false);
    if (!res.ok) {
      setProblem(problemFor(res.code, res.message));
      return;
    }
    rememberImport(seen.current, res.row);
    setCurrent(mergeInto(res.row));
  }

  if (!entitled) {
    return (
      <div className="flex flex-col gap-3 rounded-xl border border-primary/40 bg-primary/5 p-5" data-testid="paywall">
        <p className="font-medium">{shaderName} is a Pro shader</p>
        <p className="text-sm text-muted-foreground">Subscribe to import every shader in the library into Blender. Free shaders stay free.</p>
        <Link href="/account#subscription" className={buttonVariants({ size: "lg" })}>Subscribe to import</Link>
      </div>
    );
  }

  return (
    <div className="flex flex-col gap-4 rounded-xl border border-border bg-card p-5 shadow-sm">
      {groups.length > 0 ? (
        <div className="flex flex-col gap-1.5">
          <label htmlFor="device" className="text-xs font-medium text-muted-foreground">Import into</label>
          <Select id="device" value={target} onChange={(e) => setTarget(e.target.value)} disabled={busy} className="w-full">
            {groups.map((g) =>
              g.blenders.length === 0 ? (
                <option key={g.device.id} value={g.device.id}>
                  {g.online ? "● " : "○ "}{g.device.name}{g.online ? " — online" : " — offline"}
                </option>
              ) : (
                // One machine, several Blenders: each by its open file and version.
                <optgroup key={g.device.id} label={`${g.device.name}${g.online ? "" : " — offline"}`}>
                  {g.blenders.map((b) => (
                    <option key={b.id} value={targetValue(g.device.id, b.id)}>
                      {isBlenderOnline(b, now) ? "● " : "○ "}{blenderLabel(b)}{isBlenderOnline(b, now) ? " — online" : " — offline"}
                    </option>
                  ))}
                </optgroup>
              ),
            )}
          </Select>
          {offline ? (
            <p className="text-xs text-muted-foreground">
              {chosenBlender ? "This Blender is offline. The import waits up to 15 minutes for it to come back." : "This Blender is offline. The import waits up to 15 minutes for it to open."}
            </p>
          ) : null}
        </div>
      ) : (
        <Alert>
          No Blender connected yet. <Link href="/help" className="underline">Install the add-on</Link> and press Connect in its panel.
        </Alert>
      )}
      {textures.kind === "sets" ? (
        <fieldset className="flex flex-col gap-1.5" disabled={busy} data-testid="resolution-picker">
          <legend className="mb-1.5 text-xs font-medium text-muted-foreground">Texture resolution</legend>
          <div className="grid grid-cols-2 gap-2 sm:grid-cols-3">
            {textures.choices.map((c) => (
              <label
                key={c.resolution}
                className={cn(
                  "flex cursor-pointer flex-col rounded-lg border border-border px-3 py-2 text-sm has-[:checked]:border-primary has-[:checked]:bg-primary/5 has-[:focus-visible]:ring-2 has-[:focus-visible]:ring-ring",
                  busy && "cursor-not-allowed opacity-60",
                )}
              >
                <input type="radio" name="resolution" value={c.resolution} checked={resolution === c.resolution} onChange={() => onResolution(c.resolution)} className="sr-only" />
                <span className="font-medium">{resolutionLabel(c.resolution)}</span>
                <span className="text-xs text-muted-foreground" data-testid="download-size">{formatBytes(c.download)}</span>
              </label>
            ))}
          </div>
          {saved?.ok ? <p className="text-xs text-muted-foreground" role="status">{saved.ok}</p> : null}
          {saved?.error ? <p className="text-xs text-danger" role="alert">{saved.error}</p> : null}
        </fieldset>
      ) : textures.kind === "fixed" ? (
        <p className="text-sm text-muted-foreground" data-testid="resolution-fixed">
          Textures {textures.resolutions.map(resolutionLabel).join(", ")} — one download of {formatBytes(textures.download)}
        </p>
      ) : null}
      <Button size="lg" onClick={onImport} disabled={busy || groups.length === 0} className="w-full">
        {busy ? <Loader2 className="h-4 w-4 animate-spin" aria-hidden /> : <Download className="h-4 w-4" aria-hidden />}
        {pending ? "Starting…" : current && !isFinal(current.status) ? "Importing…" : current?.status === "done" ? "Import again" : "Import to Blender"}
      </Button>
      {view ? (
        <div role="status" aria-live="polite" className="flex flex-col gap-2" data-testid="import-status" data-status={current?.status}>
          <p className={cn("flex items-center gap-2 text-sm font-medium", view.tone === "error" && "text-danger", view.tone === "success" && "text-success")}>
            {view.tone === "success" ? <CheckCircle2 className="h-4 w-4" aria-hidden /> : view.tone === "error" ? <AlertTriangle className="h-4 w-4" aria-hidden /> : null}
            {view.label}
          </p>
          {view.tone === "progress" ? (
            <div
              className="h-1.5 overflow-hidden rounded-full bg-muted"
              role="progressbar"
              aria-label="Import progress"
              aria-valuemin={0}
              aria-valuemax={100}
              aria-valuenow={view.percent ?? undefined}
            >
              <div
                className={cn("h-full rounded-full bg-primary transition-[width] duration-300", view.percent === null && "w-1/3 animate-pulse")}
                style={view.percent !== null ? { width: `${Math.max(view.percent, 3)}%` } : undefined}
              />
            </div>
          ) : null}
          {view.hint ? <p className="text-sm text-muted-foreground">{view.hint}</p> : null}
          {current && CANCELLABLE.has(current.status) ? (
            <Button variant="outline" size="sm" onClick={onCancel} disabled={cancelling} className="self-start">
              <X className="h-4 w-4" aria-hidden />
              {cancelling ? "Cancelling…" : "Cancel import"}
            </Button>
          ) : null}
          {current?.status === "cancelled" ? (
            <p className="text-sm text-muted-foreground">Nothing was added to your scene. A partly downloaded package is kept, so importing again resumes it.</p>
          ) : null}
          {current?.status === "done" ? <p className="text-sm text-muted-foreground">The material is on your selected objects in Blender (one undo step).</p> : null}
        </div>
      ) : null}
      {problem ? <ProblemAlert problem={problem} /> : null}
    </div>
  );
}
