package stripelocal

import (
	"context"
	"time"

	"github.com/octanebridge/octane-bridge/internal/periodic"
)

// The billing lifecycle: what Stripe does when a Checkout is paid, a plan is switched or
// cancelled, a card is replaced or a period ends. Every function here runs with mu held and
// emits the events Stripe would send.

// attachCard saves a card on the customer (payment_method.attached) and makes it the default
// for invoices (customer.updated).
func (s *Server) attachCard(cus *Customer, c card) *PaymentMethod {
	pm := &PaymentMethod{ID: newID("pm"), Customer: cus.ID, Brand: c.Brand, Last4: c.Last4(), ExpMonth: c.ExpMonth, ExpYear: c.ExpYear,
		Card: c.Number, Created: s.now(), Seq: s.st.next()}
	s.st.PaymentMethods[pm.ID] = pm
	s.emit("payment_method.attached", s.st.renderPaymentMethod(pm), nil)
	prev := map[string]any{"invoice_settings": map[string]any{"default_payment_method": nullStr(cus.DefaultPM)}}
	cus.DefaultPM = pm.ID
	s.emit("customer.updated", s.st.renderCustomer(cus), prev)
	return pm
}

// newInvoice opens an invoice for one period of a price (invoice.created, invoice.finalized).
func (s *Server) newInvoice(sub *Subscription, p *Price, amount int64, reason string, start, end int64) *Invoice {
	in := &Invoice{ID: newID("in"), Customer: sub.Customer, Subscription: sub.ID, Price: p.ID, Status: "open", BillingReason: reason,
		Currency: p.Currency, Amount: amount, Created: s.now(), PeriodStart: start, PeriodEnd: end, Seq: s.st.next()}
	s.st.Invoices[in.ID] = in
	sub.LatestInvoice = in.ID
	s.emit("invoice.created", s.st.renderInvoice(in), nil)
	s.emit("invoice.finalized", s.st.renderInvoice(in), nil)
	return in
}

// pay charges an open invoice to a card: paid (invoice.paid, invoice.payment_succeeded) or, with
// the decline's message, still open (invoice.payment_failed).
func (s *Server) pay(in *Invoice, pm *PaymentMethod, authenticated bool) string {
	in.AttemptCount++
	in.PaymentMethod = pm.ID
	if msg := chargeError(pm.Card, authenticated); msg != "" {
		s.emit("invoice.payment_failed", s.st.renderInvoice(in), nil)
		return msg
	}
	in.Status, in.PaidAt = "paid", s.now()
	s.emit("invoice.paid", s.st.renderInvoice(in), nil)
	s.emit("invoice.payment_succeeded", s.st.renderInvoice(in), nil)
	return ""
}

// completeCheckout pays a subscription-mode session with a card: the card is attached, the
// subscription starts (customer.subscription.created), its first invoice is paid and the session
// completes (checkout.session.completed). A declined card leaves the session open with its
// message and nothing but the saved card, as on Stripe.
func (s *Server) completeCheckout(cs *CheckoutSession, c card, authenticated bool) string {
	cus := s.st.Customers[cs.Customer]
	p := s.st.Prices[cs.Price]
	if cus == nil || p == nil {
		return "This checkout can no longer be paid."
	}
	pm := s.attachCard(cus, c)
	if msg := chargeError(pm.Card, authenticated); msg != "" {
		return msg
	}
	now := s.now()
	sub := &Subscription{ID: newID("sub"), Customer: cus.ID, Price: p.ID, ItemID: newID("si"), Status: "incomplete", Currency: p.Currency,
		DefaultPM: pm.ID, Metadata: copyMap(cs.SubscriptionMetadata), Created: now, ItemCreated: now,
		PeriodStart: now, PeriodEnd: addInterval(now, p.Interval, p.IntervalCount), Seq: s.st.next()}
	s.st.Subscriptions[sub.ID] = sub
	in := s.newInvoice(sub, p, p.UnitAmount*cs.Quantity, "subscription_create", sub.PeriodStart, sub.PeriodEnd)
	s.pay(in, pm, authenticated)
	sub.Status = "active"
	s.emit("customer.subscription.created", s.st.renderSubscription(sub), nil)
	cs.Status, cs.PaymentStatus, cs.Subscription, cs.Invoice = "complete", "paid", sub.ID, in.ID
	s.emit("checkout.session.completed", s.st.renderCheckoutSession(cs, s.cfg.BaseURL), nil)
	return ""
}

// setCancelAtPeriodEnd schedules (or takes back) the end of a subscription at its period's end.
func (s *Server) setCancelAtPeriodEnd(sub *Subscription, on bool) {
	if sub.CancelAtPeriodEnd == on {
		return
	}
	prev := map[string]any{"cancel_at_period_end": sub.CancelAtPeriodEnd, "cancel_at": nil, "canceled_at": nullable(sub.CanceledAt)}
	if sub.CancelAtPeriodEnd {
		prev["cancel_at"] = sub.PeriodEnd
	}
	sub.CancelAtPeriodEnd = on
	sub.CanceledAt = 0
	if on {
		sub.CanceledAt = s.now()
	}
	s.emit("customer.subscription.updated", s.st.renderSubscription(sub), prev)
}

// cancelNow ends a subscription at once (customer.subscription.deleted); Stripe refunds nothing
// by default, and neither does this.
func (s *Server) cancelNow(sub *Subscription) {
	if sub.Status == "canceled" {
		return
	}
	now := s.now()
	sub.Status, sub.EndedAt = "canceled", now
	if sub.CanceledAt == 0 || !sub.CancelAtPeriodEnd {
		sub.CanceledAt = now
	}
	s.emit("customer.subscription.deleted", s.st.renderSubscription(sub), nil)
}

