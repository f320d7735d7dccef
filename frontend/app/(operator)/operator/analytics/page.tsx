import type { Metadata } from "next";
import { DASHBOARD_WINDOWS, dashboardWindow, getDashboard, requireOperator } from "@/lib/data/operator";
import { UsageDashboard, WindowPicker } from "@/components/operator/usage-dashboard";

export const metadata: Metadata = { title: "Usage analytics" };

export default async function AnalyticsPage({ searchParams }: { searchParams: Promise<Record<string, string | string[] | undefined>> }) {
  await requireOperator("/operator/analytics");
  const days = dashboardWindow((await searchParams).days);
  const data = await getDashboard(days);
  return (
    <div className="flex flex-col gap-4">
      <header className="flex flex-wrap items-end justify-between gap-3">
        <div className="flex flex-col gap-1">
          <h1 className="text-2xl font-semibold tracking-tight">Usage analytics</h1>
          <p className="text-sm text-muted-foreground">What artists import, what fails and how long each step takes (UTC days).</p>
        </div>
        <WindowPicker days={days} windows={DASHBOARD_WINDOWS} />
      </header>
      <UsageDashboard data={data} />
    </div>
  );
}
