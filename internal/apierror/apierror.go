// Package apierror is the edge's one error type and the JSON body every error response carries.
// Its codes and their HTTP statuses are the "edge" entries of schemas/codes.json (internal/codes),
// which the bridge, the add-on and the site read too.
package apierror

import (
	"errors"
	"fmt"

	"github.com/octanebridge/octane-bridge/internal/codes"
)

// Code is a code of schemas/codes.json; the edge answers with those produced by "edge".
type Code = codes.Code

const (
	AuthRequired            = codes.AuthRequired
	AuthFailed              = codes.AuthFailed
	InvalidToken            = codes.InvalidToken
	InvalidInput            = codes.InvalidInput
	MissingRequiredField    = codes.MissingRequiredField
	NotFound                = codes.NotFound
	InsufficientPermissions = codes.InsufficientPermissions
	SubscriptionRequired    = codes.SubscriptionRequired
	RateLimitExceeded       = codes.RateLimitExceeded
	Conflict                = codes.Conflict
	Internal                = codes.InternalError
	ServiceUnavailable      = codes.ServiceUnavailable
)

// Codes lists every code the edge answers with (its HTTP status is in the file), in the file's order.
func Codes() []Code {
	var out []Code
	for _, c := range codes.All() {
		if c.Code.From("edge") {
			out = append(out, c.Code)
		}
	}
	return out
}

// Known reports whether c is one of the edge's codes.
func Known(c string) bool {
	i, ok := codes.Lookup(c)
	return ok && i.Code.From("edge")
}

// Error is what handlers return. Message is safe to show; Err is for the log only.
type Error struct {
	Code    Code
	Message string
	Err     error
}

func (e *Error) Error() string {
	if e.Err != nil {
		return fmt.Sprintf("%s: %s: %v", e.Code, e.Message, e.Err)
	}
	return string(e.Code) + ": " + e.Message
}

func (e *Error) Unwrap() error { return e.Err }

// New builds an error with a public message.
func New(c Code, msg string) *Error { return &Error{Code: c, Message: msg} }

// Wrap builds an error with a public message and a private cause.
func Wrap(c Code, msg string, err error) *Error { return &Error{Code: c, Message: msg, Err: err} }

// Body is the JSON shape of every error response.
type Body struct {
	Error struct {
		Code      Code   `json:"code"`
		Message   string `json:"message"`
		RequestID string `json:"request_id"`
	} `json:"error"`
}

// coded is implemented by errors of other packages (billing, storage) that carry a code.
type coded interface {
	APICode() string
	PublicMessage() string
}

// From turns any error into an *Error: ours as they are, coded ones by their code, anything else
// into INTERNAL_ERROR with a generic message.
func From(err error) *Error {
	var e *Error
	if errors.As(err, &e) {
		return e
	}
	var c coded
	if errors.As(err, &c) && Known(c.APICode()) {
		return &Error{Code: Code(c.APICode()), Message: c.PublicMessage(), Err: err}
	}
	return &Error{Code: Internal, Message: "internal error", Err: err}
}

// NewBody builds the response body.
func NewBody(e *Error, requestID string) Body {
	var b Body
	b.Error.Code = e.Code
	b.Error.Message = e.Message
	b.Error.RequestID = requestID
	return b
}
