"use client";

import { useEffect } from "react";
import { useRouter } from "next/navigation";
import { useUserChannel } from "./use-user-channel";

/**
 * Re-renders the page when Stripe's webhook changes the subscription (after Checkout, a cancel in
 * the portal): the account page's plan and a shader page's paywall follow within a second.
 * awaitingCheckout re-reads once the channel is live, for a confirmation broadcast before it was.
 */
export function SubscriptionWatcher({ userId, awaitingCheckout = false }: { userId: string; awaitingCheckout?: boolean }) {
  const router = useRouter();
  const state = useUserChannel(userId, { subscription: () => router.refresh() });
  useEffect(() => {
    if (awaitingCheckout && state === "live") router.refresh();
  }, [awaitingCheckout, state, router]);
  return null;
}
