package webhooks_test

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/jackc/pgx/v5"

	"github.com/octanebridge/octane-bridge/internal/testenv"
)

// received is one request the receiver (testdata/receiver.mjs) got.
type received struct {
	ID         string            `json:"id"`
	Timestamp  string            `json:"timestamp"`
	Signatures int               `json:"signatures"`
	Type       string            `json:"type"`
	Payload    *payload          `json:"payload"`
	Body       string            `json:"body"`
	Verified   []string          `json:"verified"`
	Errors     map[string]string `json:"errors"`
	Status     int               `json:"status"`
}

type payload struct {
	Type      string         `json:"type"`
	Timestamp time.Time      `json:"timestamp"`
	Data      map[string]any `json:"data"`
}

type receiver struct {
	t   *testing.T
	url string
}

// startReceiver runs the Node receiver that verifies with the reference library.
func startReceiver(t *testing.T) receiver {
	t.Helper()
	root := testenv.Root(t)
	node, err := exec.LookPath("node")
	if err != nil {
		testenv.Require(t, "node", "install Node 20")
	}
	if _, err := os.Stat(filepath.Join(root, "node_modules", "standardwebhooks")); err != nil {
		testenv.Require(t, "the npm package standardwebhooks", "run `npm ci` at the repository root")
	}
	cmd := exec.Command(node, filepath.Join(root, "edge/internal/webhooks/testdata/receiver.mjs"))
	cmd.Dir = root
	stdin, _ := cmd.StdinPipe()
	out, _ := cmd.StdoutPipe()
	cmd.Stderr = os.Stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { stdin.Close(); _ = cmd.Process.Kill(); _ = cmd.Wait() })
	line, err := bufio.NewReader(out).ReadString('\n')
	var hello struct{ Port int }
	if err != nil || json.Unmarshal([]byte(line), &hello) != nil || hello.Port == 0 {
		t.Fatalf("receiver did not start: %q %v", line, err)
	}
	return receiver{t: t, url: fmt.Sprintf("http://127.0.0.1:%d", hello.Port)}
}

func (r receiver) configure(secrets map[string]string, fail map[string]int) {
	r.t.Helper()
	b, _ := json.Marshal(map[string]any{"secrets": secrets, "fail": fail})
	resp, err := http.Post(r.url+"/_config", "application/json", strings.NewReader(string(b)))
	if err != nil || resp.StatusCode != http.StatusNoContent {
		r.t.Fatalf("configure receiver: %v %v", resp, err)
	}
	resp.Body.Close()
}

func (r receiver) log() []received {
	r.t.Helper()
	resp, err := http.Get(r.url + "/_log")
	if err != nil {
		r.t.Fatal(err)
	}
	defer resp.Body.Close()
	var out []received
	if err := json.NewDecoder(resp.Body).Decode(&out); err != nil {
		r.t.Fatal(err)
	}
	return out
}

// waitFor polls until ok (a failing test stops after a minute; nothing here is timed).
func waitFor(t *testing.T, what string, ok func() bool) {
	t.Helper()
	for end := time.Now().Add(90 * time.Second); time.Now().Before(end); time.Sleep(200 * time.Millisecond) {
		if ok() {
			return
		}
	}
	t.Fatalf("timed out waiting for %s", what)
}

var payloadSchema = map[string]string{"import.completed": "WebhookImportEvent", "import.failed": "WebhookImportEvent",
	"subscription.updated": "WebhookSubscriptionEvent", "device.paired": "WebhookDevicePairedEvent", "device.revoked": "WebhookDeviceRevokedEvent"}

