// Server-side error reporting: off unless SENTRY_DSN (or, as a fallback, NEXT_PUBLIC_SENTRY_DSN) is
// set. No SDK: lib/error-report.ts posts one Sentry envelope per failed request (RSC render, route
// handler, Server Action, proxy) with the route and request id and without credentials. Nothing of
// it reaches the browser bundle.
import type { Instrumentation } from "next";

const dsn = () => process.env.SENTRY_DSN || process.env.NEXT_PUBLIC_SENTRY_DSN || "";

export const onRequestError: Instrumentation.onRequestError = async (error, request, context) => {
  if (!dsn()) return;
  const { reportRequestError } = await import("./lib/error-report");
  await reportRequestError(error, request, context, {
    dsn: dsn(),
    environment: process.env.SENTRY_ENVIRONMENT || process.env.VERCEL_ENV || process.env.NODE_ENV,
    release: process.env.VERCEL_GIT_COMMIT_SHA || undefined,
  });
};
