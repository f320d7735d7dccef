import type { Metadata } from "next";
import Link from "next/link";
import { AuthForm } from "@/components/auth/auth-form";
import { safeNext } from "@/lib/routes";

export const metadata: Metadata = { title: "Reset your password" };

export default async function Page({ searchParams }: { searchParams: Promise<Record<string, string | string[] | undefined>> }) {
  const sp = await searchParams;
  const next = safeNext(typeof sp.next === "string" ? sp.next : null);
  const nextQ = next !== "/" ? `?next=${encodeURIComponent(next)}` : "";
  void nextQ; // no cross-links on this page
  return (
    <>
      <div className="flex flex-col gap-1">
        <h1 className="text-2xl font-semibold tracking-tight">Reset your password</h1>
        <p className="text-sm text-muted-foreground">We will e-mail you a link to choose a new one.</p>
      </div>
      <AuthForm mode="forgot" next={next} />
      <p className="text-center text-sm text-muted-foreground"><Link className="underline" href="/login">Back to sign in</Link></p>
    </>
  );
}
