"use client";

import { createContext, useContext, useEffect, useRef, useState } from "react";
import { openUserChannel, type ChannelState, type UserEvent, type UserEventPayloads } from "@/lib/browser-data";

export type { ChannelState } from "@/lib/browser-data";
export type UserEvents = { [E in UserEvent]?: (p: UserEventPayloads[E]) => void };

type Dispatch = <E extends UserEvent>(event: E, payload: UserEventPayloads[E]) => void;
type Hub = { state: ChannelState; listen: (h: { current: UserEvents }) => () => void };

const HubContext = createContext<Hub | null>(null);

const call = <E extends UserEvent>(h: UserEvents, event: E, payload: UserEventPayloads[E]) =>
  (h[event] as ((p: UserEventPayloads[E]) => void) | undefined)?.(payload);

/** Opens the private Realtime topic user:<uid> (fed by database triggers) and fans events out. */
function useChannel(userId: string, enabled: boolean, dispatch: Dispatch): ChannelState {
  const [state, setState] = useState<ChannelState>("connecting");
  const dispatchRef = useRef(dispatch);
  useEffect(() => {
    dispatchRef.current = dispatch;
  });
  useEffect(() => {
    if (!enabled) return;
    return openUserChannel(userId, (ev, payload) => dispatchRef.current(ev, payload), setState);
  }, [userId, enabled]);
  return state;
}

/** One subscription for every live panel below it (several channels on one topic would clash). */
export function UserChannelProvider({ userId, children }: { userId: string; children: React.ReactNode }) {
  const listeners = useRef(new Set<{ current: UserEvents }>());
  const state = useChannel(userId, true, (ev, payload) => {
    for (const l of listeners.current) call(l.current, ev, payload);
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
  useEffect(() => {
    ref.current = handlers;
  });
  useEffect(() => (hub ? hub.listen(ref) : undefined), [hub]);
  const own = useChannel(userId, hub === null, (ev, payload) => call(ref.current, ev, payload));
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
