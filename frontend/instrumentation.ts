// Server-side error reporting: off unless SENTRY_DSN (or NEXT_PUBLIC_SENTRY_DSN) is set.
import type { Instrumentation } from "next";

const dsn = () => process.env.SENTRY_DSN || process.env.NEXT_PUBLIC_SENTRY_DSN || "";

export async function register() {
  if (!dsn()) return;
  const Sentry = await import("@sentry/nextjs");
  Sentry.init({ dsn: dsn(), tracesSampleRate: 0.1, sendDefaultPii: false });
}

export const onRequestError: Instrumentation.onRequestError = async (...args) => {
  if (!dsn()) return;
  const Sentry = await import("@sentry/nextjs");
  Sentry.captureRequestError(...args);
};
