package stripelocal

import (
	"encoding/json"
	"fmt"
	"io"
	"maps"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"
)

// The REST API, as stripe-go calls it: form-encoded parameters (a[b][0]=c), a secret key as
// bearer, Idempotency-Key on POSTs, JSON answers and Stripe's error objects.

type apiError struct {
	status                    int
	typ, code, param, message string
}

func (e *apiError) Error() string { return e.message }

func invalid(param, msg string) *apiError {
	return &apiError{status: http.StatusBadRequest, typ: "invalid_request_error", code: "parameter_invalid", param: param, message: msg}
}

func missing(param string) *apiError {
	return &apiError{status: http.StatusBadRequest, typ: "invalid_request_error", code: "parameter_missing", param: param,
		message: "Missing required param: " + param + "."}
}

func noSuch(kind, param, id string) *apiError {
	return &apiError{status: http.StatusNotFound, typ: "invalid_request_error", code: "resource_missing", param: param,
		message: fmt.Sprintf("No such %s: '%s'", kind, id)}
}

// byPathID is the object the route's {id} names in m, or Stripe's resource_missing for kind.
func byPathID[T any](r *http.Request, m map[string]*T, kind string) (*T, *apiError) {
	id := r.PathValue("id")
	if x := m[id]; x != nil {
		return x, nil
	}
	return nil, noSuch(kind, "id", id)
}

// apiHandler is one API route: it reads the parameters and answers an object (rendered under mu).
type apiHandler func(r *http.Request, p url.Values) (any, *apiError)

