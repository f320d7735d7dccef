import * as React from "react";
import { cn } from "@/lib/utils";

// A styled native <select>: keyboard and screen-reader behaviour for free, no JS.
export function Select({ className, ...props }: React.SelectHTMLAttributes<HTMLSelectElement>) {
  return (
    <select
      className={cn("h-9 rounded-md border border-input bg-card px-2 text-sm shadow-sm disabled:opacity-50", className)}
      {...props}
    />
  );
}
