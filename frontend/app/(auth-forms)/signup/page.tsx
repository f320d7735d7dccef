import type { Metadata } from "next";
import Link from "next/link";
import { AuthForm } from "@/components/auth/auth-form";
import { safeNext } from "@/lib/routes";

export const metadata: Metadata = { title: "Create your account" };

export default async function Page({ searchParams }: { searchParams: Promise<Record<string, string | string[] | undefined>> }) {
  const sp = await searchParams;
  const next = safeNext(typeof sp.next === "string" ? sp.next : null);
  const nextQ = next !== "/" ? `?next=${encodeURIComponent(next)}` : "";
  return (
    <>
      <div className="flex flex-col gap-1">
        <h1 className="text-2xl font-semibold tracking-tight">Create your account</h1>
        <p className="text-sm text-muted-foreground">Free shaders are free forever. Go Pro for the whole library.</p>
      </div>
      <AuthForm mode="signup" next={next} />
      <p className="text-center text-sm text-muted-foreground">Already have an account? <Link className="font-medium text-foreground underline" href={`/login${nextQ}`}>Sign in</Link></p>
    </>
  );
}
