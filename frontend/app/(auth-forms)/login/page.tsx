import type { Metadata } from "next";
import Link from "next/link";
import { AuthPage } from "@/components/auth/auth-page";
import { nextFrom } from "@/lib/routes";

export const metadata: Metadata = { title: "Sign in" };

export default async function Page({ searchParams }: { searchParams: Promise<Record<string, string | string[] | undefined>> }) {
  const { next, nextQuery } = nextFrom(await searchParams);
  return (
    <AuthPage title="Sign in" lead="Welcome back. Your Blender imports are waiting." mode="signin" next={next}>
      New here? <Link className="font-medium text-foreground underline" href={`/signup${nextQuery}`}>Create an account</Link>
    </AuthPage>
  );
}
