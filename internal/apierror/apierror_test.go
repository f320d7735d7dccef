package apierror

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"testing"
)

func TestEveryCodeHasAStatus(t *testing.T) {
	want := map[Code]int{AuthRequired: 401, AuthFailed: 401, InvalidToken: 401, InvalidInput: 400, MissingRequiredField: 400,
		NotFound: 404, InsufficientPermissions: 403, SubscriptionRequired: 402, RateLimitExceeded: 429, Conflict: 409,
		Internal: 500, ServiceUnavailable: 503}
	if len(Codes()) != len(want) {
		t.Fatalf("%d codes, want %d", len(Codes()), len(want))
	}
	for _, c := range Codes() {
		if c.Status() != want[c] || !Known(string(c)) {
			t.Errorf("%s: %d, want %d", c, c.Status(), want[c])
		}
	}
	if Code("NOPE").Status() != http.StatusInternalServerError || Known("NOPE") {
		t.Fatal("unknown code")
	}
}

type codedErr struct{ code string }

func (c codedErr) Error() string         { return "secret detail: select * from x" }
func (c codedErr) APICode() string       { return c.code }
func (c codedErr) PublicMessage() string { return "public" }

func TestFrom(t *testing.T) {
	e := New(NotFound, "gone")
	if From(fmt.Errorf("wrapped: %w", e)) != e {
		t.Fatal("our error is kept")
	}
	if got := From(codedErr{"CONFLICT"}); got.Code != Conflict || got.Message != "public" {
		t.Fatalf("coded: %+v", got)
	}
	for _, err := range []error{errors.New("pq: relation does not exist"), codedErr{"MADE_UP"}} {
		got := From(err)
		b, _ := json.Marshal(NewBody(got, "req-1"))
		if got.Code != Internal || string(b) != `{"error":{"code":"INTERNAL_ERROR","message":"internal error","request_id":"req-1"}}` {
			t.Fatalf("%v → %s", err, b)
		}
	}
}
