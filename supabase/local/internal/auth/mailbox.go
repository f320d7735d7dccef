package auth

import (
	"encoding/json"
	"html/template"
	"net/http"
	"sync"
	"time"
)

// Mail is one e-mail the stand-in "sent".
type Mail struct {
	To        string    `json:"to"`
	Type      string    `json:"type"`
	Code      string    `json:"code"`
	Link      string    `json:"link"`
	TokenHash string    `json:"token_hash"`
	At        time.Time `json:"at"`
}

// Mailbox keeps the last e-mails in memory for the local mailbox page (and for tests).
type Mailbox struct {
	mu   sync.Mutex
	max  int
	list []Mail
}

// NewMailbox keeps up to max messages.
func NewMailbox(max int) *Mailbox { return &Mailbox{max: max} }

// Add stores a message, dropping the oldest beyond the cap.
func (m *Mailbox) Add(x Mail) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.list = append(m.list, x)
	if len(m.list) > m.max {
		m.list = m.list[len(m.list)-m.max:]
	}
}

// For returns the messages to an address, newest first ("" = all).
func (m *Mailbox) For(to string) []Mail {
	m.mu.Lock()
	defer m.mu.Unlock()
	out := []Mail{}
	for i := len(m.list) - 1; i >= 0; i-- {
		if to == "" || m.list[i].To == to {
			out = append(out, m.list[i])
		}
	}
	return out
}

var page = template.Must(template.New("m").Parse(`<!doctype html><meta charset="utf-8"><title>Local mailbox</title>
<style>body{font:14px system-ui;margin:2rem}td,th{padding:.3rem .6rem;border-bottom:1px solid #ddd;text-align:left}</style>
<h1>Local mailbox (Supabase stand-in)</h1><table><tr><th>When</th><th>To</th><th>Type</th><th>Code</th><th>Link</th></tr>
{{range .}}<tr><td>{{.At.Format "15:04:05"}}</td><td>{{.To}}</td><td>{{.Type}}</td><td><code>{{.Code}}</code></td><td><a href="{{.Link}}">open</a></td></tr>{{end}}</table>`))

// ServeHTTP shows the mailbox as HTML, or JSON with ?format=json (filter with ?to=).
func (m *Mailbox) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	list := m.For(r.URL.Query().Get("to"))
	if r.URL.Query().Get("format") == "json" {
		w.Header().Set("Content-Type", "application/json")
		json.NewEncoder(w).Encode(list)
		return
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	page.Execute(w, list)
}
