package stripelocal

import (
	"crypto/rand"
	"time"
)

// APIVersion is the version objects and events are rendered in: stripe-go v76's, the version the
// edge pins and creates its webhook endpoint with.
const APIVersion = "2023-10-16"

// The objects the server keeps. Fields are exported for the state file (JSON); Seq orders lists
// (Stripe lists newest first).

type Customer struct {
	ID, Email, Name string
	Metadata        map[string]string
	DefaultPM       string // invoice_settings.default_payment_method
	Created         int64
	Seq             int64
}

type Product struct {
	ID, Name, Description string
	Active                bool
	Metadata              map[string]string
	Created               int64
	Seq                   int64
}

type Price struct {
	ID, Product, Currency, Interval, LookupKey, Nickname string
	UnitAmount, IntervalCount                            int64
	Active                                               bool
	Metadata                                             map[string]string
	Created                                              int64
	Seq                                                  int64
}

type PaymentMethod struct {
	ID, Customer, Brand, Last4 string
	ExpMonth, ExpYear          int
	Card                       string // the test card's number: decides what charges do
	Created                    int64
	Seq                        int64
}

type Subscription struct {
	ID, Customer, Price, ItemID, Status, DefaultPM, LatestInvoice, Currency string
	Metadata                                                                map[string]string
	CancelAtPeriodEnd                                                       bool
	Created, PeriodStart, PeriodEnd, CanceledAt, EndedAt, ItemCreated       int64
	Seq                                                                     int64
}

type Invoice struct {
	ID, Customer, Subscription, Price, Status, BillingReason, Currency, PaymentMethod string
	Amount                                                                            int64
	AttemptCount                                                                      int
	Created, PaidAt, PeriodStart, PeriodEnd                                           int64
	Seq                                                                               int64
}

type CheckoutSession struct {
	ID, Customer, CustomerEmail, Price, Mode, Status, PaymentStatus string
	ClientReferenceID, SuccessURL, CancelURL, Subscription, Invoice string
	Quantity                                                        int64
	Metadata, SubscriptionMetadata                                  map[string]string
	AllowPromotionCodes                                             bool
	Created, ExpiresAt                                              int64
	Seq                                                             int64
}

type PortalSession struct {
	ID, Customer, ReturnURL string
	Created                 int64
	Seq                     int64
}

type Endpoint struct {
	ID, URL, Secret, APIVersion, Description string
	Events                                   []string
	Created                                  int64
	Seq                                      int64
}

type Event struct {
	ID, Type string
	Object   map[string]any
	Previous map[string]any
	Created  int64
	Seq      int64
}

// pending is a payment waiting for the card's authentication (the 3D Secure page).
type pending struct {
	ID, Kind, Target string // kind "checkout" (Target: session id) or "card" (Target: portal session id)
	Card             card
	Created          int64
}

// State is everything the server knows; it is saved as JSON after every change.
type State struct {
	Seq              int64
	Customers        map[string]*Customer
	Products         map[string]*Product
	Prices           map[string]*Price
	PaymentMethods   map[string]*PaymentMethod
	Subscriptions    map[string]*Subscription
	Invoices         map[string]*Invoice
	CheckoutSessions map[string]*CheckoutSession
	PortalSessions   map[string]*PortalSession
	Endpoints        map[string]*Endpoint
	Events           map[string]*Event
}

func newState() *State {
	return &State{
		Customers: map[string]*Customer{}, Products: map[string]*Product{}, Prices: map[string]*Price{},
		PaymentMethods: map[string]*PaymentMethod{}, Subscriptions: map[string]*Subscription{},
		Invoices: map[string]*Invoice{}, CheckoutSessions: map[string]*CheckoutSession{},
		PortalSessions: map[string]*PortalSession{}, Endpoints: map[string]*Endpoint{}, Events: map[string]*Event{},
	}
}

func (s *State) next() int64 { s.Seq++; return s.Seq }

const idAlphabet = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"

// newID makes a Stripe-looking id: prefix_ and 24 random characters (unguessable: session ids are
// the only credential of the checkout and portal pages, as on Stripe).
func newID(prefix string) string {
	b := make([]byte, 24)
	if _, err := rand.Read(b); err != nil {
		panic(err)
	}
	for i := range b {
		b[i] = idAlphabet[int(b[i])%len(idAlphabet)]
	}
	return prefix + "_" + string(b)
}

// addInterval is the end of a billing period that starts at start.
func addInterval(start int64, interval string, count int64) int64 {
	t := time.Unix(start, 0).UTC()
	n := int(count)
	if n < 1 {
		n = 1
	}
	switch interval {
	case "year":
		t = t.AddDate(n, 0, 0)
	case "week":
		t = t.AddDate(0, 0, 7*n)
	case "day":
		t = t.AddDate(0, 0, n)
	default:
		t = t.AddDate(0, n, 0)
	}
	return t.Unix()
}
