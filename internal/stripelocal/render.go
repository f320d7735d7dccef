package stripelocal

import "strconv"

// Objects as Stripe's API answers them on API version 2023-10-16 (the billing period on the
// subscription, the invoice's subscription at the top level). Only the fields a client of this
// project reads, plus the ones that identify the object, are rendered.

func meta(m map[string]string) map[string]string {
	if m == nil {
		return map[string]string{}
	}
	return m
}

func nullable(v int64) any {
	if v == 0 {
		return nil
	}
	return v
}

func nullStr(v string) any {
	if v == "" {
		return nil
	}
	return v
}

func (st *State) renderCustomer(c *Customer) map[string]any {
	return map[string]any{
		"id": c.ID, "object": "customer", "email": nullStr(c.Email), "name": nullStr(c.Name),
		"metadata": meta(c.Metadata), "created": c.Created, "livemode": false, "currency": "usd",
		"invoice_settings": map[string]any{"default_payment_method": nullStr(c.DefaultPM), "custom_fields": nil, "footer": nil},
	}
}

func (st *State) renderProduct(p *Product) map[string]any {
	return map[string]any{
		"id": p.ID, "object": "product", "active": p.Active, "name": p.Name, "description": nullStr(p.Description),
		"metadata": meta(p.Metadata), "created": p.Created, "updated": p.Created, "livemode": false, "type": "service",
	}
}

func (st *State) renderPrice(p *Price) map[string]any {
	out := map[string]any{
		"id": p.ID, "object": "price", "active": p.Active, "currency": p.Currency, "product": p.Product,
		"unit_amount": p.UnitAmount, "unit_amount_decimal": strconv.FormatInt(p.UnitAmount, 10), "billing_scheme": "per_unit",
		"lookup_key": nullStr(p.LookupKey), "nickname": nullStr(p.Nickname), "metadata": meta(p.Metadata),
		"created": p.Created, "livemode": false, "type": "one_time", "recurring": nil, "tax_behavior": "unspecified",
	}
	if p.Interval != "" {
		out["type"] = "recurring"
		out["recurring"] = map[string]any{"interval": p.Interval, "interval_count": p.IntervalCount, "usage_type": "licensed", "aggregate_usage": nil}
	}
	return out
}

func (st *State) renderPaymentMethod(pm *PaymentMethod) map[string]any {
	return map[string]any{
		"id": pm.ID, "object": "payment_method", "type": "card", "customer": nullStr(pm.Customer), "created": pm.Created, "livemode": false,
		"card":            map[string]any{"brand": pm.Brand, "last4": pm.Last4, "exp_month": pm.ExpMonth, "exp_year": pm.ExpYear, "funding": "credit", "country": "US"},
		"billing_details": map[string]any{}, "metadata": map[string]string{},
	}
}

func (st *State) renderSubscription(s *Subscription) map[string]any {
	item := map[string]any{
		"id": s.ItemID, "object": "subscription_item", "subscription": s.ID, "quantity": 1, "created": s.ItemCreated, "metadata": map[string]string{},
	}
	if p := st.Prices[s.Price]; p != nil {
		item["price"] = st.renderPrice(p)
	}
	var cancelAt any
	if s.CancelAtPeriodEnd {
		cancelAt = s.PeriodEnd
	}
	return map[string]any{
		"id": s.ID, "object": "subscription", "customer": s.Customer, "status": s.Status, "currency": s.Currency,
		"cancel_at_period_end": s.CancelAtPeriodEnd, "cancel_at": cancelAt, "canceled_at": nullable(s.CanceledAt), "ended_at": nullable(s.EndedAt),
		"current_period_start": s.PeriodStart, "current_period_end": s.PeriodEnd, "billing_cycle_anchor": s.PeriodStart,
		"created": s.Created, "start_date": s.Created, "metadata": meta(s.Metadata), "livemode": false,
		"collection_method": "charge_automatically", "default_payment_method": nullStr(s.DefaultPM),
		"latest_invoice": nullStr(s.LatestInvoice), "quantity": 1,
		"items": map[string]any{"object": "list", "data": []any{item}, "has_more": false, "total_count": 1, "url": "/v1/subscription_items?subscription=" + s.ID},
	}
}

