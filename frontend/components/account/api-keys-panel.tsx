"use client";

import { useActionState } from "react";
import { Button } from "@/components/ui/button";
import { Input } from "@/components/ui/input";
import { Label } from "@/components/ui/label";
import { Alert } from "@/components/ui/alert";
import { createApiKey, revokeApiKey } from "@/lib/actions/account";
import type { ApiKeyRow } from "@/lib/data/account";
import { personalScopes } from "@/lib/api-key-scopes";
import { OnceVisible } from "./once-visible";

export function ApiKeysPanel({ keys }: { keys: ApiKeyRow[] }) {
  const [state, create, creating] = useActionState(createApiKey, undefined);
  const personal = keys.filter((k) => !k.device_id && !k.revoked_at);
  return (
    <div className="flex flex-col gap-4">
      <form action={create} className="flex flex-col gap-3 sm:flex-row sm:items-end">
        <div className="flex flex-1 flex-col gap-1.5">
          <Label htmlFor="key-name">New key name</Label>
          <Input id="key-name" name="name" placeholder="Render farm script" maxLength={80} required />
        </div>
        <fieldset className="grid grid-cols-2 gap-x-3 gap-y-1 text-sm">
          <legend className="sr-only">Permissions</legend>
          {personalScopes.map((s) => (
            <label key={s.scope} className="flex items-center gap-1.5" title={s.label}>
              <input type="checkbox" name="scopes" value={s.scope} defaultChecked={s.checked} /> {s.scope}
            </label>
          ))}
        </fieldset>
        <Button disabled={creating}>Create key</Button>
      </form>
      {state?.error ? <Alert tone="error">{state.error}</Alert> : null}
      {state?.secret ? <OnceVisible message="Copy this key now — it is shown only once." secret={state.secret} testId="new-api-key" /> : null}
      {personal.length === 0 ? (
        <p className="text-sm text-muted-foreground">No personal API keys.</p>
      ) : (
        <ul className="divide-y divide-border text-sm">
          {personal.map((k) => <KeyRow key={k.id} k={k} />)}
        </ul>
      )}
    </div>
  );
}

function KeyRow({ k }: { k: ApiKeyRow }) {
  const [state, revoke, pending] = useActionState(revokeApiKey, undefined);
  return (
    <li className="flex flex-wrap items-center gap-3 py-3">
      <div className="min-w-0 flex-1">
        <p className="font-medium">{k.name}</p>
        <p className="font-mono text-xs text-muted-foreground">{k.prefix.startsWith("oct_") ? k.prefix : `oct_live_${k.prefix}`}…</p>
      </div>
      <span className="text-xs text-muted-foreground">{k.scopes.join(" ")}</span>
      <span className="text-xs text-muted-foreground">{k.last_used_at ? `used ${new Date(k.last_used_at).toLocaleDateString("en")}` : "never used"}</span>
      <form action={revoke}>
        <input type="hidden" name="key_id" value={k.id} />
        <Button variant="outline" size="sm" disabled={pending}>Revoke</Button>
      </form>
      {state?.error ? <Alert tone="error" className="w-full">{state.error}</Alert> : null}
    </li>
  );
}
