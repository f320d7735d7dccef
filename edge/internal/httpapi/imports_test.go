package httpapi

import (
	"context"
	"encoding/json"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/octanebridge/octane-bridge/edge/internal/token"
	"github.com/octanebridge/octane-bridge/internal/shaderpkg"
)

func dur(d time.Duration) *time.Duration { return &d }

// createImport queues an import and returns its id and the token sent to the device.
func (en *env) createImport(user uuid.UUID, body map[string]any) (uuid.UUID, uuid.UUID, string) {
	en.t.Helper()
	r := en.do(http.MethodPost, "/v1/imports", en.session(user), body)
	if r.Code != http.StatusCreated {
		en.t.Fatalf("create import: %d %s", r.Code, r.Body)
	}
	m := r.json(en.t)
	id, dev := uuid.MustParse(m["import_id"].(string)), uuid.MustParse(m["device_id"].(string))
	var payload []byte
	if err := en.db.QueryRow(context.Background(), `select payload::text from realtime.messages
		where topic = $1 and event = 'import_request' and payload ->> 'import_id' = $2`, "device:"+dev.String(), id.String()).Scan(&payload); err != nil {
		en.t.Fatalf("device message: %v", err)
	}
	var msg map[string]string
	_ = json.Unmarshal(payload, &msg)
	if !strings.HasPrefix(msg["token"], "oit1.") || msg["shader_name"] == "" {
		en.t.Fatalf("device message %s", payload)
	}
	return id, dev, msg["token"]
}

func TestImportFlow(t *testing.T) {
	en := newEnv(t)
	old := en.device(proUser, "blender", dur(time.Hour))
	recent := en.device(proUser, "blender", dur(time.Minute))
	_ = en.device(freeUser, "blender", dur(time.Second)) // another user's device is never the default

	id, dev, tok := en.createImport(proUser, map[string]any{"shader_id": en.shader.String()})
	if dev != recent {
		t.Fatalf("default device %s, want the most recently seen %s (not %s)", dev, recent, old)
	}
	var hash string
	if err := en.db.QueryRow(context.Background(), `select token_hash from public.import_tokens where import_id = $1`, id).Scan(&hash); err != nil || hash != token.Hash(tok) {
		t.Fatalf("stored token hash %q: %v", hash, err)
	}

	r := en.do(http.MethodPost, "/v1/imports/"+id.String()+"/redeem", en.deviceJWT(proUser, dev), map[string]string{"token": tok})
	if r.Code != http.StatusOK {
		t.Fatalf("redeem: %d %s", r.Code, r.Body)
	}
	var out struct {
		DownloadURL string           `json:"download_url"`
		ExpiresAt   time.Time        `json:"expires_at"`
		Delivery    shaderpkg.Signed `json:"delivery"`
	}
	_ = json.Unmarshal(r.Body, &out)
	if out.DownloadURL == "" || time.Until(out.ExpiresAt) > 300*time.Second {
		t.Fatalf("redeem body %s", r.Body)
	}
	d, err := shaderpkg.VerifyDelivery(shaderpkg.LocalDevKeyring().PublicKeys(), out.Delivery, time.Now())
	if err != nil || d.ImportID != id.String() || d.Size != 2048 || len(d.Files) != 2 {
		t.Fatalf("delivery %+v: %v", d, err)
	}
	if r := en.do(http.MethodPost, "/v1/imports/"+id.String()+"/redeem", en.deviceJWT(proUser, dev), map[string]string{"token": tok}); r.errCode(t) != "INVALID_TOKEN" {
		t.Fatal("a token redeemed twice")
	}
	g := en.do(http.MethodGet, "/v1/imports/"+id.String(), en.session(proUser), nil)
	if g.Code != 200 || g.json(t)["status"] != "redeemed" {
		t.Fatalf("get import: %d %s", g.Code, g.Body)
	}
	if r := en.do(http.MethodGet, "/v1/imports/"+id.String(), en.session(freeUser), nil); r.errCode(t) != "NOT_FOUND" {
		t.Fatal("another user's import must be NOT_FOUND")
	}
	// Reissue on a redeemed import is a conflict.
	if r := en.do(http.MethodPost, "/v1/imports/"+id.String()+"/token", en.deviceJWT(proUser, dev), nil); r.errCode(t) != "CONFLICT" {
		t.Fatalf("reissue after redemption: %s", r.Body)
	}
}

