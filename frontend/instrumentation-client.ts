// Error reporting in the browser: off unless NEXT_PUBLIC_SENTRY_DSN is set at build time (the
// branch is then compiled out, so the SDK adds nothing to the bundle).
const dsn = process.env.NEXT_PUBLIC_SENTRY_DSN;
if (dsn) {
  void import("@sentry/nextjs").then((Sentry) =>
    Sentry.init({ dsn, tracesSampleRate: 0.1, sendDefaultPii: false }),
  );
}
