import Link from "next/link";
import { Card, CardContent, CardDescription, CardHeader, CardTitle } from "@/components/ui/card";
import { MonthlyImportsChart } from "@/components/charts/charts";
import { getMyNumbers } from "@/lib/data/my-numbers";

/** The artist's own numbers on the account page: imports per month and most used shaders (read here, like BillingPanel). */
export async function YourNumbers() {
  const numbers = await getMyNumbers();
  const total = numbers.perMonth.reduce((n, r) => n + r.imports, 0);
  return (
    <Card id="numbers" data-testid="your-numbers">
      <CardHeader>
        <CardTitle>Your numbers</CardTitle>
        <CardDescription>Your imports over the last twelve months and the shaders you use most.</CardDescription>
      </CardHeader>
      <CardContent>
        {total === 0 ? (
          <p className="text-sm text-muted-foreground">No imports in the last twelve months yet.</p>
        ) : (
          <div className="grid gap-6 md:grid-cols-[2fr_1fr]">
            <MonthlyImportsChart rows={numbers.perMonth} />
            <div className="flex flex-col gap-2">
              <h3 className="text-sm font-medium">Most used shaders</h3>
              {numbers.topShaders.length ? (
                <ol className="flex flex-col gap-1 text-sm">
                  {numbers.topShaders.map((s) => (
                    <li key={s.shader_id} className="flex justify-between gap-3">
                      <Link className="truncate underline-offset-2 hover:underline" href={`/shaders/${s.slug}`}>{s.name}</Link>
                      <span className="tabular-nums text-muted-foreground">{s.imports}×</span>
                    </li>
                  ))}
                </ol>
              ) : (
                <p className="text-sm text-muted-foreground">None finished yet.</p>
              )}
            </div>
          </div>
        )}
      </CardContent>
    </Card>
  );
}
