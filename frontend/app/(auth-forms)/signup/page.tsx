import type { Metadata } from "next";
import Link from "next/link";
import { AuthPage } from "@/components/auth/auth-page";
import { nextFrom } from "@/lib/routes";

export const metadata: Metadata = { title: "Create your account" };

export default async function Page({ searchParams }: { searchParams: Promise<Record<string, string | string[] | undefined>> }) {
  const { next, nextQuery } = nextFrom(await searchParams);
  return (
    <AuthPage title="Create your account" lead="Free shaders are free forever. Go Pro for the whole library." mode="signup" next={next}>
      Already have an account? <Link className="font-medium text-foreground underline" href={`/login${nextQuery}`}>Sign in</Link>
    </AuthPage>
  );
}
