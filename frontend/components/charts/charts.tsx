"use client";

// The site's charts (recharts): the operator dashboard's and the account page's. Each takes the rows
// its SQL function returned on the server; nothing here fetches. Colours are the theme's variables.
import {
  Bar, BarChart, CartesianGrid, ComposedChart, Legend, Line, ResponsiveContainer, Tooltip, XAxis, YAxis,
} from "recharts";

const C = {
  primary: "var(--color-primary)",
  success: "var(--color-success)",
  danger: "var(--color-danger)",
  accent: "var(--color-accent)",
  muted: "var(--color-muted-foreground)",
  grid: "var(--color-border)",
};
const axis = { stroke: C.muted, fontSize: 12, tickLine: false } as const;
const tooltip = {
  contentStyle: { background: "var(--color-card)", border: "1px solid var(--color-border)", borderRadius: 8, fontSize: 12 },
  cursor: { fill: "var(--color-muted)" },
} as const;

/** "2026-12-03" → "Dec 3" (UTC: the SQL days are UTC days). */
export function shortDay(day: string): string {
  return new Date(day + "T00:00:00Z").toLocaleDateString("en", { month: "short", day: "numeric", timeZone: "UTC" });
}

function Frame({ label, height = 240, children }: { label: string; height?: number; children: React.ReactElement }) {
  return (
    <div role="img" aria-label={label} style={{ width: "100%", height }}>
      <ResponsiveContainer width="100%" height="100%">{children}</ResponsiveContainer>
    </div>
  );
}

export type DayRow = { day: string; imports: number; done: number; failed: number };

/** Imports per day, split into done, failed and the rest, with the day's success rate. */
export function ImportsPerDayChart({ rows }: { rows: DayRow[] }) {
  const data = rows.map((r) => ({
    day: shortDay(r.day),
    done: r.done,
    failed: r.failed,
    other: r.imports - r.done - r.failed,
    rate: r.done + r.failed > 0 ? Math.round((1000 * r.done) / (r.done + r.failed)) / 10 : null,
  }));
  return (
    <Frame label="Imports per day: done, failed and other, with the success rate">
      <ComposedChart data={data} margin={{ top: 8, right: 8, bottom: 0, left: -12 }}>
        <CartesianGrid stroke={C.grid} vertical={false} />
        <XAxis dataKey="day" {...axis} minTickGap={16} />
        <YAxis yAxisId="n" {...axis} allowDecimals={false} />
        <YAxis yAxisId="rate" orientation="right" {...axis} domain={[0, 100]} unit="%" />
        <Tooltip {...tooltip} />
        <Legend wrapperStyle={{ fontSize: 12 }} />
        <Bar yAxisId="n" dataKey="done" name="done" stackId="a" fill={C.success} isAnimationActive={false} />
        <Bar yAxisId="n" dataKey="failed" name="failed" stackId="a" fill={C.danger} isAnimationActive={false} />
        <Bar yAxisId="n" dataKey="other" name="queued, expired, cancelled" stackId="a" fill={C.muted} isAnimationActive={false} />
        <Line yAxisId="rate" dataKey="rate" name="success rate" unit="%" stroke={C.primary} dot={false} connectNulls isAnimationActive={false} />
      </ComposedChart>
    </Frame>
  );
}

/** Horizontal bars: one row per label (shaders, failure codes, searches), longest first. */
export function RankBars({ rows, label, unit }: { rows: { name: string; value: number; failed?: number }[]; label: string; unit: string }) {
  const height = Math.max(120, 28 * rows.length + 40);
  const stacked = rows.some((r) => r.failed !== undefined);
  const data = rows.map((r) => ({ name: r.name, ok: r.value - (r.failed ?? 0), failed: r.failed ?? 0 }));
  return (
    <Frame label={label} height={height}>
      <BarChart data={data} layout="vertical" margin={{ top: 0, right: 16, bottom: 0, left: 8 }}>
        <CartesianGrid stroke={C.grid} horizontal={false} />
        <XAxis type="number" {...axis} allowDecimals={false} />
        <YAxis type="category" dataKey="name" {...axis} width={170} interval={0} />
        <Tooltip {...tooltip} />
        <Bar dataKey="ok" name={stacked ? `${unit} (not failed)` : unit} stackId="a" fill={C.primary} isAnimationActive={false} />
        {stacked ? <Bar dataKey="failed" name="failed" stackId="a" fill={C.danger} isAnimationActive={false} /> : null}
      </BarChart>
    </Frame>
  );
}