func (s *Server) routesAPI(mux *http.ServeMux) {
	h := func(pattern string, fn apiHandler) { mux.Handle(pattern, s.api(fn)) }
	h("POST /v1/customers", s.createCustomer)
	h("GET /v1/customers", listOf(s, func(st *State, p url.Values) []item {
		return collect(st.Customers, func(c *Customer) (int64, any, bool) { return c.Seq, st.renderCustomer(c), matches(p, "email", c.Email) })
	}, "/v1/customers"))
	h("GET /v1/customers/{id}", getOne(s, func(st *State) map[string]*Customer { return st.Customers }, func(st *State, x *Customer) any { return st.renderCustomer(x) }, "customer", "id"))
	h("POST /v1/customers/{id}", s.updateCustomer)
	h("POST /v1/products", s.createProduct)
	h("GET /v1/products", listOf(s, func(st *State, p url.Values) []item {
		return collect(st.Products, func(x *Product) (int64, any, bool) {
			return x.Seq, st.renderProduct(x), matchesBool(p, "active", x.Active)
		})
	}, "/v1/products"))
	h("GET /v1/products/{id}", getOne(s, func(st *State) map[string]*Product { return st.Products }, func(st *State, x *Product) any { return st.renderProduct(x) }, "product", "id"))
	h("POST /v1/products/{id}", s.updateProduct)
	h("POST /v1/prices", s.createPrice)
	h("GET /v1/prices", listOf(s, func(st *State, p url.Values) []item {
		return collect(st.Prices, func(x *Price) (int64, any, bool) {
			return x.Seq, st.renderPrice(x), matchesBool(p, "active", x.Active) && matches(p, "product", x.Product) &&
				(len(p["lookup_keys[0]"]) == 0 || inValues(p, "lookup_keys", x.LookupKey))
		})
	}, "/v1/prices"))
	h("GET /v1/prices/{id}", getOne(s, func(st *State) map[string]*Price { return st.Prices }, func(st *State, x *Price) any { return st.renderPrice(x) }, "price", "id"))
	h("GET /v1/payment_methods/{id}", getOne(s, func(st *State) map[string]*PaymentMethod { return st.PaymentMethods }, func(st *State, x *PaymentMethod) any { return st.renderPaymentMethod(x) }, "PaymentMethod", "id"))
	h("GET /v1/subscriptions", listOf(s, func(st *State, p url.Values) []item {
		status := p.Get("status")
		return collect(st.Subscriptions, func(x *Subscription) (int64, any, bool) {
			ok := status == "all" || status == x.Status || status == "" && x.Status != "canceled" && x.Status != "incomplete_expired"
			return x.Seq, st.renderSubscription(x), ok && matches(p, "customer", x.Customer) && matches(p, "price", x.Price)
		})
	}, "/v1/subscriptions"))
	h("GET /v1/subscriptions/{id}", getOne(s, func(st *State) map[string]*Subscription { return st.Subscriptions }, func(st *State, x *Subscription) any { return st.renderSubscription(x) }, "subscription", "id"))
	h("POST /v1/subscriptions/{id}", s.updateSubscription)
	h("DELETE /v1/subscriptions/{id}", s.deleteSubscription)
	h("GET /v1/invoices", listOf(s, func(st *State, p url.Values) []item {
		return collect(st.Invoices, func(x *Invoice) (int64, any, bool) {
			return x.Seq, st.renderInvoice(x), matches(p, "customer", x.Customer) && matches(p, "subscription", x.Subscription) && matches(p, "status", x.Status)
		})
	}, "/v1/invoices"))
	h("GET /v1/invoices/{id}", getOne(s, func(st *State) map[string]*Invoice { return st.Invoices }, func(st *State, x *Invoice) any { return st.renderInvoice(x) }, "invoice", "id"))
	h("POST /v1/checkout/sessions", s.createCheckoutSession)
	h("GET /v1/checkout/sessions/{id}", getOne(s, func(st *State) map[string]*CheckoutSession { return st.CheckoutSessions }, func(st *State, x *CheckoutSession) any { return st.renderCheckoutSession(x, s.cfg.BaseURL) }, "checkout.session", "session"))
	h("POST /v1/checkout/sessions/{id}/expire", s.expireCheckoutSession)
	h("POST /v1/billing_portal/sessions", s.createPortalSession)
	h("POST /v1/webhook_endpoints", s.createEndpoint)
	h("GET /v1/webhook_endpoints", listOf(s, func(st *State, p url.Values) []item {
		return collect(st.Endpoints, func(x *Endpoint) (int64, any, bool) { return x.Seq, st.renderEndpoint(x, false), true })
	}, "/v1/webhook_endpoints"))
	h("DELETE /v1/webhook_endpoints/{id}", func(r *http.Request, p url.Values) (any, *apiError) {
		id := r.PathValue("id")
		if s.st.Endpoints[id] == nil {
			return nil, noSuch("webhook endpoint", "id", id)
		}
		delete(s.st.Endpoints, id)
		return map[string]any{"id": id, "object": "webhook_endpoint", "deleted": true}, nil
	})
	h("GET /v1/events", listOf(s, func(st *State, p url.Values) []item {
		return collect(st.Events, func(x *Event) (int64, any, bool) { return x.Seq, renderEvent(x, 0), matches(p, "type", x.Type) })
	}, "/v1/events"))
	h("GET /v1/events/{id}", getOne(s, func(st *State) map[string]*Event { return st.Events }, func(st *State, x *Event) any { return renderEvent(x, 0) }, "event", "id"))
	mux.Handle("/v1/", s.api(func(r *http.Request, _ url.Values) (any, *apiError) {
		return nil, &apiError{status: http.StatusNotFound, typ: "invalid_request_error",
			message: fmt.Sprintf("Unrecognized request URL (%s: %s). The local Stripe implements only what the project uses (docs/billing.md).", r.Method, r.URL.Path)}
	}))
}

