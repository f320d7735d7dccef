// Package fault is the bridge's one coded error: a code of schemas/codes.json, a message for
// people, and the cause. Every package of the bridge returns it (download, extract, cache, stdio
// and edgeclient name it Error; phoenix reports refused channels with it; importer ends imports
// with it), so one rule reads any of them:
//
//   - the innermost coded error names the code (CodeOf): a cache fill that failed because the
//     download failed is DOWNLOAD_FAILED, which may be retried, not CACHE_FILL_FAILED, which
//     says only where it happened;
//   - unless a Final error is met on the way in: it is a decision already taken about its causes
//     (an import's failure, CHECKSUM_MISMATCH because the download's HASH_MISMATCH), so its
//     code stands and nothing inside it is retried or reported in its place;
//   - the outermost coded error names the message (MessageOf): the layer closest to the
//     caller words it for its reader.
//
// Whether trying again may succeed is the code's "retryable" in schemas/codes.json.
package fault

import (
	"errors"
	"time"

	"github.com/octanebridge/octane-bridge/internal/codes"
)

// Error is every coded failure of the bridge's packages. Only Code is required.
type Error struct {
	Code       codes.Code
	Msg        string
	Err        error         // the cause, for the log (never shown as is)
	Final      bool          // a decided outcome: its code stands whatever its causes say
	Entry      string        // extract: the offending archive entry, made printable
	Topic      string        // phoenix: the channel's wire topic
	ID         string        // stdio: the request id of the line, when it had one
	Status     int           // edgeclient: the HTTP status, 0 for transport errors
	RequestID  string        // edgeclient: the edge's request_id, for support
	RetryAfter time.Duration // edgeclient: from Retry-After on 429/503
}

func (e *Error) Error() string {
	s := string(e.Code)
	if e.Topic != "" {
		s += ": " + e.Topic
	}
	if e.Entry != "" {
		s += ": " + e.Entry
	}
	if e.Msg != "" {
		s += ": " + e.Msg
	}
	if e.RequestID != "" {
		s += " (request " + e.RequestID + ")"
	}
	if e.Err != nil {
		s += ": " + e.Err.Error()
	}
	return s
}

func (e *Error) Unwrap() error { return e.Err }

// Innermost is the *Error that names err's failure: the deepest one in err's chain, or the
// first Final one on the way there; nil when the chain has none.
func Innermost(err error) *Error {
	var e *Error
	if !errors.As(err, &e) {
		return nil
	}
	for {
		var inner *Error
		if e.Final || e.Err == nil || !errors.As(e.Err, &inner) {
			return e
		}
		e = inner
	}
}

// CodeOf is the code of err's Innermost coded error ("" when there is none).
func CodeOf(err error) codes.Code {
	if e := Innermost(err); e != nil {
		return e.Code
	}
	return ""
}

// Decided is the Final coded error that names err's failure, or nil when err's code comes from
// a cause (no decision was taken about it).
func Decided(err error) *Error {
	if e := Innermost(err); e != nil && e.Final {
		return e
	}
	return nil
}

// Outermost is the first *Error in err's chain, or nil.
func Outermost(err error) *Error {
	var e *Error
	if errors.As(err, &e) {
		return e
	}
	return nil
}

// MessageOf is the message of the outermost coded error in err's chain ("" when there is none).
func MessageOf(err error) string {
	if e := Outermost(err); e != nil {
		return e.Msg
	}
	return ""
}

// Retryable says whether trying again may succeed: the Innermost code's "retryable" in
// schemas/codes.json (network trouble, 5xx, rate limits; never a refusal or a broken package).
func Retryable(err error) bool { return CodeOf(err).Retryable() }

// RetryAfter is the wait a server asked for, from the Innermost coded error (0 when none).
func RetryAfter(err error) time.Duration {
	if e := Innermost(err); e != nil {
		return e.RetryAfter
	}
	return 0
}
