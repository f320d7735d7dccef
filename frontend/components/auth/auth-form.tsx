"use client";

import { useState } from "react";
import Link from "next/link";
import { useRouter } from "next/navigation";
import { Button } from "@/components/ui/button";
import { Input } from "@/components/ui/input";
import { Label } from "@/components/ui/label";
import { Alert } from "@/components/ui/alert";
import { createClient } from "@/lib/supabase/client";
import { authErrorMessage } from "@/lib/auth-errors";

type Mode = "signin" | "signup" | "magic" | "forgot" | "update";

function confirmUrl(next: string) {
  return `${window.location.origin}/auth/confirm?next=${encodeURIComponent(next)}`;
}

export function AuthForm({ mode: initialMode, next }: { mode: Mode; next: string }) {
  const router = useRouter();
  const [mode, setMode] = useState<Mode>(initialMode);
  const [error, setError] = useState<string | null>(null);
  const [sent, setSent] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);

  async function onSubmit(e: React.FormEvent<HTMLFormElement>) {
    e.preventDefault();
    const form = new FormData(e.currentTarget);
    const email = String(form.get("email") ?? "").trim();
    const password = String(form.get("password") ?? "");
    setBusy(true);
    setError(null);
    const auth = createClient().auth;
    try {
      if (mode === "signin") {
        const { error } = await auth.signInWithPassword({ email, password });
        if (error) return setError(authErrorMessage(error));
        router.replace(next);
        router.refresh();
      } else if (mode === "signup") {
        const { data, error } = await auth.signUp({ email, password, options: { emailRedirectTo: confirmUrl(next) } });
        if (error) return setError(authErrorMessage(error));
        if (data.session) {
          router.replace(next);
          router.refresh();
        } else setSent(`We sent a confirmation link to ${email}. Open it to finish creating your account.`);
      } else if (mode === "magic") {
        const { error } = await auth.signInWithOtp({ email, options: { emailRedirectTo: confirmUrl(next), shouldCreateUser: false } });
        if (error) return setError(authErrorMessage(error));
        setSent(`If ${email} has an account, a sign-in link is on its way.`);
      } else if (mode === "forgot") {
        const { error } = await auth.resetPasswordForEmail(email, { redirectTo: confirmUrl("/update-password") });
        if (error) return setError(authErrorMessage(error));
        setSent(`If ${email} has an account, a link to choose a new password is on its way.`);
      } else {
        const { error } = await auth.updateUser({ password });
        if (error) return setError(authErrorMessage(error));
        router.replace("/account?password=updated");
        router.refresh();
      }
    } catch {
      setError("The sign-in service is unreachable. Try again in a moment.");
    } finally {
      setBusy(false);
    }
  }

  if (sent) return <Alert tone="success">{sent}</Alert>;
  const needsEmail = mode !== "update";
  const needsPassword = mode === "signin" || mode === "signup" || mode === "update";
  const submit = { signin: "Sign in", signup: "Create account", magic: "E-mail me a sign-in link", forgot: "Send reset link", update: "Save new password" }[mode];

  return (
    <form onSubmit={onSubmit} className="flex flex-col gap-4" noValidate={false}>
      {needsEmail ? (
        <div className="flex flex-col gap-1.5">
          <Label htmlFor="email">E-mail</Label>
          <Input id="email" name="email" type="email" required autoComplete="email" />
        </div>
      ) : null}
      {needsPassword ? (
        <div className="flex flex-col gap-1.5">
          <div className="flex items-baseline justify-between">
            <Label htmlFor="password">{mode === "update" ? "New password" : "Password"}</Label>
            {mode === "signin" ? <Link href="/forgot-password" className="text-xs text-muted-foreground hover:underline">Forgot password?</Link> : null}
          </div>
          <Input
            id="password"
            name="password"
            type="password"
            required
            minLength={mode === "signin" ? undefined : 8}
            autoComplete={mode === "signin" ? "current-password" : "new-password"}
            aria-describedby={mode !== "signin" ? "pw-help" : undefined}
          />
          {mode !== "signin" ? <p id="pw-help" className="text-xs text-muted-foreground">At least 8 characters.</p> : null}
        </div>
      ) : null}
      {error ? <Alert tone="error">{error}</Alert> : null}
      <Button type="submit" size="lg" disabled={busy}>{busy ? "Please wait…" : submit}</Button>
      {mode === "signin" ? (
        <Button type="button" variant="outline" onClick={() => { setMode("magic"); setError(null); }}>Use a magic link instead</Button>
      ) : mode === "magic" ? (
        <Button type="button" variant="outline" onClick={() => { setMode("signin"); setError(null); }}>Use a password instead</Button>
      ) : null}
    </form>
  );
}
