"use client";

import { useActionState } from "react";
import Link from "next/link";
import { Button } from "@/components/ui/button";
import { Input } from "@/components/ui/input";
import { Label } from "@/components/ui/label";
import { Alert } from "@/components/ui/alert";
import { approveDevice } from "./actions";

export function ConnectForm({ initialCode, email }: { initialCode: string; email: string }) {
  const [state, approve, pending] = useActionState(approveDevice, undefined);
  if (state?.approved) {
    return (
      <Alert tone="success" className="flex flex-col gap-2">
        <strong>Blender connected.</strong>
        <span>Return to Blender: the add-on finishes in a few seconds. Then browse the <Link className="underline" href="/">library</Link> and press Import.</span>
      </Alert>
    );
  }
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
      {state?.error ? <Alert tone="error">{state.error}</Alert> : null}
      <Button size="lg" disabled={pending}>{pending ? "Approving…" : "Approve this Blender"}</Button>
    </form>
  );
}
