package httpapi_test

import (
	"context"
	"testing"
	"time"

	"github.com/octanebridge/octane-bridge/internal/apierror"
	"github.com/octanebridge/octane-bridge/internal/shaderpkg"
)

// A redeemed but unfinished import (the bridge died after redeeming, or its redeem answer was
// lost) gets a fresh delivery from POST /v1/imports/{id}/delivery: only for the device it is
// addressed to, only while it is unfinished, with the entitlement re-checked.
func TestRedeliveryOfUnfinishedImports(t *testing.T) {
	s := newStack(t)
	defer s.noInternals()
	device, _, devJWT := s.pairSignedIn(proUser)
	shaderID, _ := s.publish("resume-steel", false)
	pro := userJWT(t, proUser)
	ctx := context.Background()
	create := func() (string, string) { return s.queueImport(pro, shaderID, device) }
	status := func(id string) (st, code string) {
		t.Helper()
		var c *string
		if err := s.db.QueryRow(ctx, `select status::text, error_code from public.imports where id = $1`, id).Scan(&st, &c); err != nil {
			t.Fatal(err)
		}
		if c != nil {
			code = *c
		}
		return st, code
	}
	path := func(id string) string { return "/v1/imports/" + id + "/delivery" }

	id, tok := create()
	// Queued: not redeemed yet, so not re-delivered (the token path is for that).
	if r := s.do("POST", path(id), devJWT, nil); r.errCode(t) != apierror.Conflict {
		t.Fatal("a queued import was re-delivered")
	}
	if r := s.do("POST", "/v1/imports/"+id+"/redeem", devJWT, map[string]string{"token": tok}); r.code != 200 {
		t.Fatalf("redeem: %d %s", r.code, r.body)
	}
	if _, err := s.db.Exec(ctx, `update public.imports set status = 'downloading', progress = 40 where id = $1`, id); err != nil {
		t.Fatal(err)
	}

	// Nobody else: another device of the same user, the user's web session, another user.
	_, key2 := s.pair(proUser)
	if r := s.do("POST", path(id), s.deviceJWT(key2), nil); r.errCode(t) != apierror.NotFound {
		t.Fatal("another device got a delivery")
	}
	if r := s.do("POST", path(id), pro, nil); r.code < 400 {
		t.Fatalf("a web session got a delivery: %d", r.code)
	}
	_, freeKey := s.pair(freeUser)
	if r := s.do("POST", path(id), s.deviceJWT(freeKey), nil); r.errCode(t) != apierror.NotFound {
		t.Fatal("another user's device got a delivery")
	}
	if st, _ := status(id); st != "downloading" {
		t.Fatalf("refused calls changed the import: %s", st)
	}

	// The device it is addressed to gets a fresh, signed delivery naming this import.
	r := s.do("POST", path(id), devJWT, nil)
	if r.code != 200 {
		t.Fatalf("redelivery: %d %s", r.code, r.body)
	}
	body := r.json(t)
	if body["download_url"] == "" || body["import_id"] != id {
		t.Fatalf("redelivery body %v", body)
	}
	env := body["delivery"].(map[string]any)
	d, err := shaderpkg.VerifyDelivery(shaderpkg.LocalDevKeyring().PublicKeys(),
		shaderpkg.Signed{Payload: env["payload"].(string), Sig: env["sig"].(string)}, time.Now())
	if err != nil || d.ImportID != id {
		t.Fatalf("delivery: %v %+v", err, d)
	}
	if st, _ := status(id); st != "redeemed" {
		t.Fatalf("after redelivery the import is %s, want redeemed (its steps start again)", st)
	}

	// A finished import stays finished.
	if _, err := s.db.Exec(ctx, `update public.imports set status = 'importing' where id = $1`, id); err != nil {
		t.Fatal(err)
	}
	if _, err := s.db.Exec(ctx, `update public.imports set status = 'done' where id = $1`, id); err != nil {
		t.Fatal(err)
	}
	if r := s.do("POST", path(id), devJWT, nil); r.errCode(t) != apierror.Conflict {
		t.Fatal("a finished import was re-delivered")
	}

	// A lapsed subscription ends the import instead of delivering it.
	id2, tok2 := create()
	if r := s.do("POST", "/v1/imports/"+id2+"/redeem", devJWT, map[string]string{"token": tok2}); r.code != 200 {
		t.Fatalf("redeem: %d %s", r.code, r.body)
	}
	if _, err := s.db.Exec(ctx, `update public.subscriptions set status = 'canceled' where user_id = $1`, proUser); err != nil {
		t.Fatal(err)
	}
	if r := s.do("POST", path(id2), devJWT, nil); r.errCode(t) != apierror.SubscriptionRequired {
		t.Fatal("a lapsed subscription got a delivery")
	}
	if st, code := status(id2); st != "failed" || code != "SUBSCRIPTION_REQUIRED" {
		t.Fatalf("lapsed: %s %s", st, code)
	}
}
