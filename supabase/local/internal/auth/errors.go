package auth

import (
	"encoding/json"
	"net/http"
	"strconv"

	"github.com/google/uuid"
)

// apiError is a GoTrue error: an HTTP status, a stable error_code and a message.
type apiError struct {
	status  int
	code    string
	message string
	extra   map[string]any
}

func (e *apiError) Error() string { return e.code + ": " + e.message }

func errf(status int, code, message string) *apiError {
	return &apiError{status: status, code: code, message: message}
}

// writeError answers in the shape the client asked for: supabase-js sends
// X-Supabase-Api-Version: 2024-01-01 and gets {code, message}; older clients (gotrue-go) get the
// legacy {code: <status>, error_code, msg, error_id}. Both carry the x-sb-error-code header.
func writeError(w http.ResponseWriter, r *http.Request, e *apiError) {
	w.Header().Set("x-sb-error-code", e.code)
	var body map[string]any
	if r.Header.Get("X-Supabase-Api-Version") >= "2024-01-01" {
		body = map[string]any{"code": e.code, "message": e.message}
	} else {
		body = map[string]any{"code": e.status, "error_code": e.code, "msg": e.message, "error_id": uuid.NewString()}
	}
	for k, v := range e.extra {
		body[k] = v
	}
	writeJSON(w, e.status, body)
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	b, err := json.Marshal(v)
	if err != nil {
		status, b = http.StatusInternalServerError, []byte(`{"code":"unexpected_failure","message":"Unexpected failure"}`)
	}
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Content-Length", strconv.Itoa(len(b)))
	w.WriteHeader(status)
	w.Write(b)
}
