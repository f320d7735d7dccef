import * as React from "react";
import { cn } from "@/lib/utils";

export function Alert({ className, tone = "neutral", ...props }: React.HTMLAttributes<HTMLDivElement> & { tone?: "neutral" | "error" | "success" }) {
  return (
    <div
      role={tone === "error" ? "alert" : "status"}
      className={cn(
        "rounded-lg border px-4 py-3 text-sm",
        tone === "error" && "border-danger/40 bg-danger/10 text-danger",
        tone === "success" && "border-success/40 bg-success/10 text-success",
        tone === "neutral" && "border-border bg-muted text-foreground",
        className,
      )}
      {...props}
    />
  );
}