func TestCreateImportErrors(t *testing.T) {
	en := newEnv(t)
	dev := en.device(proUser, "blender", nil)
	other := en.device(freeUser, "blender", nil)
	cases := []struct {
		name string
		user uuid.UUID
		body any
		want string
	}{
		{"no shader", proUser, map[string]any{}, "MISSING_REQUIRED_FIELD"},
		{"bad json", proUser, "{", "INVALID_INPUT"},
		{"unknown field", proUser, map[string]any{"shader_id": en.shader.String(), "x": 1}, "INVALID_INPUT"},
		{"bad version", proUser, map[string]any{"shader_id": en.shader.String(), "version": "1"}, "INVALID_INPUT"},
		{"unknown shader", proUser, map[string]any{"shader_id": uuid.NewString()}, "NOT_FOUND"},
		{"unknown version", proUser, map[string]any{"shader_id": en.shader.String(), "version": "9.9.9"}, "NOT_FOUND"},
		{"other user's device", proUser, map[string]any{"shader_id": en.shader.String(), "device_id": other.String()}, "NOT_FOUND"},
		{"free user, paid shader", freeUser, map[string]any{"shader_id": en.shader.String()}, "SUBSCRIPTION_REQUIRED"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			if got := en.do(http.MethodPost, "/v1/imports", en.session(tc.user), tc.body).errCode(t); got != tc.want {
				t.Fatalf("got %s, want %s", got, tc.want)
			}
		})
	}
	_ = dev
	// A free shader needs no subscription.
	free, _ := en.publish(true)
	en.createImport(freeUser, map[string]any{"shader_id": free.String(), "device_id": other.String()})
}

func TestRedeemRejectsTokens(t *testing.T) {
	en := newEnv(t)
	dev := en.device(proUser, "blender", dur(time.Minute))
	dev2 := en.device(proUser, "blender", dur(time.Hour))
	freeDev := en.device(freeUser, "blender", nil)
	id, _, tok := en.createImport(proUser, map[string]any{"shader_id": en.shader.String(), "device_id": dev.String()})

	now := time.Now()
	base := token.Claims{JTI: uuid.NewString(), Sub: proUser.String(), DID: dev.String(), SID: en.shader.String(), Ver: "1.0.0", SHA: strings.Repeat("a", 64)}
	expired, _, _ := en.tokens.Mint(base, now.Add(-121*time.Second))
	future, _, _ := en.tokens.Mint(base, now.Add(time.Minute))
	otherKey, _ := token.ParseKeyring("local-1:SsbA9fgZNigpm2FmFuYqFZTkcAl57jhfoxXvX4zhHdY=")
	forged, _, _ := otherKey.Mint(base, now)
	unknownKid, _ := token.ParseKeyring("rotated-9:SsbA9fgZNigpm2FmFuYqFZTkcAl57jhfoxXvX4zhHdY=")
	unknown, _, _ := unknownKid.Mint(base, now)
	flipped := []byte(tok)
	flipped[20] ^= 1
	wrongType := strings.Replace(tok, "oit1.", "oit2.", 1)

	cases := []struct {
		name, tok string
		cred      string
	}{
		{"forged", forged, en.deviceJWT(proUser, dev)},
		{"bit flipped", string(flipped), en.deviceJWT(proUser, dev)},
		{"expired", expired, en.deviceJWT(proUser, dev)},
		{"not yet valid", future, en.deviceJWT(proUser, dev)},
		{"unknown kid", unknown, en.deviceJWT(proUser, dev)},
		{"wrong type", wrongType, en.deviceJWT(proUser, dev)},
		{"other device", tok, en.deviceJWT(proUser, dev2)},
		{"other user", tok, en.deviceJWT(freeUser, freeDev)},
		{"valid MAC, never issued", func() string { s, _, _ := en.tokens.Mint(base, now); return s }(), en.deviceJWT(proUser, dev)},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			r := en.do(http.MethodPost, "/v1/imports/"+id.String()+"/redeem", tc.cred, map[string]string{"token": tc.tok})
			if got := r.errCode(t); got != "INVALID_TOKEN" {
				t.Fatalf("got %s: %s", got, r.Body)
			}
		})
	}
	// A user session has no imports:receive scope.
	if r := en.do(http.MethodPost, "/v1/imports/"+id.String()+"/redeem", en.session(proUser), map[string]string{"token": tok}); r.errCode(t) != "INSUFFICIENT_PERMISSIONS" {
		t.Fatalf("session redeem: %s", r.Body)
	}
	// After all that the genuine token still works exactly once.
	if r := en.do(http.MethodPost, "/v1/imports/"+id.String()+"/redeem", en.deviceJWT(proUser, dev), map[string]string{"token": tok}); r.Code != 200 {
		t.Fatalf("genuine token: %d %s", r.Code, r.Body)
	}
}

