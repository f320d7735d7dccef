package config

import (
	"bytes"
	"fmt"
	"log/slog"
	"strings"
	"testing"
)

func env(over map[string]string) func(string) string {
	base := map[string]string{
		"DATABASE_URL":          "postgres://postgres:pgpass-secret@127.0.0.1:54322/postgres",
		"SUPABASE_JWT_SECRET":   "super-secret-jwt-token-with-at-least-32-characters-long",
		"IMPORT_TOKEN_KEYS":     "local-1:QN2coReBSxzBANSdzjaLAjkSr7A39nVFb2aHmtMBRMk=",
		"MANIFEST_SIGNING_KEYS": "local-1:xOMHR+sPVfMYyW9V4nvECQMOWvot+sdrY3IOw8Leihg=",
		"API_KEY_PEPPER":        "SsbA9fgZNigpm2FmFuYqFZTkcAl57jhfoxXvX4zhHdY=",
		"SITE_URL":              "http://127.0.0.1:3000/",
		"STRIPE_SECRET_KEY":     "sk_test_stripe-secret",
		"REDIS_URL":             "redis://:redis-secret@127.0.0.1:6379/0",
	}
	for k, v := range over {
		base[k] = v
	}
	return func(k string) string { return base[k] }
}

func TestLoadValid(t *testing.T) {
	c, err := Load(env(nil))
	if err != nil {
		t.Fatal(err)
	}
	if c.SiteURL != "http://127.0.0.1:3000" || c.QueueWindow.Minutes() != 15 || c.DownloadTTL.Seconds() != 300 {
		t.Fatalf("%+v", c)
	}
	c, err = Load(env(map[string]string{"STRIPE_WEBHOOK_SECRET": "whsec_x", "STRIPE_PRODUCT_IDS": " prod_a, ,prod_b "}))
	if err != nil || len(c.StripeProductIDs) != 2 || c.StripeProductIDs[0] != "prod_a" || c.StripeProductIDs[1] != "prod_b" {
		t.Fatalf("products = %q, %v", c.StripeProductIDs, err)
	}
}

func TestLoadInvalid(t *testing.T) {
	for name, over := range map[string]map[string]string{
		"missing db":                            {"DATABASE_URL": ""},
		"short secret":                          {"SUPABASE_JWT_SECRET": "short"},
		"bad pepper":                            {"API_KEY_PEPPER": "c2hvcnQ="},
		"long url ttl":                          {"DOWNLOAD_URL_TTL": "10m"},
		"bad duration":                          {"IMPORT_QUEUE_WINDOW": "soon"},
		"site not a url":                        {"SITE_URL": "example.com"},
		"bad log level":                         {"LOG_LEVEL": "loud"},
		"redis not a redis URL":                 {"REDIS_URL": "http://127.0.0.1:6379"},
		"stripe without the library's products": {"STRIPE_WEBHOOK_SECRET": "whsec_x"},
		"a price id as product":                 {"STRIPE_PRODUCT_IDS": "price_123"},
	} {
		if _, err := Load(env(over)); err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
}

func TestSecretsMasked(t *testing.T) {
	c, _ := Load(env(nil))
	var buf bytes.Buffer
	slog.New(slog.NewJSONHandler(&buf, nil)).Info("config", "config", c)
	out := buf.String() + fmt.Sprint(c) + fmt.Sprintf("%v", c)
	for _, secret := range []string{"pgpass-secret", "super-secret-jwt", "QN2coReBSxzB", "xOMHR", "SsbA9fg", "sk_test_stripe", "redis-secret"} {
		if strings.Contains(out, secret) {
			t.Errorf("secret %q printed: %s", secret, out)
		}
	}
}
