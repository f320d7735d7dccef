package stripelocal

import (
	"embed"
	"fmt"
	"html/template"
	"net/http"
	"slices"
	"strings"
	"time"
)

// The hosted pages a Checkout Session's and a Billing Portal session's URL lead to: plain HTML
// forms (no JavaScript), posted back here and answered with a redirect (or the page with its
// message). The session id in the URL is the only credential, as on Stripe.

//go:embed pages.html
var pagesFS embed.FS

var pageTmpl = template.Must(template.New("pages.html").Funcs(template.FuncMap{
	"money": money,
	"date":  func(t int64) string { return time.Unix(t, 0).UTC().Format("January 2, 2006") },
	"per": func(p *Price) string {
		if p == nil || p.Interval == "" {
			return ""
		}
		if p.IntervalCount > 1 {
			return fmt.Sprintf("every %d %ss", p.IntervalCount, p.Interval)
		}
		return "per " + p.Interval
	},
	"title": func(s string) string { return strings.ToUpper(s[:1]) + s[1:] },
}).ParseFS(pagesFS, "pages.html"))

func money(amount int64, currency string) string {
	v := fmt.Sprintf("%d.%02d", amount/100, amount%100)
	if strings.EqualFold(currency, "usd") {
		return "$" + v
	}
	return v + " " + strings.ToUpper(currency)
}

type pageData struct {
	Page, Business, Error, Notice string
	TestCards                     any
	Checkout                      *CheckoutSession
	Customer                      *Customer
	Product                       *Product
	Price                         *Price
	Auth                          *pending
	Amount                        int64
	Currency                      string
	Portal                        *PortalSession
	Subs                          []portalSub
	Card                          *PaymentMethod
	Invoices                      []*Invoice
}

type portalSub struct {
	*Subscription
	Price   *Price
	Product *Product
	Others  []*Price // the product's other recurring prices (plan switch)
}

func (s *Server) routesPages(mux *http.ServeMux) {
	mux.HandleFunc("GET /{$}", func(w http.ResponseWriter, r *http.Request) {
		s.render(w, http.StatusOK, pageData{Page: "index"})
	})
	mux.HandleFunc("GET /c/pay/{id}", onPage(s, s.openSession, s.checkoutPage))
	mux.HandleFunc("POST /c/pay/{id}", onPage(s, s.openSession, s.checkoutPay))
	mux.HandleFunc("GET /authenticate/{id}", onPage(s, s.pendingAt, s.authPage))
	mux.HandleFunc("POST /authenticate/{id}", onPage(s, s.pendingAt, s.authAnswer))
	mux.HandleFunc("GET /p/session/{id}", onPage(s, s.portalAt, s.portalPage))
	mux.HandleFunc("POST /p/session/{id}/{action}", onPage(s, s.portalAt, s.portalAction))
}

// onPage serves a page about one object under the state lock: find looks up the route's {id}
// and, when there is nothing to act on, has already answered (not found, expired, paid).
func onPage[T any](s *Server, find func(http.ResponseWriter, string) *T, fn func(http.ResponseWriter, *http.Request, *T)) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		s.mu.Lock()
		defer s.mu.Unlock()
		if x := find(w, r.PathValue("id")); x != nil {
			fn(w, r, x)
		}
	}
}

func (s *Server) render(w http.ResponseWriter, status int, d pageData) {
	d.Business, d.TestCards = s.cfg.BusinessName, TestCards
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	w.Header().Set("Content-Security-Policy", "default-src 'none'; style-src 'unsafe-inline'; form-action 'self' http: https:; frame-ancestors 'none'")
	w.WriteHeader(status)
	if err := pageTmpl.Execute(w, d); err != nil {
		s.log.Error("render page", "page", d.Page, "err", err)
	}
}

func (s *Server) notFound(w http.ResponseWriter, what string) {
	s.render(w, http.StatusNotFound, pageData{Page: "gone", Error: what})
}

// checkoutData fills the page of an open session; mu is held.
func (s *Server) checkoutData(cs *CheckoutSession) pageData {
	d := pageData{Page: "checkout", Checkout: cs, Customer: s.st.Customers[cs.Customer], Price: s.st.Prices[cs.Price]}
	if d.Price != nil {
		d.Product = s.st.Products[d.Price.Product]
		d.Amount, d.Currency = d.Price.UnitAmount*cs.Quantity, d.Price.Currency
	}
	return d
}

// openSession finds a Checkout Session the page may still act on, or renders why not; mu is held.
func (s *Server) openSession(w http.ResponseWriter, id string) *CheckoutSession {
	cs := s.st.CheckoutSessions[id]
	switch {
	case cs == nil:
		s.notFound(w, "This checkout page does not exist.")
	case cs.Status == "open" && s.now() > cs.ExpiresAt:
		cs.Status = "expired"
		s.emit("checkout.session.expired", s.st.renderCheckoutSession(cs, s.cfg.BaseURL), nil)
		s.saveOrLog()
		fallthrough
	case cs.Status == "expired":
		s.render(w, http.StatusGone, pageData{Page: "gone", Error: "This checkout session has expired.", Checkout: cs})
	case cs.Status == "complete":
		s.render(w, http.StatusOK, pageData{Page: "complete", Checkout: cs})
	default:
		return cs
	}
	return nil
}

