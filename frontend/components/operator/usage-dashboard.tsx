import Link from "next/link";
import { Card, CardContent, CardDescription, CardHeader, CardTitle } from "@/components/ui/card";
import { ImportsPerDayChart, RankBars, StepTimingsChart, SubscriptionsChart } from "@/components/charts/charts";
import { webText } from "@/lib/codes";
import type { Dashboard, DashboardWindow } from "@/lib/data/operator";
import { cn } from "@/lib/utils";

// The operator's usage dashboard: server-rendered numbers (lib/data/operator.ts getDashboard) in
// cards, with the charts as small client components.

const fmt = new Intl.NumberFormat("en");
const seconds = (ms: number) => (ms < 10_000 ? (ms / 1000).toFixed(2) : (ms / 1000).toFixed(1)) + " s";

function Stat({ label, value, hint }: { label: string; value: string; hint?: string }) {
  return (
    <Card>
      <CardContent className="flex flex-col gap-1 pt-5">
        <span className="text-xs uppercase tracking-wide text-muted-foreground">{label}</span>
        <span className="text-2xl font-semibold tabular-nums">{value}</span>
        {hint ? <span className="text-xs text-muted-foreground">{hint}</span> : null}
      </CardContent>
    </Card>
  );
}

function Section({ title, description, children, className }: { title: string; description: string; children: React.ReactNode; className?: string }) {
  return (
    <Card className={className}>
      <CardHeader>
        <CardTitle>{title}</CardTitle>
        <CardDescription>{description}</CardDescription>
      </CardHeader>
      <CardContent>{children}</CardContent>
    </Card>
  );
}

function Empty({ children }: { children: React.ReactNode }) {
  return <p className="text-sm text-muted-foreground">{children}</p>;
}

/** Counts per value of one column of the devices rows (Blender or add-on version), most first. */
function totals(rows: Dashboard["devices"], key: "blender_version" | "addon_version") {
  const m = new Map<string, number>();
  for (const r of rows) m.set(r[key], (m.get(r[key]) ?? 0) + r.devices);
  return [...m].map(([name, value]) => ({ name, value })).sort((a, b) => b.value - a.value || a.name.localeCompare(b.name));
}

export function WindowPicker({ days, windows }: { days: DashboardWindow; windows: readonly DashboardWindow[] }) {
  return (
    <nav aria-label="Window" className="flex gap-1 text-sm">
      {windows.map((w) => (
        <Link
          key={w}
          href={`?days=${w}`}
          aria-current={w === days ? "page" : undefined}
          className={cn("rounded-md border px-2.5 py-1", w === days ? "border-primary bg-primary text-primary-foreground" : "border-border hover:bg-muted")}
        >
          {w} days
        </Link>
      ))}
    </nav>
  );
}

