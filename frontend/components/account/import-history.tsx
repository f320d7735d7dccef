"use client";

import { useState } from "react";
import Link from "next/link";
import { describeImport, mergeImport } from "@/lib/import-status";
import type { HistoryRow, ShaderRef } from "@/lib/data/account";
import { useUserChannel, LiveDot } from "./use-user-channel";
import { cn } from "@/lib/utils";

export function ImportHistory({ userId, initial, shaderNames }: { userId: string; initial: HistoryRow[]; shaderNames: Record<string, ShaderRef> }) {
  const [rows, setRows] = useState(initial);
  // A new server render (router.refresh) brings new rows: adopt them (state adjusted while
  // rendering, as React's "You might not need an effect" shows, instead of a second pass).
  const [prevInitial, setPrevInitial] = useState(initial);
  if (initial !== prevInitial) {
    setPrevInitial(initial);
    setRows(initial);
  }
  const live = useUserChannel(userId, {
    import_status: (row) => {
      setRows((rs) => mergeImport(rs, { ...row, created_at: row.created_at ?? new Date().toISOString(), version: row.version ?? "" }));
    },
  });
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
              <li key={r.id} className="flex flex-wrap items-center gap-3 py-2.5" data-testid="import-row">
                <span className="min-w-0 flex-1 truncate">
                  {s ? <Link className="font-medium hover:underline" href={`/shaders/${s.slug}`}>{s.name}</Link> : "Shader"}
                  {r.version ? <span className="text-muted-foreground"> v{r.version}</span> : null}
                </span>
                <span className={cn("text-xs", v.tone === "error" && "text-danger", v.tone === "success" && "text-success", v.tone === "progress" && "text-primary")}>
                  {v.label}
                </span>
                <time className="text-xs text-muted-foreground" dateTime={r.created_at}>{new Date(r.created_at).toLocaleString("en")}</time>
              </li>
            );
          })}
        </ul>
      )}
    </div>
  );
}
