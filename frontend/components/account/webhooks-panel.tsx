"use client";

import { useActionState } from "react";
import { useRouter } from "next/navigation";
import { Button } from "@/components/ui/button";
import { Input } from "@/components/ui/input";
import { Label } from "@/components/ui/label";
import { Alert } from "@/components/ui/alert";
import { Badge } from "@/components/ui/badge";
import { createWebhook, deleteWebhook, rotateWebhook, type WebhookState } from "@/lib/actions/webhooks";
import type { Webhook, WebhookDelivery } from "@/lib/data/webhooks";
import { webhookEvents } from "@/lib/webhook-events";
import { useUserChannel } from "./use-user-channel";
import { OnceVisible } from "./once-visible";

const when = (iso: string) => new Date(iso).toLocaleString("en", { dateStyle: "medium", timeStyle: "short" });

/** Re-reads the card when an endpoint is turned off (the webhook_disabled broadcast), so an open page shows the notice. */
export function WebhooksWatcher({ userId }: { userId: string }) {
  const router = useRouter();
  useUserChannel(userId, { webhook_disabled: () => router.refresh() });
  return null;
}

/** The account's webhook endpoints: add one (its secret shown once), rotate, delete, and the newest deliveries. */
export function WebhooksPanel({ webhooks }: { webhooks: Webhook[] | null }) {
  const [state, create, creating] = useActionState(createWebhook, undefined);
  return (
    <div className="flex flex-col gap-4">
      <form action={create} className="flex flex-col gap-3">
        <div className="grid gap-3 sm:grid-cols-2">
          <div className="flex flex-col gap-1.5">
            <Label htmlFor="webhook-url">Endpoint URL</Label>
            <Input id="webhook-url" name="url" type="url" placeholder="https://pipeline.example.com/octane" maxLength={2048} required />
          </div>
          <div className="flex flex-col gap-1.5">
            <Label htmlFor="webhook-description">Description</Label>
            <Input id="webhook-description" name="description" placeholder="Asset tracker" maxLength={200} />
          </div>
        </div>
        <fieldset className="flex flex-wrap gap-x-4 gap-y-1 text-sm">
          <legend className="sr-only">Events</legend>
          {webhookEvents.map((e) => (
            <label key={e.event} className="flex items-center gap-1.5" title={e.event}>
              <input type="checkbox" name="events" value={e.event} defaultChecked /> {e.label}
            </label>
          ))}
        </fieldset>
        <Button className="self-start" disabled={creating}>Add endpoint</Button>
      </form>
      <Answer state={state} />
      {webhooks === null ? (
        <Alert tone="error">Webhooks are unavailable right now. Try again in a moment.</Alert>
      ) : webhooks.length === 0 ? (
        <p className="text-sm text-muted-foreground">No webhook endpoints.</p>
      ) : (
        <ul className="divide-y divide-border text-sm">
          {webhooks.map((w) => <EndpointRow key={w.id} w={w} />)}
        </ul>
      )}
    </div>
  );
}

function Answer({ state }: { state: WebhookState }) {
  if (state?.error) return <Alert tone="error">{state.error}</Alert>;
  if (!state?.ok) return null;
  if (state.secret) return <OnceVisible message={state.ok} secret={state.secret} testId="webhook-secret" />;
  return <Alert tone="success">{state.ok}</Alert>;
}

function EndpointRow({ w }: { w: Webhook }) {
  const [rotated, rotate, rotating] = useActionState(rotateWebhook, undefined);
  const [deleted, remove, deleting] = useActionState(deleteWebhook, undefined);
  return (
    <li className="flex flex-col gap-2 py-3">
      <div className="flex flex-wrap items-center gap-3">
        <div className="min-w-0 flex-1">
          <p className="break-all font-medium">{w.url}</p>
          <p className="text-xs text-muted-foreground">{[w.description, w.events.join(" "), w.secret_masked].filter(Boolean).join(" · ")}</p>
        </div>
        {w.disabled_at ? (
          <Badge variant="danger">Disabled</Badge>
        ) : w.failing_since ? (
          <Badge variant="outline">Failing</Badge>
        ) : (
          <Badge>Active</Badge>
        )}
        <form action={rotate}>
          <input type="hidden" name="webhook_id" value={w.id} />
          <Button variant="outline" size="sm" disabled={rotating}>Rotate secret</Button>
        </form>
        <form action={remove}>
          <input type="hidden" name="webhook_id" value={w.id} />
          <Button variant="outline" size="sm" disabled={deleting}>Delete</Button>
        </form>
      </div>
      {w.disabled_at ? (
        <Alert tone="error">
          Turned off on {when(w.disabled_at)}: every delivery failed for a day. Fix the endpoint, then add it again.
        </Alert>
      ) : w.failing_since ? (
        <p className="text-xs text-danger">Failing since {when(w.failing_since)}; deliveries are retried for about a day.</p>
      ) : null}
      {w.previous_secret_expires_at ? (
        <p className="text-xs text-muted-foreground">The previous secret also signs until {when(w.previous_secret_expires_at)}.</p>
      ) : null}
      <Answer state={rotated ?? deleted} />
      {w.deliveries.length > 0 ? <Deliveries rows={w.deliveries} /> : null}
    </li>
  );
}

function Deliveries({ rows }: { rows: WebhookDelivery[] }) {
  return (
    <table className="w-full text-xs text-muted-foreground">
      <caption className="sr-only">Latest deliveries</caption>
      <tbody>
        {rows.map((d) => (
          <tr key={d.id}>
            <td className="py-0.5 pr-2 font-mono">{d.event_type}</td>
            <td className="pr-2">{d.status}{d.attempts > 1 ? ` after ${d.attempts} attempts` : ""}</td>
            <td className="pr-2">{d.error ?? (d.response_status ? `HTTP ${d.response_status}` : "")}</td>
            <td>{when(d.created_at)}</td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}
