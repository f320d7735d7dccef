"use client";

import { useActionState } from "react";
import Link from "next/link";
import { Button } from "@/components/ui/button";
import { Input } from "@/components/ui/input";
import { Label } from "@/components/ui/label";
import { Alert } from "@/components/ui/alert";
import { approveDevice, denyDevice } from "./actions";

export function ConnectForm({ initialCode, email }: { initialCode: string; email: string }) {
  const [approved, approve, approving] = useActionState(approveDevice, undefined);
  const [denied, deny, denying] = useActionState(denyDevice, undefined);
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
  return (
    <form action={approve} className="flex flex-col gap-4">
      <div className="flex flex-col gap-1.5">
        <Label htmlFor="user_code">Code from Blender</Label>
        <Input
          id="user_code"
          name="user_code"
          defaultValue={initialCode}
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
      {error ? <Alert tone="error">{error}</Alert> : null}
      <div className="flex gap-2">
        <Button size="lg" className="flex-1" disabled={pending}>{approving ? "Approving…" : "Approve this Blender"}</Button>
        <Button size="lg" variant="outline" formAction={deny} disabled={pending}>{denying ? "Denying…" : "Deny"}</Button>
      </div>
    </form>
  );
}
