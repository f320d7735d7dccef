import type { Metadata } from "next";
import Link from "next/link";
import { requireOperator } from "@/lib/data/operator";

export const metadata: Metadata = { title: { template: "%s · Operator", default: "Operator" }, robots: { index: false } };

// The library operator's pages. Only an operator gets past requireOperator; everyone else sees 404.
export default async function OperatorLayout({ children }: { children: React.ReactNode }) {
  await requireOperator("/operator");
  return (
    <div className="flex flex-col gap-6">
      <nav aria-label="Operator" className="flex gap-4 border-b pb-2 text-sm">
        <span className="font-semibold">Operator</span>
        <Link href="/operator/analytics" className="text-muted-foreground hover:text-foreground">Analytics</Link>
        <Link href="/operator/publish" className="text-muted-foreground hover:text-foreground">Publish</Link>
      </nav>
      {children}
    </div>
  );
}