// api wraps a handler: the key check, parameters, Idempotency-Key, the lock, the answer.
func (s *Server) api(fn apiHandler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		key := bearer(r)
		if key == "" {
			writeError(w, &apiError{status: http.StatusUnauthorized, typ: "invalid_request_error",
				message: "You did not provide an API key. You need to provide your API key in the Authorization header, using Bearer auth (e.g. 'Authorization: Bearer YOUR_SECRET_KEY')."})
			return
		}
		if !strings.HasPrefix(key, "sk_test_") && !strings.HasPrefix(key, "rk_test_") {
			writeError(w, &apiError{status: http.StatusUnauthorized, typ: "invalid_request_error", code: "api_key_invalid",
				message: "Invalid API Key provided: the local Stripe accepts test-mode secret keys (sk_test_...) only."})
			return
		}
		body, _ := io.ReadAll(io.LimitReader(r.Body, 1<<20))
		params, err := url.ParseQuery(string(body))
		if err != nil {
			writeError(w, invalid("", "Invalid request body: "+err.Error()))
			return
		}
		for k, v := range r.URL.Query() {
			params[k] = append(params[k], v...)
		}
		s.mu.Lock()
		defer s.mu.Unlock()
		idem := ""
		if k := r.Header.Get("Idempotency-Key"); k != "" && r.Method == http.MethodPost {
			idem = key + "|" + r.URL.Path + "|" + k
			if e, ok := s.idem[idem]; ok && time.Since(e.at) < 24*time.Hour {
				w.Header().Set("Content-Type", "application/json")
				w.Header().Set("Idempotent-Replayed", "true")
				w.WriteHeader(e.status)
				w.Write(e.body)
				return
			}
		}
		out, aerr := fn(r, params)
		var status int
		var b []byte
		if aerr != nil {
			status, b = aerr.status, errorBody(aerr)
		} else {
			status = http.StatusOK
			b, _ = json.Marshal(out)
		}
		if idem != "" && status < 500 {
			if len(s.idem) >= 10000 { // keys live 24 h, as on Stripe
				for k, e := range s.idem {
					if time.Since(e.at) >= 24*time.Hour {
						delete(s.idem, k)
					}
				}
			}
			s.idem[idem] = idemEntry{status: status, body: b, at: time.Now()}
		}
		if r.Method != http.MethodGet {
			s.saveOrLog()
		}
		w.Header().Set("Content-Type", "application/json")
		w.Header().Set("Request-Id", newID("req"))
		w.WriteHeader(status)
		w.Write(b)
	})
}

func bearer(r *http.Request) string {
	if a := r.Header.Get("Authorization"); strings.HasPrefix(a, "Bearer ") {
		return strings.TrimSpace(a[len("Bearer "):])
	}
	if u, _, ok := r.BasicAuth(); ok {
		return u
	}
	return ""
}

func errorBody(e *apiError) []byte {
	o := map[string]any{"type": e.typ, "message": e.message}
	if e.code != "" {
		o["code"] = e.code
	}
	if e.param != "" {
		o["param"] = e.param
	}
	b, _ := json.Marshal(map[string]any{"error": o})
	return b
}

func writeError(w http.ResponseWriter, e *apiError) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(e.status)
	w.Write(errorBody(e))
}

// getOne answers GET /v1/<objects>/{id}: the object rendered, or Stripe's resource_missing.
func getOne[T any](s *Server, objects func(*State) map[string]*T, render func(*State, *T) any, kind, param string) apiHandler {
	return func(r *http.Request, _ url.Values) (any, *apiError) {
		id := r.PathValue("id")
		if x := objects(s.st)[id]; x != nil {
			return render(s.st, x), nil
		}
		return nil, noSuch(kind, param, id)
	}
}

type item struct {
	seq int64
	id  string
	obj any
}

// collect renders the objects of a map that pass the filter.
func collect[T any](m map[string]*T, fn func(*T) (int64, any, bool)) []item {
	var out []item
	for id, x := range m {
		if seq, obj, ok := fn(x); ok {
			out = append(out, item{seq: seq, id: id, obj: obj})
		}
	}
	return out
}

// listOf answers a list endpoint: newest first, limit (1–100, default 10) and starting_after.
func listOf(s *Server, items func(*State, url.Values) []item, path string) apiHandler {
	return func(_ *http.Request, p url.Values) (any, *apiError) {
		limit := 10
		if v := p.Get("limit"); v != "" {
			n, err := strconv.Atoi(v)
			if err != nil || n < 1 || n > 100 {
				return nil, invalid("limit", "Invalid integer: limit must be between 1 and 100.")
			}
			limit = n
		}
		xs := items(s.st, p)
		sortBySeq(xs, func(x item) int64 { return x.seq })
		if after := p.Get("starting_after"); after != "" {
			i := 0
			for i < len(xs) && xs[i].id != after {
				i++
			}
			if i == len(xs) {
				return nil, noSuch("object", "starting_after", after)
			}
			xs = xs[i+1:]
		}
		more := len(xs) > limit
		if more {
			xs = xs[:limit]
		}
		data := make([]any, len(xs))
		for i, x := range xs {
			data[i] = x.obj
		}
		return map[string]any{"object": "list", "data": data, "has_more": more, "url": path}, nil
	}
}