// checkPayload validates a received body against its event's schema in edge/openapi.yaml, which
// also lists the event under the document's webhooks.
func checkPayload(t *testing.T, r received) {
	t.Helper()
	root := testenv.Root(t)
	doc, err := openapi3.NewLoader().LoadFromFile(filepath.Join(root, "edge/openapi.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	name := payloadSchema[r.Type]
	ref := doc.Components.Schemas[name]
	if name == "" || ref == nil || doc.Webhooks[r.Type] == nil {
		t.Fatalf("edge/openapi.yaml documents no payload for %s", r.Type)
	}
	var v any
	if err := json.Unmarshal([]byte(r.Body), &v); err != nil {
		t.Fatal(err)
	}
	if err := ref.Value.VisitJSON(v); err != nil {
		t.Errorf("%s payload %s does not match the spec's %s: %v", r.Type, r.Body, name, err)
	}
}

func exec1(t *testing.T, db *pgx.Conn, q string, args ...any) {
	t.Helper()
	if _, err := db.Exec(context.Background(), q, args...); err != nil {
		t.Fatalf("%s: %v", q, err)
	}
}

type endpoint struct {
	ID                      string   `json:"id"`
	URL                     string   `json:"url"`
	Events                  []string `json:"events"`
	Secret                  string   `json:"secret"`
	SecretMasked            string   `json:"secret_masked"`
	PreviousSecretExpiresAt *string  `json:"previous_secret_expires_at"`
}

type delivery struct {
	MessageID      string  `json:"message_id"`
	EventType      string  `json:"event_type"`
	Status         string  `json:"status"`
	Attempts       int     `json:"attempts"`
	ResponseStatus *int    `json:"response_status"`
	Error          *string `json:"error"`
}

// TestDeliveriesVerifyWithTheReferenceLibrary is issue 19's webhook test: a real edge delivers a
// user's five event types to a receiver that verifies every request with the reference Standard
// Webhooks library; a delivery answered 500 is retried with the same webhook-id until it
// succeeds; the payload timestamps order the events as they happened although the retried one
// arrived last; after a rotation both the old and the new secret verify until the overlap ends,
// then only the new; and an event queued while the edge is down arrives once it is back.
func TestDeliveriesVerifyWithTheReferenceLibrary(t *testing.T) {
	recv := startReceiver(t)
	st := testenv.StackWith(t, testenv.StackOptions{EdgeEnv: map[string]string{"WEBHOOK_ALLOW_LOOPBACK": "1"}})
	jwt := st.ProJWT(t)
	db := st.Conn(t)
	ctx := context.Background()

	var ep endpoint
	if s := st.EdgeJSON(t, "POST", "/v1/webhooks", jwt, map[string]any{"url": recv.url + "/hook", "description": "pipeline"}, &ep); s != http.StatusCreated {
		t.Fatalf("register: %d", s)
	}
	if !strings.HasPrefix(ep.Secret, "whsec_") || len(ep.Events) != 5 || ep.SecretMasked == "" || strings.Contains(ep.SecretMasked, ep.Secret[6:]) {
		t.Fatalf("registered endpoint: %+v", ep)
	}
	var list struct{ Webhooks []map[string]any }
	if st.EdgeJSON(t, "GET", "/v1/webhooks", jwt, nil, &list); len(list.Webhooks) != 1 || list.Webhooks[0]["secret"] != nil ||
		list.Webhooks[0]["secret_masked"] != ep.SecretMasked {
		t.Fatalf("list shows the secret or not its mask: %+v", list)
	}
	// The endpoint is the account's: another user gets NOT_FOUND; URLs into the private network,
	// link-local (cloud metadata) or plain http to another host are refused at registration.
	free := st.SignIn(t, testenv.FreeEmail, testenv.FreePassword)
	for _, r := range [][2]string{{"POST", "/rotate"}, {"GET", "/deliveries"}, {"DELETE", ""}} {
		if s := st.EdgeJSON(t, r[0], "/v1/webhooks/"+ep.ID+r[1], free, nil, nil); s != http.StatusNotFound {
			t.Errorf("another user's %s %s: %d", r[0], r[1], s)
		}
	}
	for _, body := range []map[string]any{
		{"url": "http://169.254.169.254/latest/meta-data/"}, {"url": "https://10.0.0.8/hook"}, {"url": "https://[fe80::1]/hook"},
		{"url": "http://hooks.example.com/x"}, {"url": "https://hooks.example.com/x", "events": []string{"shader.deleted"}},
		{"url": "https://hooks.example.com/x", "secret": "whsec_mine"},
	} {
		if s := st.EdgeJSON(t, "POST", "/v1/webhooks", jwt, body, nil); s != http.StatusBadRequest {
			t.Errorf("register %v: %d, want 400", body, s)
		}
	}
	// A studio script's personal key with webhooks:write manages them too; without it, no.
	var key struct {
		APIKey string `json:"api_key"`
	}
	if s := st.EdgeJSON(t, "POST", "/v1/api-keys", jwt, map[string]any{"name": "pipeline", "scopes": []string{"webhooks:write"}}, &key); s != http.StatusCreated {
		t.Fatalf("personal key: %d", s)
	}
	if st.EdgeJSON(t, "GET", "/v1/webhooks", key.APIKey, nil, &list); len(list.Webhooks) != 1 {
		t.Errorf("the personal key's list: %+v", list)
	}
	if s := st.EdgeJSON(t, "POST", "/v1/api-keys", jwt, map[string]any{"name": "reader", "scopes": []string{"catalog:read"}}, &key); s != http.StatusCreated ||
		st.EdgeJSON(t, "GET", "/v1/webhooks", key.APIKey, nil, nil) != http.StatusForbidden {
		t.Errorf("a key without webhooks:write was not refused")
	}
	recv.configure(map[string]string{"first": ep.Secret}, map[string]int{"device.paired": 2})

	// The five events, in this order: a Blender is paired, the subscription changes, an import
	// completes, another fails, and the Blender is revoked through the API.
	var device, shader, version string
	if err := db.QueryRow(ctx, `insert into public.devices (user_id, name, platform) values ($1, 'Studio Blender', 'blender') returning id`,
		testenv.ProUserID).Scan(&device); err != nil {
		t.Fatal(err)
	}
	exec1(t, db, `update public.subscriptions set cancel_at_period_end = true where id = 'sub_demo_pro'`)
	if err := db.QueryRow(ctx, `select s.id, v.id from public.shaders s join public.shader_versions v on v.shader_id = s.id
		where s.published order by s.slug limit 1`).Scan(&shader, &version); err != nil {
		t.Fatal(err)
	}
	for _, final := range []string{"done", "failed"} {
		var imp string
		if err := db.QueryRow(ctx, `insert into public.imports (user_id, device_id, shader_id, shader_version_id, version)
			values ($1, $2, $3, $4, '1.0.0') returning id`, testenv.ProUserID, device, shader, version).Scan(&imp); err != nil {
			t.Fatal(err)
		}
		steps := []string{"redeemed", "verifying", "importing", "done"}
		if final == "failed" {
			steps = []string{"failed"}
		}
		for _, s := range steps {
			exec1(t, db, `update public.imports set status = $2 where id = $1`, imp, s)
		}
	}
	if s := st.EdgeJSON(t, "DELETE", "/v1/devices/"+device, jwt, nil, nil); s != http.StatusNoContent {
		t.Fatalf("revoke device: %d", s)
	}
	order := []string{"device.paired", "subscription.updated", "import.completed", "import.failed", "device.revoked"}

	deliveries := func() []delivery {
		var out struct{ Deliveries []delivery }
		if s := st.EdgeJSON(t, "GET", "/v1/webhooks/"+ep.ID+"/deliveries", jwt, nil, &out); s != http.StatusOK {
			t.Fatalf("delivery log: %d", s)
		}
		return out.Deliveries
	}
	// The first retry (5 s) happens by the schedule; the second (5 min) is brought forward once
	// the second failure is recorded (a wait over 3 minutes: an attempt in flight holds a 2-minute lease).
	waitFor(t, "the second failure of device.paired recorded", func() bool {
		tag, err := db.Exec(ctx, `update public.webhook_deliveries set next_attempt_at = now()
			where event_type = 'device.paired' and status = 'pending' and attempts = 2 and next_attempt_at > now() + interval '3 minutes'`)
		if err != nil {
			t.Fatal(err)
		}
		return tag.RowsAffected() == 1
	})
	waitFor(t, "every event delivered", func() bool {
		ds := deliveries()
		for _, d := range ds {
			if d.Status != "succeeded" {
				return false
			}
		}
		return len(ds) == 5
	})

	got := recv.log()
	var succeeded []string // arrival order of the accepted deliveries
	byID := map[string][]received{}
	for _, r := range got {
		if len(r.Verified) != 1 || r.Verified[0] != "first" || r.Payload == nil {
			t.Fatalf("the reference verifier refused a delivery: %+v", r)
		}
		if r.Status == http.StatusNoContent {
			succeeded = append(succeeded, r.Type)
		}
		byID[r.ID] = append(byID[r.ID], r)
	}
	if len(byID) != 5 || len(got) != 7 {
		t.Fatalf("want 5 messages in 7 requests (two 500s), got %d in %d: %+v", len(byID), len(got), got)
	}
	var msgs []received
	for id, rs := range byID {
		want := []int{204}
		if rs[0].Type == "device.paired" {
			want = []int{500, 500, 204}
		}
		var statuses []int
		for _, r := range rs {
			statuses = append(statuses, r.Status)
			if r.Type != rs[0].Type || r.Payload.Timestamp != rs[0].Payload.Timestamp {
				t.Errorf("%s: a retry carried another message: %+v", id, r)
			}
		}
		if !slices.Equal(statuses, want) {
			t.Errorf("%s (%s): answered %v, want %v", id, rs[0].Type, statuses, want)
		}
		msgs = append(msgs, rs[len(rs)-1])
	}
	slices.SortFunc(msgs, func(a, b received) int { return a.Payload.Timestamp.Compare(b.Payload.Timestamp) })
	var byTime []string
	for _, m := range msgs {
		byTime = append(byTime, m.Type)
	}
	if !slices.Equal(byTime, order) {
		t.Errorf("events ordered by their timestamp: %v, want %v", byTime, order)
	}
	if succeeded[len(succeeded)-1] != "device.paired" {
		t.Errorf("the retried event was not accepted last (%v): the ordering check would be vacuous", succeeded)
	}
	// Every payload is what edge/openapi.yaml documents for its event.
	for _, m := range msgs {
		checkPayload(t, m)
	}
	for _, d := range deliveries() {
		if d.EventType == "device.paired" && (d.Attempts != 3 || d.ResponseStatus == nil || *d.ResponseStatus != 204 || d.Error != nil) {
			t.Errorf("delivery log of the retried event: %+v", d)
		}
	}
	for _, m := range msgs {
		if m.Type == "device.revoked" && m.Payload.Data["id"] != device {
			t.Errorf("device.revoked names %v, want %s", m.Payload.Data["id"], device)
		}
	}

	// Rotation: both secrets sign during the overlap, then only the new one.
	var rotated endpoint
	if s := st.EdgeJSON(t, "POST", "/v1/webhooks/"+ep.ID+"/rotate", jwt, nil, &rotated); s != http.StatusOK ||
		rotated.Secret == ep.Secret || rotated.PreviousSecretExpiresAt == nil {
		t.Fatalf("rotate: %d %+v", s, rotated)
	}
	recv.configure(map[string]string{"old": ep.Secret, "new": rotated.Secret}, nil)
	event := func(n int) {
		exec1(t, db, `update public.subscriptions set current_period_end = current_period_end + interval '1 day' where id = 'sub_demo_pro'`)
		waitFor(t, fmt.Sprintf("request %d", n), func() bool { return len(recv.log()) >= n })
	}
	event(8)
	if r := recv.log()[7]; r.Signatures != 2 || !slices.Equal(slices.Sorted(slices.Values(r.Verified)), []string{"new", "old"}) {
		t.Fatalf("during the overlap: %+v", r)
	}
	exec1(t, db, `update public.webhook_endpoints set previous_secret_expires_at = now() - interval '1 second' where id = $1`, ep.ID)
	event(9)
	if r := recv.log()[8]; r.Signatures != 1 || !slices.Equal(r.Verified, []string{"new"}) || r.Errors["old"] == "" {
		t.Fatalf("after the overlap: %+v", r)
	}

	// Durable: an event queued while no edge runs is delivered once one starts again.
	st.Edge.Stop()
	exec1(t, db, `update public.subscriptions set cancel_at_period_end = false where id = 'sub_demo_pro'`)
	var pending int
	if err := db.QueryRow(ctx, `select count(*) from public.webhook_deliveries where status = 'pending'`).Scan(&pending); err != nil || pending != 1 {
		t.Fatalf("queued while the edge is down: %d %v", pending, err)
	}
	if err := st.Edge.Start(); err != nil {
		t.Fatal(err)
	}
	event(10)
	if r := recv.log()[9]; !slices.Equal(r.Verified, []string{"new"}) || r.Payload.Data["cancel_at_period_end"] != false {
		t.Fatalf("after the restart: %+v", r)
	}
}
