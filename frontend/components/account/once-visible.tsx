"use client";

import { useState } from "react";
import { Button } from "@/components/ui/button";
import { Alert } from "@/components/ui/alert";

/** A secret the server shows only once (an API key, a webhook signing secret), with a Copy button. */
export function OnceVisible({ message, secret, testId }: { message: string; secret: string; testId: string }) {
  const [copied, setCopied] = useState(false);
  return (
    <Alert tone="success" className="flex flex-col gap-2">
      <span>{message}</span>
      <code data-testid={testId} className="break-all rounded bg-card px-2 py-1 font-mono text-xs text-foreground">{secret}</code>
      <Button
        type="button"
        size="sm"
        variant="outline"
        className="self-start"
        onClick={() => navigator.clipboard?.writeText(secret).then(() => setCopied(true))}
      >
        {copied ? "Copied" : "Copy"}
      </Button>
    </Alert>
  );
}
