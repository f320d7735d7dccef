// Package shaderpkg defines the shader package format (manifest.json, material.blend, textures,
// preview.webp; format v2 keeps the textures in one zip per resolution beside a base zip), its
// validation, and the Ed25519-signed delivery envelope the edge hands to the bridge. It is shared by the publisher, the edge and the bridge, so it has no I/O of its own
// beyond reading a package from memory or an io.ReaderAt.
package shaderpkg

import (
	"errors"
	"fmt"

	"github.com/octanebridge/octane-bridge/internal/codes"
)

// Code is a stable, machine-readable error code of schemas/codes.json. Callers map codes to their
// own error surfaces (HTTP error codes on the edge, import_failed codes in the bridge).
type Code = codes.Code

const (
	CodeManifestSyntax    = codes.ManifestSyntax    // manifest.json is not valid JSON of the right shape
	CodeManifestInvalid   = codes.ManifestInvalid   // a field fails validation
	CodeDeliveryMalformed = codes.DeliveryMalformed // envelope cannot be decoded or its payload is invalid
	CodeUnknownKey        = codes.DeliveryUnknownKey
	CodeBadSignature      = codes.DeliveryBadSignature
	CodeExpired           = codes.DeliveryExpired
	CodeNotYetValid       = codes.DeliveryNotYetValid
	CodeKeyring           = codes.KeyringInvalid
	CodePackageInvalid    = codes.PackageInvalid // zip structure or entry problems
	CodeHashMismatch      = codes.PackageHashMismatch
	CodeTooLarge          = codes.PackageTooLarge
	CodeMissingFile       = codes.PackageMissingFile
	CodeExtraFile         = codes.PackageExtraFile
)

// Error is the one error type of this package. Field names the offending JSON field or package
// path when there is one.
type Error struct {
	Code  Code
	Field string
	Msg   string
}

func (e *Error) Error() string {
	if e.Field != "" {
		return fmt.Sprintf("%s: %s: %s", e.Code, e.Field, e.Msg)
	}
	return fmt.Sprintf("%s: %s", e.Code, e.Msg)
}

// Is lets errors.Is match on the code alone: errors.Is(err, shaderpkg.ErrExpired).
func (e *Error) Is(target error) bool {
	t, ok := target.(*Error)
	return ok && t.Code == e.Code && t.Field == "" && t.Msg == ""
}

// Sentinels for errors.Is. They carry only a code.
var (
	ErrManifestSyntax    = &Error{Code: CodeManifestSyntax}
	ErrManifestInvalid   = &Error{Code: CodeManifestInvalid}
	ErrDeliveryMalformed = &Error{Code: CodeDeliveryMalformed}
	ErrUnknownKey        = &Error{Code: CodeUnknownKey}
	ErrBadSignature      = &Error{Code: CodeBadSignature}
	ErrExpired           = &Error{Code: CodeExpired}
	ErrNotYetValid       = &Error{Code: CodeNotYetValid}
	ErrKeyring           = &Error{Code: CodeKeyring}
	ErrPackageInvalid    = &Error{Code: CodePackageInvalid}
	ErrHashMismatch      = &Error{Code: CodeHashMismatch}
	ErrTooLarge          = &Error{Code: CodeTooLarge}
	ErrMissingFile       = &Error{Code: CodeMissingFile}
	ErrExtraFile         = &Error{Code: CodeExtraFile}
)

func errf(code Code, field, format string, args ...any) *Error {
	return &Error{Code: code, Field: field, Msg: fmt.Sprintf(format, args...)}
}

// CodeOf returns the Code of err, or "" when err is not (wrapping) an *Error.
func CodeOf(err error) Code {
	var e *Error
	if errors.As(err, &e) {
		return e.Code
	}
	return ""
}
