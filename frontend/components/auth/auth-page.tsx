import type { ComponentProps, ReactNode } from "react";
import { AuthForm } from "@/components/auth/auth-form";

/** The body of every page in app/(auth-forms): heading, lead, the form, and the links below it. */
export function AuthPage({ title, lead, mode, next, children }: {
  title: string;
  lead: string;
  mode: ComponentProps<typeof AuthForm>["mode"];
  next: string;
  children?: ReactNode;
}) {
  return (
    <>
      <div className="flex flex-col gap-1">
        <h1 className="text-2xl font-semibold tracking-tight">{title}</h1>
        <p className="text-sm text-muted-foreground">{lead}</p>
      </div>
      <AuthForm mode={mode} next={next} />
      {children && <p className="text-center text-sm text-muted-foreground">{children}</p>}
    </>
  );
}
