import type { Metadata } from "next";
import Link from "next/link";
import { AuthPage } from "@/components/auth/auth-page";
import { nextFrom } from "@/lib/routes";

export const metadata: Metadata = { title: "Reset your password" };

export default async function Page({ searchParams }: { searchParams: Promise<Record<string, string | string[] | undefined>> }) {
  const { next } = nextFrom(await searchParams);
  return (
    <AuthPage title="Reset your password" lead="We will e-mail you a link to choose a new one." mode="forgot" next={next}>
      <Link className="underline" href="/login">Back to sign in</Link>
    </AuthPage>
  );
}