func (s *Server) checkoutPage(w http.ResponseWriter, _ *http.Request, cs *CheckoutSession) {
	d := s.checkoutData(cs)
	d.Error = s.takeFlash(cs.ID)
	s.render(w, http.StatusOK, d)
}

// postedCard is the card the page's form posted, or why it cannot be saved: a field's message,
// else the test number's refusal to attach.
func (s *Server) postedCard(r *http.Request) (card, string) {
	c, msg := parseCard(r.PostFormValue("number"), r.PostFormValue("expiry"), r.PostFormValue("cvc"), s.cfg.Now())
	if msg == "" {
		msg = attachError(c.Number)
	}
	return c, msg
}

func (s *Server) checkoutPay(w http.ResponseWriter, r *http.Request, cs *CheckoutSession) {
	c, msg := s.postedCard(r)
	if msg == "" && needsAuth(c.Number) {
		p := &pending{ID: newID("pa"), Kind: "checkout", Target: cs.ID, Card: c, Created: s.now()}
		s.pending[p.ID] = p
		http.Redirect(w, r, "/authenticate/"+p.ID, http.StatusSeeOther)
		return
	}
	if msg == "" {
		msg = s.completeCheckout(cs, c, false)
		s.saveOrLog()
	}
	if msg != "" {
		d := s.checkoutData(cs)
		d.Error = msg
		s.render(w, http.StatusPaymentRequired, d)
		return
	}
	http.Redirect(w, r, successURL(cs), http.StatusSeeOther)
}

// successURL is the session's success URL with {CHECKOUT_SESSION_ID} filled in, as Stripe does.
func successURL(cs *CheckoutSession) string {
	return strings.ReplaceAll(cs.SuccessURL, "{CHECKOUT_SESSION_ID}", cs.ID)
}

// pendingAt and portalAt find a page's object by id, or render why there is none; mu is held.
func (s *Server) pendingAt(w http.ResponseWriter, id string) *pending {
	p := s.pending[id]
	if p == nil {
		s.notFound(w, "This authentication has already been answered or does not exist.")
	}
	return p
}

func (s *Server) portalAt(w http.ResponseWriter, id string) *PortalSession {
	ps := s.st.PortalSessions[id]
	if ps == nil {
		s.notFound(w, "This billing session does not exist.")
	}
	return ps
}

func (s *Server) authPage(w http.ResponseWriter, r *http.Request, p *pending) {
	d := pageData{Page: "authenticate", Auth: p}
	if cs := s.st.CheckoutSessions[p.Target]; p.Kind == "checkout" && cs != nil {
		d = s.checkoutData(cs)
		d.Page, d.Auth = "authenticate", p
	}
	s.render(w, http.StatusOK, d)
}

// authAnswer is the customer's answer on the 3D Secure page: "complete" pays (or saves the
// card), "fail" goes back with Stripe's authentication failure message.
func (s *Server) authAnswer(w http.ResponseWriter, r *http.Request, p *pending) {
	delete(s.pending, p.ID)
	ok := r.PostFormValue("outcome") == "complete"
	switch p.Kind {
	case "checkout":
		cs := s.openSession(w, p.Target)
		if cs == nil {
			return
		}
		msg := msgAuthFailed
		if ok {
			msg = s.completeCheckout(cs, p.Card, true)
			s.saveOrLog()
		}
		if msg == "" {
			http.Redirect(w, r, successURL(cs), http.StatusSeeOther)
			return
		}
		s.setFlash(cs.ID, msg)
		http.Redirect(w, r, "/c/pay/"+cs.ID, http.StatusSeeOther)
	case "card":
		ps := s.portalAt(w, p.Target)
		if ps == nil {
			return
		}
		if ok {
			s.setFlash(ps.ID, s.saveCard(ps, p.Card, true))
			s.saveOrLog()
		} else {
			s.setFlash(ps.ID, "!"+msgAuthFailed)
		}
		http.Redirect(w, r, "/p/session/"+ps.ID, http.StatusSeeOther)
	}
}

// Flash messages: one per session, shown by its next page view. A leading "!" marks an error on
// the portal (the checkout page shows errors only).
func (s *Server) setFlash(id, msg string) {
	if msg != "" {
		s.flash[id] = msg
	}
}

func (s *Server) takeFlash(id string) string {
	msg := s.flash[id]
	delete(s.flash, id)
	return msg
}

