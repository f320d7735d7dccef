// Package devsecretstest holds the examples of the production rule (cases.json) that the Go
// implementations and the site's TypeScript one are all tested against, so a case is written once.
package devsecretstest

import (
	_ "embed"
	"encoding/json"
)

//go:embed cases.json
var raw []byte

// ProductionMode is one example of devsecrets.Production: a flag value and a probe URL, and
// whether they mean production.
type ProductionMode struct {
	Flag       string `json:"flag"`
	Probe      string `json:"probe"`
	Production bool   `json:"production"`
	Why        string `json:"why"`
}

var cases = func() (c struct {
	LoopbackURLs    map[string]bool  `json:"loopback_urls"`
	ProductionModes []ProductionMode `json:"production_modes"`
}) {
	if err := json.Unmarshal(raw, &c); err != nil {
		panic("devsecretstest/cases.json: " + err.Error())
	}
	return c
}()

// LoopbackURLs maps each example URL to whether it names this machine.
func LoopbackURLs() map[string]bool { return cases.LoopbackURLs }

// ProductionModes lists the examples of the production rule.
func ProductionModes() []ProductionMode { return cases.ProductionModes }
