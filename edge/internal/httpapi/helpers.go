package httpapi

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"

	"github.com/google/uuid"
	"github.com/labstack/echo/v4"

	"github.com/octanebridge/octane-bridge/internal/apierror"
)

// Bind decodes a JSON object, refusing anything else (null too), unknown fields and trailing data.
// It is the edge's only request binder: billing and storage are given it for their handlers.
func Bind(c echo.Context, v any) error {
	var raw json.RawMessage
	dec := json.NewDecoder(c.Request().Body)
	if err := dec.Decode(&raw); err != nil {
		if errors.Is(err, io.EOF) {
			return apierror.New(apierror.InvalidInput, "the body must be a JSON object")
		}
		var tooBig interface{ Error() string }
		if errors.As(err, &tooBig) && tooBig.Error() == "http: request body too large" {
			return apierror.New(apierror.InvalidInput, "the request body is too large")
		}
		return apierror.Wrap(apierror.InvalidInput, "the body must be a JSON object with the documented fields", err)
	}
	if raw[0] != '{' {
		return apierror.New(apierror.InvalidInput, "the body must be a JSON object")
	}
	// Token, not More: More is false before a stray '}' or ']' (found by FuzzBind).
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		return apierror.New(apierror.InvalidInput, "trailing data after the JSON object")
	}
	fields := json.NewDecoder(bytes.NewReader(raw))
	fields.DisallowUnknownFields()
	if err := fields.Decode(v); err != nil {
		return apierror.Wrap(apierror.InvalidInput, "the body must be a JSON object with the documented fields", err)
	}
	return nil
}

// pathID parses the :id parameter; anything that is not a UUID cannot exist.
func pathID(c echo.Context) (uuid.UUID, error) {
	id, err := uuid.Parse(c.Param("id"))
	if err != nil {
		return uuid.Nil, apierror.New(apierror.NotFound, "not found")
	}
	return id, nil
}
