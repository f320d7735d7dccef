import Link from "next/link";
import { currentUser } from "@/lib/data/user";
import { isOperator } from "@/lib/data/operator";
import { ThemeToggle } from "@/components/theme-toggle";
import { buttonVariants } from "@/components/ui/button";
import { signOut } from "@/lib/actions/auth";

export async function SiteHeader({ theme }: { theme: "light" | "dark" | "system" }) {
  let user: Awaited<ReturnType<typeof currentUser>> = null;
  try {
    user = await currentUser();
  } catch {
    user = null;
  }
  // The library operator's pages are linked for operators only (they are 404 for everyone else).
  const operator = user ? await isOperator().catch(() => false) : false;
  return (
    <header className="sticky top-0 z-40 border-b border-border bg-background/85 backdrop-blur">
      <div className="mx-auto flex h-14 max-w-7xl items-center gap-4 px-4 sm:px-6">
        <Link href="/" className="flex items-center gap-2 font-semibold tracking-tight">
          <span aria-hidden className="inline-block h-6 w-6 rounded-md bg-gradient-to-br from-primary to-accent" />
          Octane Bridge
        </Link>
        <nav aria-label="Main" className="flex items-center gap-1 text-sm">
          <Link href="/" className={buttonVariants({ variant: "ghost", size: "sm" })}>Library</Link>
          <Link href="/help" className={buttonVariants({ variant: "ghost", size: "sm" })}>Help</Link>
          {operator ? <Link href="/operator" className={buttonVariants({ variant: "ghost", size: "sm" })}>Operator</Link> : null}
        </nav>
        <div className="ml-auto flex items-center gap-2">
          <ThemeToggle initial={theme} />
          {user ? (
            <>
              <Link href="/account" className={buttonVariants({ variant: "outline", size: "sm" })}>Account</Link>
              <form action={signOut}>
                <button type="submit" className={buttonVariants({ variant: "ghost", size: "sm" })}>Sign out</button>
              </form>
            </>
          ) : (
            <>
              <Link href="/login" className={buttonVariants({ variant: "ghost", size: "sm" })}>Sign in</Link>
              <Link href="/signup" className={buttonVariants({ size: "sm" })}>Start free</Link>
            </>
          )}
        </div>
      </div>
    </header>
  );
}
