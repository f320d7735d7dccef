import type { Metadata } from "next";
import { AuthPage } from "@/components/auth/auth-page";
import { nextFrom } from "@/lib/routes";

export const metadata: Metadata = { title: "Choose a new password" };

export default async function Page({ searchParams }: { searchParams: Promise<Record<string, string | string[] | undefined>> }) {
  const { next } = nextFrom(await searchParams);
  return <AuthPage title="Choose a new password" lead="You are signed in through the reset link." mode="update" next={next} />;
}
