"use client";

import { useActionState, useCallback, useEffect, useRef, useState } from "react";
import Link from "next/link";
import { Button } from "@/components/ui/button";
import { Input } from "@/components/ui/input";
import { Label } from "@/components/ui/label";
import { Alert } from "@/components/ui/alert";
import { ago, lookupDevice, platformLabel, type PendingDevice } from "@/lib/device-grant";
import { approveDevice, denyDevice } from "@/lib/actions/connect";

type Review =
  | { status: "idle" }
  | { status: "loading" }
  | { status: "found"; device: PendingDevice }
  | { status: "error"; message: string };

/**
 * Approving a Blender is shown before it is done: the code is looked up (from this browser, so
 * the edge can tell whether the pairing started at this address), its device is described, and
 * Approve stays disabled until the user confirms that their own Blender shows this code.
 */
export function ConnectForm({ initialCode, email }: { initialCode: string; email: string }) {
  const [approved, approve, approving] = useActionState(approveDevice, undefined);
  const [denied, deny, denying] = useActionState(denyDevice, undefined);
  const [code, setCode] = useState(initialCode);
  // A code in the URL is looked up on arrival, so the form starts out loading it.
  const [review, setReview] = useState<Review>(initialCode ? { status: "loading" } : { status: "idle" });
  const [confirmed, setConfirmed] = useState(false);
  const latest = useRef(0);

  const lookup = useCallback(async (value: string) => {
    const n = ++latest.current;
    const r = await lookupDevice(value);
    if (n !== latest.current) return; // the code changed meanwhile
    setReview(r.ok ? { status: "found", device: r.device } : { status: "error", message: r.message });
  }, []);

  const check = (value: string) => {
    setConfirmed(false);
    setReview({ status: "loading" });
    return lookup(value);
  };

  useEffect(() => {
    if (initialCode) void lookup(initialCode);
  }, [initialCode, lookup]);

  if (approved?.approved) {
    return (
      <Alert tone="success" className="flex flex-col gap-2">
        <strong>Blender connected.</strong>
        <span>Return to Blender: the add-on finishes in a few seconds. Then browse the <Link className="underline" href="/">library</Link> and press Import.</span>
      </Alert>
    );
  }
  if (denied?.denied) {
    return (
      <Alert tone="neutral" className="flex flex-col gap-2">
        <strong>Code refused.</strong>
        <span>The Blender showing {denied.denied} cannot connect to your account. If it was yours after all, start connecting again in Blender.</span>
      </Alert>
    );
  }
  const pending = approving || denying;
  const error = (approved?.at ?? 0) >= (denied?.at ?? 0) ? approved?.error : denied?.error;
  const device = review.status === "found" ? review.device : null;
  return (
    <form action={approve} className="flex flex-col gap-4">
      <Alert tone="error" data-testid="approve-warning">
        <strong>Only approve a code your own Blender shows.</strong> Anyone who gets you to approve their code can import
        with your subscription. If someone sent you this link or code, deny it.
      </Alert>
      <div className="flex flex-col gap-1.5">
        <Label htmlFor="user_code">Code from Blender</Label>
        <Input
          id="user_code"
          name="user_code"
          value={code}
          onChange={(e) => {
            latest.current++;
            setCode(e.target.value);
            setReview({ status: "idle" });
            setConfirmed(false);
          }}
          placeholder="BCDF-GHJK"
          autoComplete="off"
          autoCapitalize="characters"
          spellCheck={false}
          required
          className="h-12 text-center font-mono text-xl tracking-[0.3em] uppercase"
          aria-describedby="code-help"
        />
        <p id="code-help" className="text-xs text-muted-foreground">Signed in as {email}. The device will import into this account.</p>
      </div>

      {device ? (
        <section aria-label="The Blender asking to connect" data-testid="pending-device" className="flex flex-col gap-3 rounded-lg border p-4 text-sm">
          <dl className="grid grid-cols-[auto_1fr] gap-x-4 gap-y-1.5">
            <dt className="text-muted-foreground">Device</dt>
            <dd className="font-medium">{device.name}</dd>
            <dt className="text-muted-foreground">Application</dt>
            <dd>{platformLabel(device)}</dd>
            <dt className="text-muted-foreground">Operating system</dt>
            <dd>{device.os || "not given"}</dd>
            {device.addon_version || device.bridge_version ? (
              <>
                <dt className="text-muted-foreground">Add-on</dt>
                <dd>
                  {[device.addon_version && `add-on ${device.addon_version}`, device.bridge_version && `bridge ${device.bridge_version}`]
                    .filter(Boolean)
                    .join(", ")}
                </dd>
              </>
            ) : null}
            <dt className="text-muted-foreground">Requested</dt>
            <dd>
              <time dateTime={device.requested_at} title={new Date(device.requested_at).toLocaleString()}>
                {ago(device.requested_at)}
              </time>{" "}
              ({new Date(device.requested_at).toLocaleTimeString()})
            </dd>
          </dl>
          {device.same_network === true ? (
            <p data-testid="origin" data-same="true">Requested from the same internet address as this browser.</p>
          ) : device.same_network === false ? (
            <Alert tone="error" data-testid="origin" data-same="false">
              This request was <strong>not made from this browser&apos;s network</strong>. If the Blender showing this code is not on
              the computer or network you are using now, deny it.
            </Alert>
          ) : null}
          <label className="flex items-start gap-2">
            <input
              type="checkbox"
              name="confirm"
              className="mt-0.5 size-4"
              checked={confirmed}
              onChange={(e) => setConfirmed(e.target.checked)}
            />
            <span>This is my own Blender, and it shows the code <span className="font-mono">{device.user_code}</span>.</span>
          </label>
        </section>
      ) : null}

      {review.status === "error" ? <Alert tone="error">{review.message}</Alert> : null}
      {error ? <Alert tone="error">{error}</Alert> : null}
      <div className="flex gap-2">
        {device ? (
          <Button size="lg" className="flex-1" disabled={pending || !confirmed}>
            {approving ? "Approving…" : "Approve this Blender"}
          </Button>
        ) : (
          <Button type="button" size="lg" className="flex-1" disabled={pending || review.status === "loading" || !code.trim()} onClick={() => void check(code)}>
            {review.status === "loading" ? "Looking up…" : "Review request"}
          </Button>
        )}
        <Button size="lg" variant="outline" formAction={deny} disabled={pending}>{denying ? "Denying…" : "Deny"}</Button>
      </div>
    </form>
  );
}