func matches(p url.Values, key, v string) bool { return p.Get(key) == "" || p.Get(key) == v }

func matchesBool(p url.Values, key string, v bool) bool {
	return p.Get(key) == "" || p.Get(key) == strconv.FormatBool(v)
}

// inValues reads an array parameter (key[0], key[1], ...) and reports whether v is in it.
func inValues(p url.Values, key, v string) bool {
	for _, x := range arrayParam(p, key) {
		if x == v {
			return true
		}
	}
	return false
}

func arrayParam(p url.Values, key string) []string {
	var out []string
	for i := 0; ; i++ {
		v, ok := p[fmt.Sprintf("%s[%d]", key, i)]
		if !ok {
			return append(out, p[key+"[]"]...)
		}
		out = append(out, v...)
	}
}

// metadataParam reads prefix[metadata][k]=v (or metadata[k]=v with prefix "").
func metadataParam(p url.Values, prefix string) map[string]string {
	m := map[string]string{}
	start := "metadata["
	if prefix != "" {
		start = prefix + "[metadata]["
	}
	for k, v := range p {
		if strings.HasPrefix(k, start) && strings.HasSuffix(k, "]") && len(v) > 0 {
			m[k[len(start):len(k)-1]] = v[0]
		}
	}
	return m
}

func boolParam(p url.Values, key string) (bool, bool) {
	v := p.Get(key)
	return v == "true", v != ""
}

// stringParam is an update's string field: named in the request, it is replaced (empty clears it).
func stringParam(p url.Values, key string, field *string) {
	if _, ok := p[key]; ok {
		*field = p.Get(key)
	}
}

// mergeMetadata is an update's metadata: the keys sent are set, the others kept (Stripe merges).
// It says whether any were sent.
func mergeMetadata(p url.Values, md *map[string]string) bool {
	sent := metadataParam(p, "")
	if len(sent) == 0 {
		return false
	}
	if *md == nil {
		*md = map[string]string{}
	}
	maps.Copy(*md, sent)
	return true
}

func (s *Server) createCustomer(_ *http.Request, p url.Values) (any, *apiError) {
	c := &Customer{ID: newID("cus"), Email: p.Get("email"), Name: p.Get("name"), Metadata: metadataParam(p, ""), Created: s.now(), Seq: s.st.next()}
	s.st.Customers[c.ID] = c
	return s.emitted("customer.created", s.st.renderCustomer(c))
}

func (s *Server) updateCustomer(r *http.Request, p url.Values) (any, *apiError) {
	c, err := byPathID(r, s.st.Customers, "customer")
	if err != nil {
		return nil, err
	}
	stringParam(p, "email", &c.Email)
	stringParam(p, "name", &c.Name)
	mergeMetadata(p, &c.Metadata)
	return s.emitted("customer.updated", s.st.renderCustomer(c))
}

func (s *Server) createProduct(_ *http.Request, p url.Values) (any, *apiError) {
	if p.Get("name") == "" {
		return nil, missing("name")
	}
	id := p.Get("id")
	if id == "" {
		id = newID("prod")
	} else if s.st.Products[id] != nil {
		return nil, invalid("id", "Product already exists.")
	}
	active, set := boolParam(p, "active")
	x := &Product{ID: id, Name: p.Get("name"), Description: p.Get("description"), Active: active || !set,
		Metadata: metadataParam(p, ""), Created: s.now(), Seq: s.st.next()}
	s.st.Products[id] = x
	return s.emitted("product.created", s.st.renderProduct(x))
}

func (s *Server) updateProduct(r *http.Request, p url.Values) (any, *apiError) {
	x, err := byPathID(r, s.st.Products, "product")
	if err != nil {
		return nil, err
	}
	if v, set := boolParam(p, "active"); set {
		x.Active = v
	}
	stringParam(p, "name", &x.Name)
	stringParam(p, "description", &x.Description)
	return s.emitted("product.updated", s.st.renderProduct(x))
}

