// Package apierror is the edge's one error type: a closed set of codes, one code→HTTP table, and
// the JSON body every error response carries. Go clients (the bridge) share the codes.
package apierror

import (
	"errors"
	"fmt"
	"net/http"
)

// Code is one of the closed set below.
type Code string

const (
	AuthRequired            Code = "AUTH_REQUIRED"
	AuthFailed              Code = "AUTH_FAILED"
	InvalidToken            Code = "INVALID_TOKEN"
	InvalidInput            Code = "INVALID_INPUT"
	MissingRequiredField    Code = "MISSING_REQUIRED_FIELD"
	NotFound                Code = "NOT_FOUND"
	InsufficientPermissions Code = "INSUFFICIENT_PERMISSIONS"
	SubscriptionRequired    Code = "SUBSCRIPTION_REQUIRED"
	RateLimitExceeded       Code = "RATE_LIMIT_EXCEEDED"
	Conflict                Code = "CONFLICT"
	Internal                Code = "INTERNAL_ERROR"
	ServiceUnavailable      Code = "SERVICE_UNAVAILABLE"
)

// status is the one code→HTTP table.
var status = map[Code]int{
	AuthRequired:            http.StatusUnauthorized,
	AuthFailed:              http.StatusUnauthorized,
	InvalidToken:            http.StatusUnauthorized,
	InvalidInput:            http.StatusBadRequest,
	MissingRequiredField:    http.StatusBadRequest,
	NotFound:                http.StatusNotFound,
	InsufficientPermissions: http.StatusForbidden,
	SubscriptionRequired:    http.StatusPaymentRequired,
	RateLimitExceeded:       http.StatusTooManyRequests,
	Conflict:                http.StatusConflict,
	Internal:                http.StatusInternalServerError,
	ServiceUnavailable:      http.StatusServiceUnavailable,
}

// Codes lists every code, for tests and documentation.
func Codes() []Code {
	return []Code{AuthRequired, AuthFailed, InvalidToken, InvalidInput, MissingRequiredField, NotFound,
		InsufficientPermissions, SubscriptionRequired, RateLimitExceeded, Conflict, Internal, ServiceUnavailable}
}

// Known reports whether c is in the closed set.
func Known(c string) bool { _, ok := status[Code(c)]; return ok }

// Status is the HTTP status of a code; unknown codes are internal errors.
func (c Code) Status() int {
	if s, ok := status[c]; ok {
		return s
	}
	return http.StatusInternalServerError
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
