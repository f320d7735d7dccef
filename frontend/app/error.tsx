"use client";

import { Button } from "@/components/ui/button";

export default function ErrorPage({ reset }: { error: Error; reset: () => void }) {
  return (
    <div role="alert" className="mx-auto flex max-w-lg flex-col items-center gap-3 rounded-xl border border-danger/30 bg-danger/10 p-8 text-center">
      <h1 className="text-lg font-semibold">Something went wrong</h1>
      <p className="text-sm text-muted-foreground">The page could not be shown. Your imports are not affected.</p>
      <Button variant="outline" onClick={reset}>Try again</Button>
    </div>
  );
}