export function UsageDashboard({ data }: { data: Dashboard }) {
  const imports = data.perDay.reduce((n, r) => n + r.imports, 0);
  const done = data.perDay.reduce((n, r) => n + r.done, 0);
  const failed = data.perDay.reduce((n, r) => n + r.failed, 0);
  const rate = done + failed > 0 ? `${((100 * done) / (done + failed)).toFixed(1)} %` : "—";
  const devices = data.devices.reduce((n, r) => n + r.devices, 0);
  const lastSubs = data.subscriptions.at(-1);
  const started = data.subscriptions.reduce((n, r) => n + r.started, 0);
  const cancelled = data.subscriptions.reduce((n, r) => n + r.cancelled, 0);
  const total = data.steps.find((s) => s.step === "total");

  return (
    <div className="flex flex-col gap-4" data-testid="usage-dashboard">
      <div className="grid grid-cols-2 gap-4 md:grid-cols-5">
        <Stat label="Imports" value={fmt.format(imports)} hint={`last ${data.days} days`} />
        <Stat label="Success rate" value={rate} hint={`${fmt.format(done)} done, ${fmt.format(failed)} failed`} />
        <Stat label="Import p50 / p95" value={total ? `${seconds(total.p50_ms)} / ${seconds(total.p95_ms)}` : "—"} hint="click to material" />
        <Stat label="Active devices" value={fmt.format(devices)} hint="seen in the window" />
        <Stat label="Subscriptions" value={fmt.format(lastSubs?.active ?? 0)} hint={`+${started} new, −${cancelled} cancelled`} />
      </div>

      <Section title="Imports per day" description="Every import the site started, by the day it started; the line is done ÷ (done + failed).">
        {imports > 0 ? <ImportsPerDayChart rows={data.perDay} /> : <Empty>No imports in this window.</Empty>}
      </Section>

      <div className="grid gap-4 lg:grid-cols-2">
        <Section title="Most imported shaders" description="The ten shaders imported most often, with their failed imports.">
          {data.perShader.length ? (
            <RankBars label="Imports per shader" unit="imports" rows={data.perShader.map((r) => ({ name: r.name, value: r.imports, failed: r.failed }))} />
          ) : <Empty>No imports in this window.</Empty>}
        </Section>
        <Section title="Why imports failed" description="The failure code of each failed import.">
          {data.failures.length ? (
            <>
              <RankBars label="Failed imports per failure code" unit="failures" rows={data.failures.map((r) => ({ name: r.error_code, value: r.failures }))} />
              <table className="mt-3 w-full text-sm">
                <tbody className="divide-y divide-border">
                  {data.failures.map((r) => (
                    <tr key={r.error_code}>
                      <td className="py-1.5 pr-3 font-mono text-xs">{r.error_code}</td>
                      <td className="py-1.5 pr-3 text-muted-foreground">{webText(r.error_code) ?? ""}</td>
                      <td className="py-1.5 text-right tabular-nums">{fmt.format(r.failures)}</td>
                    </tr>
                  ))}
                </tbody>
              </table>
            </>
          ) : <Empty>No failed imports in this window.</Empty>}
        </Section>
      </div>

      <Section title="Import steps" description="p50 and p95 of each step of the window's done imports, from their step timings.">
        {data.steps.length ? (
          <>
            <StepTimingsChart rows={data.steps} />
            <table className="mt-3 w-full text-sm">
              <thead className="text-left text-xs text-muted-foreground">
                <tr><th className="py-1 font-normal">step</th><th className="py-1 text-right font-normal">imports</th><th className="py-1 text-right font-normal">p50</th><th className="py-1 text-right font-normal">p95</th></tr>
              </thead>
              <tbody className="divide-y divide-border tabular-nums">
                {data.steps.map((s) => (
                  <tr key={s.step}>
                    <td className="py-1.5">{s.step}</td>
                    <td className="py-1.5 text-right">{fmt.format(s.imports)}</td>
                    <td className="py-1.5 text-right">{seconds(s.p50_ms)}</td>
                    <td className="py-1.5 text-right">{seconds(s.p95_ms)}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          </>
        ) : <Empty>No done imports in this window.</Empty>}
      </Section>

      <div className="grid gap-4 lg:grid-cols-2">
        <Section title="Active devices" description="Paired devices seen in the window, by Blender and add-on version.">
          {data.devices.length ? (
            <div className="flex flex-col gap-4">
              <h3 className="text-sm font-medium">By Blender version</h3>
              <RankBars label="Active devices per Blender version" unit="devices" rows={totals(data.devices, "blender_version")} />
              <h3 className="text-sm font-medium">By add-on version</h3>
              <RankBars label="Active devices per add-on version" unit="devices" rows={totals(data.devices, "addon_version")} />
              <table className="w-full text-sm">
                <thead className="text-left text-xs text-muted-foreground">
                  <tr><th className="py-1 font-normal">platform</th><th className="py-1 font-normal">Blender</th><th className="py-1 font-normal">add-on</th><th className="py-1 text-right font-normal">devices</th></tr>
                </thead>
                <tbody className="divide-y divide-border tabular-nums">
                  {data.devices.map((r) => (
                    <tr key={`${r.platform}/${r.blender_version}/${r.addon_version}`}>
                      <td className="py-1.5">{r.platform}</td>
                      <td className="py-1.5">{r.blender_version}</td>
                      <td className="py-1.5">{r.addon_version}</td>
                      <td className="py-1.5 text-right">{fmt.format(r.devices)}</td>
                    </tr>
                  ))}
                </tbody>
              </table>
            </div>
          ) : <Empty>No device was seen in this window.</Empty>}
        </Section>
        <div className="flex flex-col gap-4">
          <Section title="Subscriptions" description="Subscriptions to the library: active at each day's end, new and cancelled per day.">
            <SubscriptionsChart rows={data.subscriptions} />
          </Section>
          <Section title="Searches without results" description="What artists searched for and did not find (a query typed on the way to a longer one is left out).">
            {data.searchMisses.length ? (
              <RankBars label="Searches without results" unit="searches" rows={data.searchMisses.map((r) => ({ name: r.query, value: r.misses }))} />
            ) : <Empty>Every search in this window found something.</Empty>}
          </Section>
        </div>
      </div>
    </div>
  );
}
