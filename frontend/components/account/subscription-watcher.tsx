"use client";

import { useRouter } from "next/navigation";
import { useUserChannel } from "./use-user-channel";

/** Re-renders the account page when Stripe's webhook changes the subscription (e.g. after Checkout). */
export function SubscriptionWatcher({ userId }: { userId: string }) {
  const router = useRouter();
  useUserChannel(userId, { subscription: () => router.refresh() });
  return null;
}
