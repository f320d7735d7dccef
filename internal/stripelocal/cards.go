package stripelocal

import (
	"strconv"
	"strings"
	"time"
)

// Stripe's test cards this server knows (https://docs.stripe.com/testing), by what they do.
const (
	cardVisa         = "4242424242424242"
	cardVisaDebit    = "4000056655665556"
	cardMastercard   = "5555555555554444"
	cardChargeFails  = "4000000000000341" // attaches to the customer; every charge is declined
	cardAuthRequired = "4000002760003184" // asks for authentication on every payment (3D Secure)
	cardDeclined     = "4000000000000002" // declined at once (generic_decline)
	cardNoFunds      = "4000000000009995" // declined at once (insufficient_funds)
)

// The messages Stripe's hosted pages show for these outcomes.
const (
	msgDeclined        = "Your card was declined."
	msgNoFunds         = "Your card has insufficient funds."
	msgAuthFailed      = "We are unable to authenticate your payment method. Please choose a different payment method and try again."
	msgNotTestCard     = "Your card was declined. Your request was in test mode, but used a non test card. For a list of valid test cards, visit: https://stripe.com/docs/testing."
	msgNumberInvalid   = "Your card number is invalid."
	msgNumberShort     = "Your card number is incomplete."
	msgExpiryShort     = "Your card's expiration date is incomplete."
	msgExpiryPast      = "Your card's expiration year is in the past."
	msgExpiryInvalid   = "Your card's expiration month is invalid."
	msgCVCShort        = "Your card's security code is incomplete."
	msgRenewalDeclined = "The renewal payment was declined."
)

// TestCards is what the checkout page and `make dev` list for a person trying the local stack.
var TestCards = []struct{ Number, What string }{
	{"4242 4242 4242 4242", "succeeds"},
	{"4000 0000 0000 0341", "is saved, then every payment is declined"},
	{"4000 0027 6000 3184", "asks for authentication: approve or fail it"},
	{"4000 0000 0000 0002", "is declined"},
}

// card is what a payment form submitted, checked as Stripe's card element does.
type card struct {
	Number, Brand     string
	ExpMonth, ExpYear int
	CVC               string
}

func (c card) Last4() string { return c.Number[len(c.Number)-4:] }

// parseCard reads the form's fields; the message is what the page shows under the field.
func parseCard(number, expiry, cvc string, now time.Time) (card, string) {
	digits := strings.Map(func(r rune) rune {
		if r == ' ' || r == '-' {
			return -1
		}
		return r
	}, number)
	if len(digits) < 13 || strings.Trim(digits, "0123456789") != "" {
		if strings.Trim(digits, "0123456789") != "" {
			return card{}, msgNumberInvalid
		}
		return card{}, msgNumberShort
	}
	if !luhn(digits) {
		return card{}, msgNumberInvalid
	}
	m, y, ok := strings.Cut(strings.ReplaceAll(expiry, " ", ""), "/")
	if !ok || len(m) == 0 || len(y) < 2 {
		return card{}, msgExpiryShort
	}
	month, err1 := strconv.Atoi(m)
	year, err2 := strconv.Atoi(y)
	if err1 != nil || err2 != nil || month < 1 || month > 12 {
		return card{}, msgExpiryInvalid
	}
	if year < 100 {
		year += 2000
	}
	if year < now.Year() || year == now.Year() && month < int(now.Month()) {
		return card{}, msgExpiryPast
	}
	cvc = strings.TrimSpace(cvc)
	if len(cvc) < 3 || len(cvc) > 4 || strings.Trim(cvc, "0123456789") != "" {
		return card{}, msgCVCShort
	}
	brand := "visa"
	if strings.HasPrefix(digits, "5") {
		brand = "mastercard"
	} else if strings.HasPrefix(digits, "3") {
		brand = "amex"
	}
	return card{Number: digits, Brand: brand, ExpMonth: month, ExpYear: year, CVC: cvc}, ""
}

func luhn(d string) bool {
	sum, double := 0, false
	for i := len(d) - 1; i >= 0; i-- {
		n := int(d[i] - '0')
		if double {
			n *= 2
			if n > 9 {
				n -= 9
			}
		}
		sum += n
		double = !double
	}
	return sum%10 == 0
}

// attachError is why a card cannot be saved at all ("" when it can).
func attachError(number string) string {
	switch number {
	case cardVisa, cardVisaDebit, cardMastercard, cardChargeFails, cardAuthRequired:
		return ""
	case cardDeclined:
		return msgDeclined
	case cardNoFunds:
		return msgNoFunds
	}
	return msgNotTestCard
}

// chargeError is why a charge on a saved card fails ("" when it succeeds). authenticated is true
// when the customer has just approved it on the authentication page.
func chargeError(number string, authenticated bool) string {
	switch number {
	case cardChargeFails:
		return msgDeclined
	case cardAuthRequired:
		if !authenticated {
			return msgAuthFailed // off-session: nobody is there to authenticate
		}
	}
	return ""
}

// needsAuth is true for cards that ask the customer to authenticate a payment made while they are present.
func needsAuth(number string) bool { return number == cardAuthRequired }
