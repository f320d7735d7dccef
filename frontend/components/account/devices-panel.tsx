"use client";

import { useActionState, useEffect, useState } from "react";
import { Monitor } from "lucide-react";
import { Button } from "@/components/ui/button";
import { Input } from "@/components/ui/input";
import { Alert } from "@/components/ui/alert";
import { isOnline, orderDevices, type Device } from "@/lib/import-status";
import { renameDevice, revokeDevice } from "@/lib/actions/account";
import { useUserChannel, LiveDot } from "./use-user-channel";

export function DevicesPanel({ userId, initial }: { userId: string; initial: Device[] }) {
  const [devices, setDevices] = useState(initial);
  const [now, setNow] = useState(() => Date.now());
  // A new server render (after a rename or revoke) brings new rows: adopt them while rendering.
  const [prevInitial, setPrevInitial] = useState(initial);
  if (initial !== prevInitial) {
    setPrevInitial(initial);
    setDevices(initial);
  }
  useEffect(() => {
    const t = setInterval(() => setNow(Date.now()), 15_000);
    return () => clearInterval(t);
  }, []);
  const live = useUserChannel(userId, {
    device_status: (p) =>
      setDevices((ds) =>
        ds.map((d) =>
          d.id === p.device_id
            ? { ...d, last_seen_at: p.online ? new Date().toISOString() : (p.last_seen_at ?? d.last_seen_at) }
            : d,
        ),
      ),
  });
  const list = orderDevices(devices, now);
  return (
    <div className="flex flex-col gap-3">
      <div className="flex justify-end"><LiveDot state={live} /></div>
      {list.length === 0 ? (
        <p className="text-sm text-muted-foreground">
          No Blender connected yet. Install the add-on from <a className="underline" href="/help">Help</a> and click “Connect” in its panel.
        </p>
      ) : (
        <ul className="divide-y divide-border">
          {list.map((d) => <DeviceRow key={d.id} device={d} online={isOnline(d, now) && !isOfflineOverride(d)} />)}
        </ul>
      )}
    </div>
  );
}

// A device_status {online:false} event keeps last_seen_at old, so isOnline already says offline.
const isOfflineOverride = (_d: Device) => false;

function DeviceRow({ device, online }: { device: Device; online: boolean }) {
  const [editing, setEditing] = useState(false);
  const [renameState, rename, renaming] = useActionState(renameDevice, undefined);
  const [revokeState, revoke, revoking] = useActionState(revokeDevice, undefined);
  // A successful rename closes the editor (once per answer of the action).
  const [prevRename, setPrevRename] = useState(renameState);
  if (renameState !== prevRename) {
    setPrevRename(renameState);
    if (renameState?.ok) setEditing(false);
  }
  return (
    <li className="flex flex-col gap-2 py-3" data-testid="device-row">
      <div className="flex items-center gap-3">
        <Monitor className="h-5 w-5 text-muted-foreground" aria-hidden />
        <div className="min-w-0 flex-1">
          <p className="truncate font-medium">{device.name}</p>
          <p className="text-xs text-muted-foreground">
            {device.platform}{device.os ? ` · ${device.os}` : ""} ·{" "}
            {device.last_seen_at ? `last seen ${new Date(device.last_seen_at).toLocaleString("en")}` : "never seen"}
          </p>
        </div>
        <span className={`inline-flex items-center gap-1.5 text-xs ${online ? "text-success" : "text-muted-foreground"}`}>
          <span aria-hidden className={`h-2 w-2 rounded-full ${online ? "bg-success" : "bg-muted-foreground/50"}`} />
          {online ? "Online" : "Offline"}
        </span>
        <Button variant="ghost" size="sm" onClick={() => setEditing((e) => !e)} aria-expanded={editing}>Rename</Button>
        <form action={revoke} onSubmit={(e) => { if (!confirm(`Disconnect “${device.name}”? It will need to be connected again.`)) e.preventDefault(); }}>
          <input type="hidden" name="device_id" value={device.id} />
          <Button variant="outline" size="sm" disabled={revoking}>Revoke</Button>
        </form>
      </div>
      {editing ? (
        <form action={rename} className="flex gap-2 pl-8">
          <input type="hidden" name="device_id" value={device.id} />
          <label className="sr-only" htmlFor={`name-${device.id}`}>Device name</label>
          <Input id={`name-${device.id}`} name="name" defaultValue={device.name} maxLength={80} required className="max-w-xs" />
          <Button size="sm" disabled={renaming}>Save</Button>
        </form>
      ) : null}
      {renameState?.error || revokeState?.error ? <Alert tone="error">{renameState?.error ?? revokeState?.error}</Alert> : null}
    </li>
  );
}