// switchPrice moves a subscription to another price of the same product. Switching interval
// restarts the billing period now and charges the new price less the unused part of the old
// period (Stripe's default proration); a declined charge leaves the plan as it was.
func (s *Server) switchPrice(sub *Subscription, to *Price) string {
	from := s.st.Prices[sub.Price]
	if from == nil || to.ID == from.ID {
		return ""
	}
	pm := s.st.PaymentMethods[sub.DefaultPM]
	if pm == nil {
		return "Add a card first."
	}
	now := s.now()
	prev := map[string]any{"items": s.st.renderSubscription(sub)["items"], "current_period_start": sub.PeriodStart, "current_period_end": sub.PeriodEnd}
	if from.Interval == to.Interval && from.IntervalCount == to.IntervalCount {
		sub.Price = to.ID // same cycle: the next invoice has the new price
		s.emit("customer.subscription.updated", s.st.renderSubscription(sub), prev)
		return ""
	}
	unused := int64(0)
	if total := sub.PeriodEnd - sub.PeriodStart; total > 0 && sub.PeriodEnd > now {
		unused = from.UnitAmount * (sub.PeriodEnd - now) / total
	}
	amount := max(to.UnitAmount-unused, 0)
	end := addInterval(now, to.Interval, to.IntervalCount)
	in := s.newInvoice(sub, to, amount, "subscription_update", now, end)
	if msg := s.pay(in, pm, false); msg != "" {
		in.Status = "void"
		sub.LatestInvoice = ""
		return msg
	}
	sub.Price, sub.PeriodStart, sub.PeriodEnd = to.ID, now, end
	s.emit("customer.subscription.updated", s.st.renderSubscription(sub), prev)
	return ""
}

// renew is the end of a period: a subscription set to cancel ends; any other is invoiced for
// the next period and charged to its card. A declined renewal makes it past_due; a second one
// while past_due cancels it (Stripe's default once its retries are exhausted).
func (s *Server) renew(sub *Subscription) string {
	switch sub.Status {
	case "canceled", "incomplete", "incomplete_expired":
		return ""
	}
	if sub.CancelAtPeriodEnd {
		s.cancelNow(sub)
		return ""
	}
	p := s.st.Prices[sub.Price]
	if p == nil {
		return ""
	}
	prev := map[string]any{"status": sub.Status, "current_period_start": sub.PeriodStart, "current_period_end": sub.PeriodEnd}
	start := sub.PeriodEnd
	if start < s.now()-86400*366 { // a period that ended long ago: start from now
		start = s.now()
	}
	end := addInterval(start, p.Interval, p.IntervalCount)
	in := s.newInvoice(sub, p, p.UnitAmount, "subscription_cycle", start, end)
	sub.PeriodStart, sub.PeriodEnd = start, end
	msg := msgRenewalDeclined
	if pm := s.st.PaymentMethods[sub.DefaultPM]; pm != nil {
		msg = s.pay(in, pm, false)
	}
	if msg == "" {
		sub.Status = "active"
		s.emit("customer.subscription.updated", s.st.renderSubscription(sub), prev)
		return ""
	}
	if sub.Status == "past_due" {
		in.Status = "uncollectible"
		s.cancelNow(sub)
		return msg
	}
	sub.Status = "past_due"
	s.emit("customer.subscription.updated", s.st.renderSubscription(sub), prev)
	return msg
}

// payOpenInvoice retries a past_due subscription's open invoice with its (new) card.
func (s *Server) payOpenInvoice(sub *Subscription, authenticated bool) string {
	in := s.st.Invoices[sub.LatestInvoice]
	pm := s.st.PaymentMethods[sub.DefaultPM]
	if in == nil || in.Status != "open" || pm == nil {
		return ""
	}
	if msg := s.pay(in, pm, authenticated); msg != "" {
		return msg
	}
	if sub.Status == "past_due" {
		prev := map[string]any{"status": sub.Status}
		sub.Status = "active"
		s.emit("customer.subscription.updated", s.st.renderSubscription(sub), prev)
	}
	return ""
}

// useCard makes a newly attached card the default of the customer's live subscriptions.
func (s *Server) useCard(cus *Customer, pm *PaymentMethod) {
	for _, sub := range s.st.Subscriptions {
		if sub.Customer == cus.ID && sub.Status != "canceled" && sub.DefaultPM != pm.ID {
			prev := map[string]any{"default_payment_method": nullStr(sub.DefaultPM)}
			sub.DefaultPM = pm.ID
			s.emit("customer.subscription.updated", s.st.renderSubscription(sub), prev)
		}
	}
}

// renewDue renews every subscription whose period has ended (the clock of a running server).
func (s *Server) renewDue() {
	s.mu.Lock()
	defer s.mu.Unlock()
	now := s.now()
	changed := false
	for _, sub := range s.st.Subscriptions {
		if sub.PeriodEnd <= now && sub.Status != "canceled" && sub.Status != "incomplete" && sub.Status != "incomplete_expired" {
			s.renew(sub)
			changed = true
		}
	}
	if changed {
		s.saveOrLog()
	}
}

func (s *Server) saveOrLog() {
	if err := s.save(); err != nil {
		s.log.Error("save state", "err", err)
	}
}

func copyMap(m map[string]string) map[string]string {
	out := make(map[string]string, len(m))
	for k, v := range m {
		out[k] = v
	}
	return out
}

// RunClock renews subscriptions whose period ended, every interval, until ctx ends (Stripe's
// own clock; the portal's "end the current period now" button moves one forward by hand).
func (s *Server) RunClock(ctx context.Context, every time.Duration) {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	defer context.AfterFunc(s.ctx, cancel)() // Close stops the clock too
	periodic.Run(ctx, every, nil, s.renewDue)
}
