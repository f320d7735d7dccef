package stripelocal

// The demo account of supabase/seed.sql, so that the seeded database and this Stripe agree:
// the library's product and its two prices, and the pro user's customer, card and subscription
// (TestSeedMatchesTheDatabaseSeed compares them with the seeded database).
const (
	ProUserID       = "11111111-1111-4111-8111-111111111111"
	ProEmail        = "pro@octane.local"
	ProCustomer     = "cus_demo_pro"
	ProSubscription = "sub_demo_pro"
	LibraryProduct  = "prod_octane_pro"
	PriceMonthly    = "price_pro_monthly"
	PriceYearly     = "price_pro_yearly"
)

func seed(st *State, now int64) {
	st.Products[LibraryProduct] = &Product{ID: LibraryProduct, Active: true, Name: "Octane Bridge Pro",
		Description: "Every shader in the library, imported in one click.", Created: now, Seq: st.next()}
	st.Prices[PriceMonthly] = &Price{ID: PriceMonthly, Product: LibraryProduct, Active: true, Currency: "usd",
		UnitAmount: 1200, Interval: "month", IntervalCount: 1, LookupKey: "pro_monthly", Nickname: "Monthly", Created: now, Seq: st.next()}
	st.Prices[PriceYearly] = &Price{ID: PriceYearly, Product: LibraryProduct, Active: true, Currency: "usd",
		UnitAmount: 12000, Interval: "year", IntervalCount: 1, LookupKey: "pro_yearly", Nickname: "Yearly", Created: now, Seq: st.next()}
	st.PaymentMethods["pm_demo_pro"] = &PaymentMethod{ID: "pm_demo_pro", Customer: ProCustomer, Brand: "visa", Last4: "4242",
		ExpMonth: 12, ExpYear: 2034, Card: cardVisa, Created: now, Seq: st.next()}
	st.Customers[ProCustomer] = &Customer{ID: ProCustomer, Email: ProEmail, Metadata: map[string]string{"user_id": ProUserID},
		DefaultPM: "pm_demo_pro", Created: now, Seq: st.next()}
	// The seed's period: started 3 days ago, ends in 10 years (the demo user stays Pro).
	start := now - 3*86400
	st.Subscriptions[ProSubscription] = &Subscription{ID: ProSubscription, Customer: ProCustomer, Price: PriceMonthly,
		ItemID: "si_demo_pro", Status: "active", Currency: "usd", DefaultPM: "pm_demo_pro",
		Metadata: map[string]string{"user_id": ProUserID}, Created: start, ItemCreated: start,
		PeriodStart: start, PeriodEnd: addInterval(start, "year", 10), Seq: st.next()}
}