func (st *State) renderInvoice(in *Invoice) map[string]any {
	paid := in.Status == "paid"
	amountPaid := int64(0)
	if paid {
		amountPaid = in.Amount
	}
	line := map[string]any{
		"id": "il_" + in.ID[3:], "object": "line_item", "amount": in.Amount, "currency": in.Currency, "quantity": 1,
		"period": map[string]any{"start": in.PeriodStart, "end": in.PeriodEnd}, "subscription": nullStr(in.Subscription), "type": "subscription",
	}
	if p := st.Prices[in.Price]; p != nil {
		line["price"] = st.renderPrice(p)
	}
	return map[string]any{
		"id": in.ID, "object": "invoice", "customer": in.Customer, "subscription": nullStr(in.Subscription), "status": in.Status,
		"paid": paid, "amount_due": in.Amount, "amount_paid": amountPaid, "amount_remaining": in.Amount - amountPaid, "total": in.Amount, "subtotal": in.Amount,
		"currency": in.Currency, "billing_reason": in.BillingReason, "attempt_count": in.AttemptCount, "attempted": in.AttemptCount > 0,
		"created": in.Created, "period_start": in.PeriodStart, "period_end": in.PeriodEnd, "livemode": false,
		"collection_method": "charge_automatically", "default_payment_method": nullStr(in.PaymentMethod),
		"status_transitions": map[string]any{"paid_at": nullable(in.PaidAt), "finalized_at": in.Created},
		"lines":              map[string]any{"object": "list", "data": []any{line}, "has_more": false, "total_count": 1, "url": "/v1/invoices/" + in.ID + "/lines"},
	}
}

func (st *State) renderCheckoutSession(cs *CheckoutSession, base string) map[string]any {
	var url any
	if cs.Status == "open" {
		url = base + "/c/pay/" + cs.ID
	}
	amount := int64(0)
	currency := "usd"
	if p := st.Prices[cs.Price]; p != nil {
		amount, currency = p.UnitAmount*cs.Quantity, p.Currency
	}
	return map[string]any{
		"id": cs.ID, "object": "checkout.session", "mode": cs.Mode, "status": cs.Status, "payment_status": cs.PaymentStatus,
		"customer": nullStr(cs.Customer), "customer_email": nullStr(cs.CustomerEmail), "client_reference_id": nullStr(cs.ClientReferenceID),
		"success_url": cs.SuccessURL, "cancel_url": nullStr(cs.CancelURL), "url": url, "subscription": nullStr(cs.Subscription),
		"invoice": nullStr(cs.Invoice), "metadata": meta(cs.Metadata), "allow_promotion_codes": cs.AllowPromotionCodes,
		"amount_total": amount, "amount_subtotal": amount, "currency": currency, "created": cs.Created, "expires_at": cs.ExpiresAt,
		"livemode": false, "payment_method_types": []string{"card"},
	}
}

func (st *State) renderPortalSession(ps *PortalSession, base string) map[string]any {
	return map[string]any{
		"id": ps.ID, "object": "billing_portal.session", "customer": ps.Customer, "return_url": nullStr(ps.ReturnURL),
		"url": base + "/p/session/" + ps.ID, "created": ps.Created, "livemode": false, "configuration": "bpc_local", "locale": nil,
	}
}

func (st *State) renderEndpoint(e *Endpoint, withSecret bool) map[string]any {
	out := map[string]any{
		"id": e.ID, "object": "webhook_endpoint", "url": e.URL, "api_version": nullStr(e.APIVersion), "enabled_events": e.Events,
		"description": nullStr(e.Description), "status": "enabled", "created": e.Created, "livemode": false, "metadata": map[string]string{},
	}
	if withSecret {
		out["secret"] = e.Secret
	}
	return out
}

func renderEvent(e *Event, pendingWebhooks int) map[string]any {
	data := map[string]any{"object": e.Object}
	if e.Previous != nil {
		data["previous_attributes"] = e.Previous
	}
	return map[string]any{
		"id": e.ID, "object": "event", "api_version": APIVersion, "created": e.Created, "data": data, "livemode": false,
		"pending_webhooks": pendingWebhooks, "request": map[string]any{"id": nil, "idempotency_key": nil}, "type": e.Type,
	}
}
