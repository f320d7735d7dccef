"use client";

import { useEffect, useRef, useState } from "react";
import { createClient } from "@/lib/supabase/client";

export type UserEvents = {
  import_status?: (p: Record<string, unknown>) => void;
  device_status?: (p: { device_id: string; online: boolean; last_seen_at: string | null }) => void;
  subscription?: (p: { status: string }) => void;
};

export type ChannelState = "connecting" | "live" | "offline";

/** Subscribes to the private Realtime topic user:<uid> (fed by database triggers). */
export function useUserChannel(userId: string, handlers: UserEvents): ChannelState {
  const [state, setState] = useState<ChannelState>("connecting");
  const ref = useRef(handlers);
  ref.current = handlers;
  useEffect(() => {
    const supabase = createClient();
    let cancelled = false;
    let channel: ReturnType<typeof supabase.channel> | null = null;
    (async () => {
      await supabase.realtime.setAuth();
      if (cancelled) return;
      channel = supabase
        .channel(`user:${userId}`, { config: { private: true } })
        .on("broadcast", { event: "import_status" }, (m) => ref.current.import_status?.(m.payload as Record<string, unknown>))
        .on("broadcast", { event: "device_status" }, (m) => ref.current.device_status?.(m.payload as never))
        .on("broadcast", { event: "subscription" }, (m) => ref.current.subscription?.(m.payload as never))
        .subscribe((status) => {
          if (status === "SUBSCRIBED") setState("live");
          else if (status === "CHANNEL_ERROR" || status === "TIMED_OUT" || status === "CLOSED") setState("offline");
        });
    })().catch(() => setState("offline"));
    return () => {
      cancelled = true;
      if (channel) void supabase.removeChannel(channel);
    };
  }, [userId]);
  return state;
}

export function LiveDot({ state }: { state: ChannelState }) {
  const label = state === "live" ? "Live" : state === "connecting" ? "Connecting…" : "Live updates paused";
  const color = state === "live" ? "bg-success" : state === "connecting" ? "bg-accent" : "bg-muted-foreground";
  return (
    <span className="inline-flex items-center gap-1.5 text-xs text-muted-foreground" role="status">
      <span aria-hidden className={`h-2 w-2 rounded-full ${color}`} />
      {label}
    </span>
  );
}