export type StepRow = { step: string; imports: number; p50_ms: number; p95_ms: number };

/** p50 and p95 of each import step, in seconds. */
export function StepTimingsChart({ rows }: { rows: StepRow[] }) {
  const data = rows.map((r) => ({ step: r.step, p50: r.p50_ms / 1000, p95: r.p95_ms / 1000 }));
  return (
    <Frame label="p50 and p95 of each import step in seconds">
      <BarChart data={data} margin={{ top: 8, right: 8, bottom: 0, left: -12 }}>
        <CartesianGrid stroke={C.grid} vertical={false} />
        <XAxis dataKey="step" {...axis} interval={0} />
        <YAxis {...axis} unit=" s" />
        <Tooltip {...tooltip} />
        <Legend wrapperStyle={{ fontSize: 12 }} />
        <Bar dataKey="p50" name="p50" unit=" s" fill={C.primary} isAnimationActive={false} />
        <Bar dataKey="p95" name="p95" unit=" s" fill={C.accent} isAnimationActive={false} />
      </BarChart>
    </Frame>
  );
}

export type SubscriptionRow = { day: string; started: number; cancelled: number; active: number };

/** Active subscriptions at each day's end, with the day's new and cancelled ones. */
export function SubscriptionsChart({ rows }: { rows: SubscriptionRow[] }) {
  const data = rows.map((r) => ({ ...r, day: shortDay(r.day) }));
  return (
    <Frame label="Subscriptions: active at each day's end, new and cancelled per day">
      <ComposedChart data={data} margin={{ top: 8, right: 8, bottom: 0, left: -12 }}>
        <CartesianGrid stroke={C.grid} vertical={false} />
        <XAxis dataKey="day" {...axis} minTickGap={16} />
        <YAxis yAxisId="n" {...axis} allowDecimals={false} />
        <YAxis yAxisId="active" orientation="right" {...axis} allowDecimals={false} />
        <Tooltip {...tooltip} />
        <Legend wrapperStyle={{ fontSize: 12 }} />
        <Bar yAxisId="n" dataKey="started" name="new" fill={C.success} isAnimationActive={false} />
        <Bar yAxisId="n" dataKey="cancelled" name="cancelled" fill={C.danger} isAnimationActive={false} />
        <Line yAxisId="active" dataKey="active" name="active" stroke={C.primary} dot={false} isAnimationActive={false} />
      </ComposedChart>
    </Frame>
  );
}

/** The artist's imports per month (account page). */
export function MonthlyImportsChart({ rows }: { rows: { month: string; imports: number; done: number }[] }) {
  const data = rows.map((r) => ({
    month: new Date(r.month + "T00:00:00Z").toLocaleDateString("en", { month: "short", year: "2-digit", timeZone: "UTC" }),
    imports: r.imports,
  }));
  return (
    <Frame label="Your imports per month" height={180}>
      <BarChart data={data} margin={{ top: 8, right: 8, bottom: 0, left: -20 }}>
        <CartesianGrid stroke={C.grid} vertical={false} />
        <XAxis dataKey="month" {...axis} />
        <YAxis {...axis} allowDecimals={false} />
        <Tooltip {...tooltip} />
        <Bar dataKey="imports" name="imports" fill={C.primary} isAnimationActive={false} />
      </BarChart>
    </Frame>
  );
}
