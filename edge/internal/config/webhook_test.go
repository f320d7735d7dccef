package config

import (
	"strings"
	"testing"
)

// TestWebhookAllowLoopback: customers' webhook URLs may name this machine only by local
// configuration; a production edge refuses the flag (threat 35).
func TestWebhookAllowLoopback(t *testing.T) {
	c, err := Load(env(nil))
	if err != nil || c.WebhookAllowLoopback {
		t.Fatalf("default: %v %v", c.WebhookAllowLoopback, err)
	}
	if c, err = Load(env(map[string]string{"WEBHOOK_ALLOW_LOOPBACK": "1"})); err != nil || !c.WebhookAllowLoopback {
		t.Fatalf("development with the flag: %v %v", c.WebhookAllowLoopback, err)
	}
	if _, err := Load(env(map[string]string{"WEBHOOK_ALLOW_LOOPBACK": "yes"})); err == nil || !strings.Contains(err.Error(), "WEBHOOK_ALLOW_LOOPBACK") {
		t.Fatalf("a value other than 1: %v", err)
	}
	if err := loadProduction(nil); err != nil {
		t.Fatalf("production without the flag: %v", err)
	}
	if err := loadProduction(map[string]string{"WEBHOOK_ALLOW_LOOPBACK": "1"}); err == nil || !strings.Contains(err.Error(), "WEBHOOK_ALLOW_LOOPBACK") {
		t.Fatalf("production with the flag: %v", err)
	}
}
