"use client";

import { useState } from "react";
import Link from "next/link";
import { RotateCcw } from "lucide-react";
import { describeImport, isFinal, isOnline, mergeImport, type Device } from "@/lib/import-status";
import type { HistoryRow, ShaderRef } from "@/lib/data/account";
import { startImport } from "@/lib/start-import";
import { resolutionLabel } from "@/lib/resolutions";
import { problemFor, type Problem } from "@/lib/codes";
import { Button } from "@/components/ui/button";
import { ProblemAlert } from "@/components/problem-alert";
import { useUserChannel, LiveDot } from "./use-user-channel";
import { cn } from "@/lib/utils";

type Props = { userId: string; initial: HistoryRow[]; shaderNames: Record<string, ShaderRef>; devices?: Device[] };

export function ImportHistory({ userId, initial, shaderNames, devices = [] }: Props) {
  const [rows, setRows] = useState(initial);
  const [starting, setStarting] = useState<string | null>(null);
  const [problem, setProblem] = useState<Problem | null>(null);
  // A new server render (router.refresh) brings new rows: adopt them (state adjusted while
  // rendering, as React's "You might not need an effect" shows, instead of a second pass).
  const [prevInitial, setPrevInitial] = useState(initial);
  if (initial !== prevInitial) {
    setPrevInitial(initial);
    setRows(initial);
  }
  const live = useUserChannel(userId, {
    import_status: (row) => {
      // The broadcast may not carry the resolution: a row already listed keeps its own.
      setRows((rs) => mergeImport(rs, {
        ...row, created_at: row.created_at ?? new Date().toISOString(), version: row.version ?? "",
        resolution: row.resolution ?? rs.find((x) => x.id === row.id)?.resolution ?? null,
      }));
    },
  });

  // The same shader, version and resolution again, to the same Blender while it is online (else
  // the edge's choice: the default Blender, or the one seen most recently).
  async function importAgain(r: HistoryRow) {
    if (!r.shader_id) return;
    setProblem(null);
    setStarting(r.id);
    const device = devices.find((d) => d.id === r.device_id);
    const res = await startImport({
      shader_id: r.shader_id, version: r.version || undefined, resolution: r.resolution ?? undefined,
      device_id: device && isOnline(device) ? device.id : undefined,
    });
    setStarting(null);
    if (!res.ok) {
      setProblem(problemFor(res.code, res.message));
      return;
    }
    const again: HistoryRow = {
      id: res.import_id, status: (res.status as HistoryRow["status"]) ?? "queued", progress: 0, error_code: null, error_message: null,
      shader_id: r.shader_id, device_id: res.device_id, version: r.version, resolution: r.resolution, created_at: new Date().toISOString(),
      shader: r.shader,
    };
    setRows((rs) => mergeImport(rs, again));
  }

  return (
    <div className="flex flex-col gap-2">
      <div className="flex justify-end"><LiveDot state={live} /></div>
      {rows.length === 0 ? (
        <p className="text-sm text-muted-foreground">No imports yet. Pick a shader in the <Link className="underline" href="/">library</Link> and press Import.</p>
      ) : (
        <ul className="divide-y divide-border text-sm" aria-live="polite">
          {rows.slice(0, 25).map((r) => {
            const v = describeImport(r);
            const s = r.shader ?? (r.shader_id ? shaderNames[r.shader_id] : undefined);
            return (
              <li key={r.id} className="flex flex-wrap items-center gap-3 py-2.5" data-testid="import-row" data-import-id={r.id} data-status={r.status}>
                <span className="min-w-0 flex-1 truncate">
                  {s ? <Link className="font-medium hover:underline" href={`/shaders/${s.slug}`}>{s.name}</Link> : "Shader"}
                  {r.version ? <span className="text-muted-foreground"> v{r.version}</span> : null}
                  {r.resolution ? <span className="text-muted-foreground" data-testid="import-resolution"> · {resolutionLabel(r.resolution)}</span> : null}
                </span>
                <span className={cn("text-xs", v.tone === "error" && "text-danger", v.tone === "success" && "text-success", v.tone === "progress" && "text-primary")}>
                  {v.label}
                </span>
                <time className="text-xs text-muted-foreground" dateTime={r.created_at}>{new Date(r.created_at).toLocaleString("en")}</time>
                {s && r.shader_id && isFinal(r.status) ? (
                  <Button
                    variant="outline" size="sm" onClick={() => importAgain(r)} disabled={starting !== null}
                    aria-label={`Import ${s.name}${r.version ? ` v${r.version}` : ""}${r.resolution ? ` at ${resolutionLabel(r.resolution)}` : ""} again`}
                  >
                    <RotateCcw className="h-3.5 w-3.5" aria-hidden />
                    {starting === r.id ? "Starting…" : "Import again"}
                  </Button>
                ) : null}
              </li>
            );
          })}
        </ul>
      )}
      {problem ? <ProblemAlert problem={problem} /> : null}
    </div>
  );
}
