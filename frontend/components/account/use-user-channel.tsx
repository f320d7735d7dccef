"use client";

import { createContext, useContext, useEffect, useRef, useState } from "react";
import { createClient } from "@/lib/supabase/client";

export type UserEvents = {
  import_status?: (p: Record<string, unknown>) => void;
  device_status?: (p: { device_id: string; online: boolean; last_seen_at: string | null }) => void;
  subscription?: (p: { status: string }) => void;
};

export type ChannelState = "connecting" | "live" | "offline";
type EventName = keyof UserEvents;
type Hub = { state: ChannelState; listen: (h: { current: UserEvents }) => () => void };

const HubContext = createContext<Hub | null>(null);

/** Opens the private Realtime topic user:<uid> (fed by database triggers) and fans events out. */
function useChannel(userId: string, enabled: boolean, dispatch: (event: EventName, payload: unknown) => void): ChannelState {
  const [state, setState] = useState<ChannelState>("connecting");
  const dispatchRef = useRef(dispatch);
  dispatchRef.current = dispatch;
  useEffect(() => {
    if (!enabled) return;
    const supabase = createClient();
    let cancelled = false;
    let channel: ReturnType<typeof supabase.channel> | null = null;
    (async () => {
      await supabase.realtime.setAuth();
      if (cancelled) return;
      channel = supabase.channel(`user:${userId}`, { config: { private: true } });
      for (const ev of ["import_status", "device_status", "subscription"] as const) {
        channel.on("broadcast", { event: ev }, (m) => dispatchRef.current(ev, m.payload));
      }
      channel.subscribe((status) => {
        if (status === "SUBSCRIBED") setState("live");
        else if (status === "CHANNEL_ERROR" || status === "TIMED_OUT" || status === "CLOSED") setState("offline");
      });
    })().catch(() => setState("offline"));
    return () => {
      cancelled = true;
      if (channel) void supabase.removeChannel(channel);
    };
  }, [userId, enabled]);
  return state;
}

/** One subscription for every live panel below it (several channels on one topic would clash). */
export function UserChannelProvider({ userId, children }: { userId: string; children: React.ReactNode }) {
  const listeners = useRef(new Set<{ current: UserEvents }>());
  const state = useChannel(userId, true, (ev, payload) => {
    for (const l of listeners.current) (l.current[ev] as ((p: unknown) => void) | undefined)?.(payload);
  });
  const hub: Hub = {
    state,
    listen: (h) => {
      listeners.current.add(h);
      return () => listeners.current.delete(h);
    },
  };
  return <HubContext.Provider value={hub}>{children}</HubContext.Provider>;
}

export function useUserChannel(userId: string, handlers: UserEvents): ChannelState {
  const hub = useContext(HubContext);
  const ref = useRef(handlers);
  ref.current = handlers;
  useEffect(() => (hub ? hub.listen(ref) : undefined), [hub]);
  const own = useChannel(userId, hub === null, (ev, payload) => (ref.current[ev] as ((p: unknown) => void) | undefined)?.(payload));
  return hub ? hub.state : own;
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