func (s *Server) createPrice(_ *http.Request, p url.Values) (any, *apiError) {
	prod := s.st.Products[p.Get("product")]
	if p.Get("product") == "" {
		return nil, missing("product")
	}
	if prod == nil {
		return nil, noSuch("product", "product", p.Get("product"))
	}
	if p.Get("currency") == "" {
		return nil, missing("currency")
	}
	amount, err := strconv.ParseInt(p.Get("unit_amount"), 10, 64)
	if err != nil || amount < 0 {
		return nil, invalid("unit_amount", "Invalid integer: unit_amount.")
	}
	x := &Price{ID: newID("price"), Product: prod.ID, Currency: strings.ToLower(p.Get("currency")), UnitAmount: amount, Active: true,
		Interval: p.Get("recurring[interval]"), LookupKey: p.Get("lookup_key"), Nickname: p.Get("nickname"),
		Metadata: metadataParam(p, ""), Created: s.now(), Seq: s.st.next()}
	if x.Interval != "" {
		x.IntervalCount = 1
		if v := p.Get("recurring[interval_count]"); v != "" {
			if x.IntervalCount, err = strconv.ParseInt(v, 10, 64); err != nil || x.IntervalCount < 1 {
				return nil, invalid("recurring[interval_count]", "Invalid integer: recurring[interval_count].")
			}
		}
	}
	if x.LookupKey != "" {
		for _, other := range s.st.Prices {
			if other.LookupKey == x.LookupKey {
				if p.Get("transfer_lookup_key") != "true" {
					return nil, invalid("lookup_key", "A price with lookup key "+x.LookupKey+" already exists; pass transfer_lookup_key=true to move it.")
				}
				other.LookupKey = ""
				s.emit("price.updated", s.st.renderPrice(other), map[string]any{"lookup_key": x.LookupKey})
			}
		}
	}
	s.st.Prices[x.ID] = x
	return s.emitted("price.created", s.st.renderPrice(x))
}

func (s *Server) updateSubscription(r *http.Request, p url.Values) (any, *apiError) {
	sub, err := byPathID(r, s.st.Subscriptions, "subscription")
	if err != nil {
		return nil, err
	}
	if sub.Status == "canceled" {
		return nil, invalid("", "A canceled subscription can only update its cancellation_details and metadata.")
	}
	if id := p.Get("items[0][price]"); id != "" {
		to := s.st.Prices[id]
		if to == nil || !to.Active || to.Interval == "" {
			return nil, noSuch("price", "items[0][price]", id)
		}
		if msg := s.switchPrice(sub, to); msg != "" {
			return nil, &apiError{status: http.StatusPaymentRequired, typ: "card_error", code: "card_declined", message: msg}
		}
	}
	if v, set := boolParam(p, "cancel_at_period_end"); set {
		s.setCancelAtPeriodEnd(sub, v)
	}
	if mergeMetadata(p, &sub.Metadata) {
		s.emit("customer.subscription.updated", s.st.renderSubscription(sub), nil)
	}
	return s.st.renderSubscription(sub), nil
}

func (s *Server) deleteSubscription(r *http.Request, _ url.Values) (any, *apiError) {
	sub, err := byPathID(r, s.st.Subscriptions, "subscription")
	if err != nil {
		return nil, err
	}
	s.cancelNow(sub)
	return s.st.renderSubscription(sub), nil
}

