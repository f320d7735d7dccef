// GoTrue error codes (the stand-in returns the same ones) in words people understand.
const messages: Record<string, string> = {
  invalid_credentials: "Wrong e-mail or password.",
  email_not_confirmed: "Confirm your e-mail first: open the link we sent you.",
  user_already_exists: "An account with this e-mail already exists. Sign in instead.",
  email_exists: "An account with this e-mail already exists. Sign in instead.",
  weak_password: "Choose a stronger password (at least 8 characters).",
  over_request_rate_limit: "Too many attempts. Wait a minute and try again.",
  over_email_send_rate_limit: "Too many e-mails sent. Wait a minute and try again.",
  validation_failed: "Check the e-mail address and try again.",
  same_password: "The new password must differ from the old one.",
  otp_expired: "That link has expired. Ask for a new one.",
  session_not_found: "Your session ended. Sign in again.",
};

// Older GoTrue responses carry no error_code, only the message.
const byMessage: Record<string, string> = {
  "invalid login credentials": "invalid_credentials",
  "email not confirmed": "email_not_confirmed",
  "user already registered": "user_already_exists",
};

export function authErrorMessage(e: { code?: string; message?: string } | null | undefined): string {
  if (!e) return "Something went wrong. Try again.";
  const code = e.code ?? byMessage[(e.message ?? "").toLowerCase()];
  return (code && messages[code]) || e.message || "Something went wrong. Try again.";
}