func TestConcurrentRedemptionsExactlyOne(t *testing.T) {
	en := newEnv(t)
	dev := en.device(proUser, "blender", nil)
	id, _, tok := en.createImport(proUser, map[string]any{"shader_id": en.shader.String(), "device_id": dev.String()})
	cred := en.deviceJWT(proUser, dev)
	var wg sync.WaitGroup
	codes := make([]int, 64)
	bodies := make([]string, 64)
	for i := range codes {
		wg.Go(func() {
			r := en.do(http.MethodPost, "/v1/imports/"+id.String()+"/redeem", cred, map[string]string{"token": tok})
			codes[i], bodies[i] = r.Code, string(r.Body)
		})
	}
	wg.Wait()
	ok := 0
	for i, c := range codes {
		switch {
		case c == 200:
			ok++
		case !strings.Contains(bodies[i], "INVALID_TOKEN"):
			t.Errorf("loser %d: %d %s", i, c, bodies[i])
		}
	}
	if ok != 1 {
		t.Fatalf("%d redemptions succeeded, want exactly 1", ok)
	}
}

func TestReissueAndSubscriptionLapse(t *testing.T) {
	en := newEnv(t)
	dev := en.device(proUser, "blender", nil)
	id, _, old := en.createImport(proUser, map[string]any{"shader_id": en.shader.String(), "device_id": dev.String()})
	cred := en.deviceJWT(proUser, dev)
	r := en.do(http.MethodPost, "/v1/imports/"+id.String()+"/token", cred, nil)
	if r.Code != 200 {
		t.Fatalf("reissue: %d %s", r.Code, r.Body)
	}
	fresh := r.json(t)["token"].(string)
	if r := en.do(http.MethodPost, "/v1/imports/"+id.String()+"/redeem", cred, map[string]string{"token": old}); r.errCode(t) != "INVALID_TOKEN" {
		t.Fatal("the voided token still redeems")
	}
	other := en.device(proUser, "blender", nil)
	if r := en.do(http.MethodPost, "/v1/imports/"+id.String()+"/token", en.deviceJWT(proUser, other), nil); r.errCode(t) != "NOT_FOUND" {
		t.Fatal("another device reissued")
	}
	// The subscription ends between mint and redemption.
	if _, err := en.db.Exec(context.Background(), `update public.subscriptions set status = 'canceled' where user_id = $1`, proUser); err != nil {
		t.Fatal(err)
	}
	if r := en.do(http.MethodPost, "/v1/imports/"+id.String()+"/redeem", cred, map[string]string{"token": fresh}); r.errCode(t) != "SUBSCRIPTION_REQUIRED" {
		t.Fatalf("redeem after cancellation: %s", r.Body)
	}
	var status string
	_ = en.db.QueryRow(context.Background(), `select status::text from public.imports where id = $1`, id).Scan(&status)
	if status != "failed" {
		t.Fatalf("import status %s", status)
	}
}