func (s *Server) portalPage(w http.ResponseWriter, r *http.Request, ps *PortalSession) {
	d := pageData{Page: "portal", Portal: ps, Customer: s.st.Customers[ps.Customer]}
	if msg := s.takeFlash(ps.ID); strings.HasPrefix(msg, "!") {
		d.Error = msg[1:]
	} else {
		d.Notice = msg
	}
	if d.Customer != nil {
		d.Card = s.st.PaymentMethods[d.Customer.DefaultPM]
	}
	var subs []*Subscription
	for _, sub := range s.st.Subscriptions {
		if sub.Customer == ps.Customer {
			subs = append(subs, sub)
		}
	}
	sortBySeq(subs, func(x *Subscription) int64 { return x.Seq })
	for _, sub := range subs {
		if sub.Status == "canceled" && len(d.Subs) > 0 {
			continue // the ended ones only when nothing is live
		}
		ps := portalSub{Subscription: sub, Price: s.st.Prices[sub.Price]}
		if ps.Price != nil {
			ps.Product = s.st.Products[ps.Price.Product]
			for _, p := range s.st.Prices {
				if p.Product == ps.Price.Product && p.Active && p.Interval != "" && p.ID != ps.Price.ID {
					ps.Others = append(ps.Others, p)
				}
			}
			slices.SortFunc(ps.Others, func(a, b *Price) int { return int(a.UnitAmount - b.UnitAmount) })
		}
		d.Subs = append(d.Subs, ps)
		if sub.Status == "canceled" {
			break
		}
	}
	for _, in := range s.st.Invoices {
		if in.Customer == ps.Customer && in.Status != "void" {
			d.Invoices = append(d.Invoices, in)
		}
	}
	sortBySeq(d.Invoices, func(x *Invoice) int64 { return x.Seq })
	s.render(w, http.StatusOK, d)
}

// portalAction applies one button of the portal and goes back to it with a message.
func (s *Server) portalAction(w http.ResponseWriter, r *http.Request, ps *PortalSession) {
	back := "/p/session/" + ps.ID
	action := r.PathValue("action")
	if action == "card" {
		c, msg := s.postedCard(r)
		switch {
		case msg != "":
			s.setFlash(ps.ID, "!"+msg)
		case needsAuth(c.Number):
			p := &pending{ID: newID("pa"), Kind: "card", Target: ps.ID, Card: c, Created: s.now()}
			s.pending[p.ID] = p
			back = "/authenticate/" + p.ID
		default:
			s.setFlash(ps.ID, s.saveCard(ps, c, false))
		}
		s.saveOrLog()
		http.Redirect(w, r, back, http.StatusSeeOther)
		return
	}
	sub := s.st.Subscriptions[r.PostFormValue("subscription")]
	if sub == nil || sub.Customer != ps.Customer {
		s.notFound(w, "This subscription does not belong to this billing session.")
		return
	}
	var msg string
	switch action {
	case "cancel":
		if r.PostFormValue("when") == "now" {
			s.cancelNow(sub)
			msg = "Your subscription has been canceled."
		} else {
			s.setCancelAtPeriodEnd(sub, true)
			msg = "Your subscription will be canceled on " + time.Unix(sub.PeriodEnd, 0).UTC().Format("January 2, 2006") + "."
		}
	case "resume":
		s.setCancelAtPeriodEnd(sub, false)
		msg = "Your subscription will renew."
	case "switch":
		to := s.st.Prices[r.PostFormValue("price")]
		if to == nil || !to.Active || to.Interval == "" || s.st.Prices[sub.Price] == nil || to.Product != s.st.Prices[sub.Price].Product {
			msg = "!That plan is not available."
		} else if e := s.switchPrice(sub, to); e != "" {
			msg = "!" + e
		} else {
			msg = "Your plan has been updated."
		}
	case "pay":
		if e := s.payOpenInvoice(sub, false); e != "" {
			msg = "!" + e
		} else {
			msg = "The invoice has been paid."
		}
	case "advance":
		if e := s.renew(sub); e != "" {
			msg = "!The renewal payment failed: " + e
		} else {
			msg = "The billing period was advanced."
		}
	default:
		s.notFound(w, "Unknown action.")
		return
	}
	s.setFlash(ps.ID, msg)
	s.saveOrLog()
	http.Redirect(w, r, back, http.StatusSeeOther)
}

// saveCard attaches a card from the portal, makes it the default of the live subscriptions and
// pays an overdue invoice with it. It answers the portal's message.
func (s *Server) saveCard(ps *PortalSession, c card, authenticated bool) string {
	cus := s.st.Customers[ps.Customer]
	if cus == nil {
		return "!This customer no longer exists."
	}
	pm := s.attachCard(cus, c)
	s.useCard(cus, pm)
	for _, sub := range s.st.Subscriptions {
		if sub.Customer == cus.ID && sub.Status == "past_due" {
			if msg := s.payOpenInvoice(sub, authenticated); msg != "" {
				return "!Your card was saved, but the overdue invoice could not be paid: " + msg
			}
		}
	}
	return "Your payment method has been updated."
}
