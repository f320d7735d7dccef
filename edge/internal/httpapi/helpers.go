package httpapi

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"net/http"

	"github.com/google/uuid"
	"github.com/labstack/echo/v4"

	"github.com/octanebridge/octane-bridge/internal/apierror"
)

// Bind decodes a JSON object, refusing anything else (null too), unknown fields and trailing data.
// It is the edge's only request binder: billing and storage are given it for their handlers.
// The body is parsed once, into v: the first byte says whether it is an object at all.
func Bind(c echo.Context, v any) error {
	body, err := io.ReadAll(c.Request().Body)
	if err != nil {
		var tooBig *http.MaxBytesError
		if errors.As(err, &tooBig) {
			return apierror.New(apierror.InvalidInput, "the request body is too large")
		}
		return apierror.Wrap(apierror.InvalidInput, "the body could not be read", err)
	}
	if b := bytes.TrimLeft(body, " \t\r\n"); len(b) == 0 || b[0] != '{' {
		return apierror.New(apierror.InvalidInput, "the body must be a JSON object")
	}
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return apierror.Wrap(apierror.InvalidInput, "the body must be a JSON object with the documented fields", err)
	}
	// Token, not More: More is false before a stray '}' or ']' (found by FuzzBind).
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		return apierror.New(apierror.InvalidInput, "trailing data after the JSON object")
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
