package storage

import (
	"errors"
	"net/http"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/octanebridge/octane-bridge/internal/apierror"
	"github.com/octanebridge/octane-bridge/internal/s3client"
)

// InputError is a request the caller must fix; the router maps it to INVALID_INPUT.
func (e *InputError) APICode() string       { return string(apierror.InvalidInput) }
func (e *InputError) PublicMessage() string { return e.Error() }

// Operator says whether the caller may upload to the catalog (the router authenticates and gives
// uploads:write to operators only; this checks it again). It returns an error the router maps
// (for example AUTH_REQUIRED) or ok=false for INSUFFICIENT_PERMISSIONS.
type Operator func(c echo.Context) (ok bool, err error)

// Handlers are the operator upload endpoints. They keep no state: each call carries the upload's
// description again, the key is derived from it, and S3 binds the multipart upload id to that key.
type Handlers struct {
	Create   echo.HandlerFunc // POST /v1/uploads                  UploadRequest → Upload (201)
	Part     echo.HandlerFunc // POST /v1/uploads/parts            {upload, upload_id, part} → SignedRequest
	Complete echo.HandlerFunc // POST /v1/uploads/complete         {upload, upload_id, parts} → 204
	Abort    echo.HandlerFunc // POST /v1/uploads/abort            {upload, upload_id} → 204
}

// Binder decodes a request body into v, refusing what the API does not document (the router's
// httpapi.Bind: one JSON object of known fields).
type Binder func(c echo.Context, v any) error

const maxUploadJSON = 1 << 20 // a complete call lists up to 10,000 parts

func capped(bind Binder) Binder {
	return func(c echo.Context, v any) error {
		c.Request().Body = http.MaxBytesReader(c.Response(), c.Request().Body, maxUploadJSON)
		return bind(c, v)
	}
}

type multipartCall struct {
	Upload   UploadRequest   `json:"upload"`
	UploadID string          `json:"upload_id"`
	Part     PartRequest     `json:"part"`
	Parts    []CompletedPart `json:"parts"`
}

// needID refuses a call on an upload that names none (completing or aborting needs one).
func (m multipartCall) needID() error {
	if m.UploadID == "" {
		return &InputError{"upload_id", "is required"}
	}
	return nil
}

func internal(err error) error {
	var ie *InputError
	if errors.As(err, &ie) {
		return err
	}
	// S3 refusing the client's part list (InvalidPart, NoSuchUpload, EntityTooSmall, ...) is
	// the caller's to fix; S3's code names the problem without revealing anything.
	if status, code := s3client.ErrorCode(err); status >= 400 && status < 500 && code != "" {
		return apierror.Wrap(apierror.InvalidInput, "object storage refused the request: "+code, err)
	}
	return apierror.Wrap(apierror.ServiceUnavailable, "object storage is unavailable", err)
}

// UploadHandlers builds the handlers; ttl is the lifetime of each presigned URL (0: default);
// bind decodes the bodies, capped here at 1 MiB (the router's 64 KiB cap skips /v1/uploads).
func (p *Presigner) UploadHandlers(operator Operator, ttl time.Duration, bind Binder) Handlers {
	bind = capped(bind)
	return Handlers{
		Create: operatorCall(operator, bind, func(c echo.Context, r UploadRequest) error {
			up, err := p.PresignUpload(c.Request().Context(), r, ttl)
			if err != nil {
				return internal(err)
			}
			return c.JSON(http.StatusCreated, up)
		}),
		Part: operatorCall(operator, bind, func(c echo.Context, m multipartCall) error {
			sr, err := p.PresignPart(c.Request().Context(), m.Upload, m.UploadID, m.Part, ttl)
			if err != nil {
				return internal(err)
			}
			return c.JSON(http.StatusOK, sr)
		}),
		Complete: operatorCall(operator, bind, func(c echo.Context, m multipartCall) error {
			if err := m.needID(); err != nil {
				return err
			}
			if err := p.Complete(c.Request().Context(), m.Upload, m.UploadID, m.Parts); err != nil {
				return internal(err)
			}
			return c.NoContent(http.StatusNoContent)
		}),
		Abort: operatorCall(operator, bind, func(c echo.Context, m multipartCall) error {
			if err := m.needID(); err != nil {
				return err
			}
			if err := p.Abort(c.Request().Context(), m.Upload, m.UploadID); err != nil {
				return internal(err)
			}
			return c.NoContent(http.StatusNoContent)
		}),
	}
}

// operatorCall is a handler only the library operator may call: it checks the caller, then
// decodes the body into T for next.
func operatorCall[T any](operator Operator, bind Binder, next func(echo.Context, T) error) echo.HandlerFunc {
	return func(c echo.Context) error {
		ok, err := operator(c)
		if err != nil {
			return err
		}
		if !ok {
			return apierror.New(apierror.InsufficientPermissions, "only the library operator can upload")
		}
		var in T
		if err := bind(c, &in); err != nil {
			return err
		}
		return next(c, in)
	}
}
