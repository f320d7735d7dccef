import type { Metadata } from "next";
import Link from "next/link";
import { AuthForm } from "@/components/auth/auth-form";
import { safeNext } from "@/lib/routes";

export const metadata: Metadata = { title: "Sign in" };

export default async function Page({ searchParams }: { searchParams: Promise<Record<string, string | string[] | undefined>> }) {
  const sp = await searchParams;
  const next = safeNext(typeof sp.next === "string" ? sp.next : null);
  const nextQ = next !== "/" ? `?next=${encodeURIComponent(next)}` : "";
  return (
    <>
      <div className="flex flex-col gap-1">
        <h1 className="text-2xl font-semibold tracking-tight">Sign in</h1>
        <p className="text-sm text-muted-foreground">Welcome back. Your Blender imports are waiting.</p>
      </div>
      <AuthForm mode="signin" next={next} />
      <p className="text-center text-sm text-muted-foreground">New here? <Link className="font-medium text-foreground underline" href={`/signup${nextQ}`}>Create an account</Link></p>
    </>
  );
}
