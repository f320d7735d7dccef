"use client";

import { useActionState } from "react";
import { Button } from "@/components/ui/button";
import { Label } from "@/components/ui/label";
import { Select } from "@/components/ui/select";
import { Alert } from "@/components/ui/alert";
import { saveSettings } from "@/lib/actions/account";
import type { Settings } from "@/lib/data/account";
import type { Device } from "@/lib/import-status";

const resolutions = [
  { value: "1k", label: "1K — fastest download" },
  { value: "2k", label: "2K — balanced" },
  { value: "4k", label: "4K — most detail" },
] as const;

const emails = [
  { name: "import_failed", label: "An import failed" },
  { name: "billing", label: "Payments and my subscription" },
  { name: "product_news", label: "New shaders and features (occasionally)" },
] as const;

/** The account's settings (GET/PUT /v1/settings): default resolution, default Blender, e-mails. */
export function SettingsForm({ settings, devices }: { settings: Settings; devices: Device[] }) {
  const [state, save, saving] = useActionState(saveSettings, undefined);
  // A default Blender that was revoked meanwhile is cleared by the database; show what is left.
  const current = devices.some((d) => d.id === settings.default_device_id) ? (settings.default_device_id ?? "") : "";
  return (
    <form action={save} className="flex flex-col gap-4" data-testid="settings-form">
      <div className="grid gap-4 sm:grid-cols-2">
        <div className="flex flex-col gap-1.5">
          <Label htmlFor="default-resolution">Texture resolution</Label>
          <Select id="default-resolution" name="default_resolution" defaultValue={settings.default_resolution}>
            {resolutions.map((r) => <option key={r.value} value={r.value}>{r.label}</option>)}
          </Select>
        </div>
        <div className="flex flex-col gap-1.5">
          <Label htmlFor="default-device">Import into</Label>
          <Select id="default-device" name="default_device_id" defaultValue={current}>
            <option value="">The Blender seen most recently</option>
            {devices.map((d) => <option key={d.id} value={d.id}>{d.name}</option>)}
          </Select>
        </div>
      </div>
      <fieldset className="flex flex-col gap-1.5 text-sm">
        <legend className="mb-1 text-sm font-medium">E-mail me when</legend>
        {emails.map((e) => (
          <label key={e.name} className="flex items-center gap-2">
            <input type="checkbox" name={e.name} defaultChecked={settings.notifications[e.name]} /> {e.label}
          </label>
        ))}
      </fieldset>
      <div className="flex items-center gap-3">
        <Button disabled={saving}>Save settings</Button>
        {state?.ok ? <span className="text-sm text-muted-foreground" role="status">{state.ok}</span> : null}
      </div>
      {state?.error ? <Alert tone="error">{state.error}</Alert> : null}
    </form>
  );
}