func (s *Server) createCheckoutSession(_ *http.Request, p url.Values) (any, *apiError) {
	if p.Get("mode") != "subscription" {
		return nil, invalid("mode", "The local Stripe supports Checkout in subscription mode only.")
	}
	if p.Get("success_url") == "" {
		return nil, missing("success_url")
	}
	cus := s.st.Customers[p.Get("customer")]
	if p.Get("customer") != "" && cus == nil {
		return nil, noSuch("customer", "customer", p.Get("customer"))
	}
	if cus == nil {
		// Stripe creates the customer on completion; here at once, with the given e-mail.
		cus = &Customer{ID: newID("cus"), Email: p.Get("customer_email"), Created: s.now(), Seq: s.st.next()}
		s.st.Customers[cus.ID] = cus
		s.emit("customer.created", s.st.renderCustomer(cus), nil)
	}
	if p.Get("line_items[1][price]") != "" {
		return nil, invalid("line_items", "The local Stripe supports one line item.")
	}
	pr := s.st.Prices[p.Get("line_items[0][price]")]
	if p.Get("line_items[0][price]") == "" {
		return nil, missing("line_items[0][price]")
	}
	if pr == nil {
		return nil, noSuch("price", "line_items[0][price]", p.Get("line_items[0][price]"))
	}
	if !pr.Active || pr.Interval == "" {
		return nil, invalid("line_items[0][price]", "The price "+pr.ID+" is not an active recurring price: subscription mode needs one.")
	}
	qty := int64(1)
	if v := p.Get("line_items[0][quantity]"); v != "" {
		n, err := strconv.ParseInt(v, 10, 64)
		if err != nil || n < 1 {
			return nil, invalid("line_items[0][quantity]", "Invalid integer: quantity.")
		}
		qty = n
	}
	promo, _ := boolParam(p, "allow_promotion_codes")
	now := s.now()
	cs := &CheckoutSession{ID: newID("cs_test"), Customer: cus.ID, CustomerEmail: cus.Email, Price: pr.ID, Quantity: qty, Mode: "subscription",
		Status: "open", PaymentStatus: "unpaid", ClientReferenceID: p.Get("client_reference_id"), SuccessURL: p.Get("success_url"),
		CancelURL: p.Get("cancel_url"), Metadata: metadataParam(p, ""), SubscriptionMetadata: metadataParam(p, "subscription_data"),
		AllowPromotionCodes: promo, Created: now, ExpiresAt: now + 24*3600, Seq: s.st.next()}
	s.st.CheckoutSessions[cs.ID] = cs
	return s.st.renderCheckoutSession(cs, s.cfg.BaseURL), nil
}

func (s *Server) expireCheckoutSession(r *http.Request, _ url.Values) (any, *apiError) {
	cs := s.st.CheckoutSessions[r.PathValue("id")]
	if cs == nil {
		return nil, noSuch("checkout.session", "session", r.PathValue("id"))
	}
	if cs.Status != "open" {
		return nil, invalid("", "Only open Checkout Sessions can be expired.")
	}
	cs.Status = "expired"
	return s.emitted("checkout.session.expired", s.st.renderCheckoutSession(cs, s.cfg.BaseURL))
}

func (s *Server) createPortalSession(_ *http.Request, p url.Values) (any, *apiError) {
	if p.Get("customer") == "" {
		return nil, missing("customer")
	}
	if s.st.Customers[p.Get("customer")] == nil {
		return nil, noSuch("customer", "customer", p.Get("customer"))
	}
	ps := &PortalSession{ID: newID("bps"), Customer: p.Get("customer"), ReturnURL: p.Get("return_url"), Created: s.now(), Seq: s.st.next()}
	s.st.PortalSessions[ps.ID] = ps
	return s.st.renderPortalSession(ps, s.cfg.BaseURL), nil
}

func (s *Server) createEndpoint(_ *http.Request, p url.Values) (any, *apiError) {
	u, err := url.Parse(p.Get("url"))
	if p.Get("url") == "" {
		return nil, missing("url")
	}
	if err != nil || u.Scheme != "http" && u.Scheme != "https" || u.Host == "" {
		return nil, invalid("url", "Invalid URL: "+p.Get("url"))
	}
	events := arrayParam(p, "enabled_events")
	if len(events) == 0 {
		return nil, missing("enabled_events")
	}
	e := &Endpoint{ID: newID("we"), URL: u.String(), Secret: "whsec_" + newID("x")[2:] + newID("x")[2:10],
		APIVersion: p.Get("api_version"), Description: p.Get("description"), Events: events, Created: s.now(), Seq: s.st.next()}
	s.st.Endpoints[e.ID] = e
	return s.st.renderEndpoint(e, true), nil
}
