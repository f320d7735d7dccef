import * as React from "react";
import { cva, type VariantProps } from "class-variance-authority";
import { cn } from "@/lib/utils";

const badgeVariants = cva("inline-flex items-center rounded-full px-2 py-0.5 text-xs font-medium", {
  variants: {
    variant: {
      default: "bg-muted text-foreground",
      pro: "bg-primary text-primary-foreground",
      free: "bg-success/15 text-success",
      outline: "border border-border text-muted-foreground",
      danger: "bg-danger/15 text-danger",
    },
  },
  defaultVariants: { variant: "default" },
});

type BadgeVariant = NonNullable<VariantProps<typeof badgeVariants>["variant"]>;

/** `tone` is an alias of `variant`. */
export function Badge({ className, variant, tone, ...props }: React.HTMLAttributes<HTMLSpanElement> & { variant?: BadgeVariant | null; tone?: BadgeVariant }) {
  return <span className={cn(badgeVariants({ variant: variant ?? tone }), className)} {...props} />;
}
