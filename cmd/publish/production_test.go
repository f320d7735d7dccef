package main

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/base64"
	"strings"
	"testing"

	"github.com/octanebridge/octane-bridge/internal/shaderpkg"
)

// In production the publisher refuses the committed development signing key, the local stack's
// S3 secret and database password, loopback S3 and database URLs, and --public-previews; the
// same rule as the edge's (internal/devsecrets). Development (the local stack) is unchanged.
func TestPublishRefusesDevelopmentKeysInProduction(t *testing.T) {
	pkg := writeZip(t, t.TempDir(), "prod-check", "1.0.0")
	seed := make([]byte, 32)
	rand.Read(seed)
	freshKey := "prod-1:" + base64.StdEncoding.EncodeToString(seed)
	publish := func(e env, extra ...string) (string, error) {
		var out bytes.Buffer
		err := run(context.Background(), append(append([]string{"--dry-run", "--no-vet"}, extra...), pkg), e.get, &out, &out)
		return out.String(), err
	}

	// The local key in production: refused before anything is signed.
	out, err := publish(env{"PUBLISH_ENV": "production", "MANIFEST_SIGNING_KEYS": shaderpkg.LocalDevSigningKeys()})
	if err == nil || !strings.Contains(err.Error(), "MANIFEST_SIGNING_KEYS") || strings.Contains(out, "would publish") {
		t.Fatalf("local key in production: %v\n%s", err, out)
	}
	if strings.Contains(err.Error(), strings.SplitN(shaderpkg.LocalDevSigningKeys(), ":", 2)[1]) {
		t.Fatalf("the error repeats the key: %v", err)
	}
	// The local seed under another kid, next to a real key: refused too.
	if _, err := publish(env{"PUBLISH_ENV": "production", "MANIFEST_SIGNING_KEYS": freshKey + ",old:" + base64.StdEncoding.EncodeToString(shaderpkg.LocalDevSeed())}); err == nil {
		t.Fatal("the local seed under another kid was accepted")
	}
	// PUBLISH_ENV forgotten, but the database is not on this machine: production all the same.
	if _, err := publish(env{"DATABASE_URL": "postgres://publisher:pw@db.example.com:5432/postgres", "MANIFEST_SIGNING_KEYS": shaderpkg.LocalDevSigningKeys()}); err == nil ||
		!strings.Contains(err.Error(), "MANIFEST_SIGNING_KEYS") {
		t.Fatalf("remote database with the local key: %v", err)
	}
	for name, e := range map[string]env{
		"loopback database":       {"DATABASE_URL": "postgres://publisher:pw@127.0.0.1:54322/postgres"},
		"loopback S3":             {"S3_ENDPOINT": "http://localhost:9000"},
		"the local S3 secret":     {"S3_SECRET_KEY": "octanelocalsecret"},
		"the local database's pw": {"DATABASE_URL": "postgres://postgres:postgres@db.example.com:5432/postgres", "PUBLISH_ALLOW_LOOPBACK": "1"},
		"a bad override":          {"PUBLISH_ALLOW_LOOPBACK": "yes"},
	} {
		e["PUBLISH_ENV"], e["MANIFEST_SIGNING_KEYS"] = "production", freshKey
		if _, err := publish(e); err == nil {
			t.Errorf("%s: accepted in production", name)
		}
	}
	if _, err := publish(env{"PUBLISH_ENV": "production", "MANIFEST_SIGNING_KEYS": freshKey}, "--public-previews"); err == nil || !strings.Contains(err.Error(), "--public-previews") {
		t.Errorf("--public-previews in production: %v", err)
	}
	if _, err := publish(env{"PUBLISH_ENV": "staging", "MANIFEST_SIGNING_KEYS": freshKey}); err == nil {
		t.Error("PUBLISH_ENV=staging accepted")
	}

	// A fresh key in production signs; the rehearsal override admits loopback URLs only.
	if out, err := publish(env{"PUBLISH_ENV": "production", "MANIFEST_SIGNING_KEYS": freshKey}); err != nil || !strings.Contains(out, "would publish") {
		t.Fatalf("production with a fresh key: %v\n%s", err, out)
	}
	if out, err := publish(env{"PUBLISH_ENV": "production", "MANIFEST_SIGNING_KEYS": freshKey, "S3_ENDPOINT": "http://127.0.0.1:9000", "PUBLISH_ALLOW_LOOPBACK": "1"}); err != nil || !strings.Contains(out, "would publish") {
		t.Fatalf("rehearsal: %v\n%s", err, out)
	}
	// Development (unset with no database, or a loopback one, or said outright) keeps the local key.
	if out, err := publish(env{"MANIFEST_SIGNING_KEYS": shaderpkg.LocalDevSigningKeys()}); err != nil || strings.Contains(out, "production") {
		t.Fatalf("development dry run: %v\n%s", err, out)
	}
	if out, err := publish(env{"PUBLISH_ENV": "development", "S3_ENDPOINT": "http://127.0.0.1:9000", "MANIFEST_SIGNING_KEYS": shaderpkg.LocalDevSigningKeys()}); err != nil || strings.Contains(out, "production") {
		t.Fatalf("PUBLISH_ENV=development: %v\n%s", err, out)
	}
}
