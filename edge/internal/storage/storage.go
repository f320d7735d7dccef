// Package storage presigns S3 requests for shader packages and previews: short-lived GETs for
// downloads and PUTs for operator uploads whose length, type and SHA-256 are part of the signature,
// so the holder of a URL can store exactly the object the edge agreed to and nothing else.
package storage

import (
	"context"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"net/http"
	"regexp"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"

	"github.com/octanebridge/octane-bridge/internal/s3client"
)

const (
	// MaxGetTTL caps download URLs: the bridge starts its download right after redemption.
	MaxGetTTL = 300 * time.Second
	// DefaultPutTTL is how long an upload URL stays valid.
	DefaultPutTTL = 15 * time.Minute
	// minPartSize is S3's floor for every part but the last.
	minPartSize int64 = 5 << 20
	// maxParts is S3's ceiling on parts per upload.
	maxParts = 10000
)

// Kind is what is uploaded; it decides the key, the content type and the size limit.
type Kind string

const (
	KindPackage Kind = "package"
	KindPreview Kind = "preview"
	// KindIncoming is a package uploaded from the operator's page for a publish job: stored under
	// incoming/<id>.zip until the publish worker vetted it, always in parts of IncomingPartSize so
	// that a dropped connection or a closed tab resumes from the parts already stored.
	KindIncoming Kind = "incoming"
)

// Limits are the per-kind size ceilings and the multipart layout.
type Limits struct {
	PackageMax int64
	PreviewMax int64
	// MultipartThreshold: objects larger than this are uploaded in parts.
	MultipartThreshold int64
	// PartSize is the size of every part except the last (S3 allows 5 MiB..5 GiB).
	PartSize int64
	// IncomingPartSize is the part size of the page's uploads: small, so a resume loses little.
	IncomingPartSize int64
}

// DefaultLimits: 2 GiB packages (8K texture sets), 5 MiB previews, parts of 64 MiB above 100 MiB,
// the page's uploads in parts of 8 MiB.
func DefaultLimits() Limits {
	return Limits{PackageMax: 2 << 30, PreviewMax: 5 << 20, MultipartThreshold: 100 << 20, PartSize: 64 << 20, IncomingPartSize: 8 << 20}
}

// Config is the S3 connection. Endpoint empty: AWS S3 for the region; AccessKey and SecretKey
// empty: the standard AWS credential chain (see internal/s3client).
type Config struct {
	Endpoint, Region, AccessKey, SecretKey, Bucket string
}

// Presigner signs S3 URLs for one bucket. It holds no mutable state and is safe for concurrent use.
type Presigner struct {
	client  *s3.Client
	presign *s3.PresignClient
	bucket  string
	limits  Limits
}

// New validates the configuration; it does not contact S3 or a credential source (the region is
// fixed, so presigning needs no bucket-location lookup).
func New(c Config, limits Limits) (*Presigner, error) {
	if c.Bucket == "" {
		return nil, errors.New("storage: S3_BUCKET is required")
	}
	cl, err := s3client.New(context.Background(), s3client.Config{Endpoint: c.Endpoint, Region: c.Region, AccessKey: c.AccessKey, SecretKey: c.SecretKey})
	if err != nil {
		return nil, fmt.Errorf("storage: %w", err)
	}
	d := DefaultLimits()
	if limits.PackageMax <= 0 {
		limits.PackageMax = d.PackageMax
	}
	if limits.PreviewMax <= 0 {
		limits.PreviewMax = d.PreviewMax
	}
	if limits.MultipartThreshold <= 0 {
		limits.MultipartThreshold = d.MultipartThreshold
	}
	if limits.PartSize <= 0 {
		limits.PartSize = d.PartSize
	}
	if limits.IncomingPartSize <= 0 {
		limits.IncomingPartSize = d.IncomingPartSize
	}
	if limits.PartSize < minPartSize || limits.MultipartThreshold < limits.PartSize || limits.IncomingPartSize < minPartSize {
		return nil, errors.New("storage: part size must be at least 5 MiB and at most the multipart threshold")
	}
	if limits.PackageMax/min(limits.PartSize, limits.IncomingPartSize) >= maxParts {
		return nil, errors.New("storage: package limit needs more than 10000 parts")
	}
	return &Presigner{client: cl, presign: s3.NewPresignClient(cl), bucket: c.Bucket, limits: limits}, nil
}

// Bucket is the bucket every URL points into.
func (p *Presigner) Bucket() string { return p.bucket }

// PresignGet returns a download URL for key valid for ttl (capped at MaxGetTTL).
func (p *Presigner) PresignGet(ctx context.Context, key string, ttl time.Duration) (string, time.Time, error) {
	if ttl <= 0 || ttl > MaxGetTTL {
		ttl = MaxGetTTL
	}
	if ttl < time.Second {
		ttl = time.Second
	}
	now := time.Now()
	r, err := p.presign.PresignGetObject(ctx, &s3.GetObjectInput{Bucket: aws.String(p.bucket), Key: aws.String(key)}, s3.WithPresignExpires(ttl))
	if err != nil {
		return "", time.Time{}, fmt.Errorf("storage: presign get: %w", err)
	}
	return r.URL, now.Add(ttl), nil
}

// UploadRequest describes one object an operator wants to store.
type UploadRequest struct {
	Kind     Kind   `json:"kind"`
	ShaderID string `json:"shader_id,omitempty"` // slug (package, preview)
	Version  string `json:"version,omitempty"`   // (package, preview)
	Size     int64  `json:"size"`
	SHA256   string `json:"sha256,omitempty"` // hex of the whole object (package, preview)
	// ID names an incoming upload: 64 hex digits the page derives from the file (its size and
	// the SHA-256 of its first part), so the same file finds its unfinished upload again.
	ID string `json:"id,omitempty"`
}

// SignedRequest is one HTTP request the client must send exactly as described: the headers are
// part of the signature, so changing any of them (or sending another body) is refused by S3.
type SignedRequest struct {
	Method    string            `json:"method"`
	URL       string            `json:"url"`
	Headers   map[string]string `json:"headers"`
	ExpiresAt time.Time         `json:"expires_at"`
}

// Upload is the answer to an UploadRequest: a single PUT, or a multipart upload whose parts are
// presigned one by one (PresignPart) and finished with Complete.
type Upload struct {
	Key         string         `json:"key"`
	ContentType string         `json:"content_type"`
	Single      *SignedRequest `json:"put,omitempty"`
	UploadID    string         `json:"upload_id,omitempty"`
	PartSize    int64          `json:"part_size,omitempty"`
	PartCount   int            `json:"part_count,omitempty"`
	// StoredParts: an incoming upload's parts S3 already holds (a resume sends only the others).
	StoredParts []StoredPart `json:"stored_parts,omitempty"`
}

var (
	slugRe    = regexp.MustCompile(`^[a-z0-9](?:[a-z0-9-]{0,62}[a-z0-9])?$`)
	versionRe = regexp.MustCompile(`^[0-9]{1,6}\.[0-9]{1,6}\.[0-9]{1,6}$`)
	sha256Re  = regexp.MustCompile(`^[0-9a-f]{64}$`)
)

// InputError is a request the caller must fix; Field names the offending field.
type InputError struct {
	Field, Message string
}

func (e *InputError) Error() string { return e.Field + ": " + e.Message }

// ErrTooLarge is wrapped by the InputError returned for objects over the kind's limit.
var ErrTooLarge = errors.New("object too large")

// Key is the only key an upload of this shape may write (the publisher uses the same layout).
func Key(kind Kind, shaderID, version string) string {
	if kind == KindPreview {
		return "previews/" + shaderID + "/" + version + ".webp"
	}
	return "packages/" + shaderID + "/" + version + ".zip"
}

// key is where r is stored: incoming uploads under incoming/<id>.zip.
func (r UploadRequest) key() string {
	if r.Kind == KindIncoming {
		return "incoming/" + r.ID + ".zip"
	}
	return Key(r.Kind, r.ShaderID, r.Version)
}

func (p *Presigner) check(r UploadRequest) (contentType string, err error) {
	var max int64
	switch r.Kind {
	case KindPackage:
		contentType, max = "application/zip", p.limits.PackageMax
	case KindPreview:
		contentType, max = "image/webp", p.limits.PreviewMax
	case KindIncoming:
		switch {
		case !sha256Re.MatchString(r.ID):
			return "", &InputError{"id", "must be 64 lowercase hex digits"}
		case r.ShaderID != "" || r.Version != "" || r.SHA256 != "":
			return "", &InputError{"kind", "an incoming upload has no shader_id, version or sha256 (the publish job reads them from the package)"}
		case r.Size <= 0:
			return "", &InputError{"size", "must be positive"}
		case r.Size > p.limits.PackageMax:
			return "", &InputError{"size", fmt.Sprintf("%v: at most %d bytes for a package", ErrTooLarge, p.limits.PackageMax)}
		}
		return "application/zip", nil
	default:
		return "", &InputError{"kind", `must be "package", "preview" or "incoming"`}
	}
	switch {
	case !slugRe.MatchString(r.ShaderID):
		return "", &InputError{"shader_id", "must be a slug (a-z, 0-9, -)"}
	case !versionRe.MatchString(r.Version):
		return "", &InputError{"version", "must be MAJOR.MINOR.PATCH"}
	case !sha256Re.MatchString(r.SHA256):
		return "", &InputError{"sha256", "must be 64 lowercase hex digits"}
	case r.Size <= 0:
		return "", &InputError{"size", "must be positive"}
	case r.Size > max:
		return "", &InputError{"size", fmt.Sprintf("%v: at most %d bytes for a %s", ErrTooLarge, max, r.Kind)}
	}
	return contentType, nil
}

func b64sha(hexsum string) string {
	b, _ := hex.DecodeString(hexsum)
	return base64.StdEncoding.EncodeToString(b)
}

// part says which part of a multipart upload a PUT is; nil for a single PUT.
type part struct {
	uploadID string
	number   int32
}

func (p *Presigner) presignPut(ctx context.Context, key string, pt *part, size int64, contentType, sha256hex string, ttl time.Duration) (*SignedRequest, error) {
	if ttl <= 0 {
		ttl = DefaultPutTTL
	}
	// The SDK signs Content-Length (from the request's length), Content-Type and every
	// x-amz-checksum-* header into the URL (they are never hoisted into the query), so S3 refuses
	// a request that changes any of them.
	now := time.Now()
	var (
		r   *v4.PresignedHTTPRequest
		err error
	)
	if pt == nil {
		r, err = p.presign.PresignPutObject(ctx, &s3.PutObjectInput{
			Bucket: aws.String(p.bucket), Key: aws.String(key), ContentLength: aws.Int64(size),
			ContentType: aws.String(contentType), ChecksumSHA256: aws.String(b64sha(sha256hex)),
		}, s3.WithPresignExpires(ttl))
	} else {
		r, err = p.presign.PresignUploadPart(ctx, &s3.UploadPartInput{
			Bucket: aws.String(p.bucket), Key: aws.String(key), UploadId: aws.String(pt.uploadID), PartNumber: aws.Int32(pt.number),
			ContentLength: aws.Int64(size), ChecksumSHA256: aws.String(b64sha(sha256hex)),
		}, s3.WithPresignExpires(ttl))
	}
	if err != nil {
		return nil, fmt.Errorf("storage: presign put: %w", err)
	}
	hdr := make(map[string]string, len(r.SignedHeader))
	for k := range r.SignedHeader {
		if strings.EqualFold(k, "Host") {
			continue // the client sets it from the URL
		}
		hdr[http.CanonicalHeaderKey(k)] = r.SignedHeader.Get(k)
	}
	return &SignedRequest{Method: r.Method, URL: r.URL, Headers: hdr, ExpiresAt: now.Add(ttl)}, nil
}

// PresignUpload validates r and returns how to upload it: one presigned PUT up to the
// multipart threshold, else a started multipart upload (SHA-256 checksums per part).
func (p *Presigner) PresignUpload(ctx context.Context, r UploadRequest, ttl time.Duration) (Upload, error) {
	ct, err := p.check(r)
	if err != nil {
		return Upload{}, err
	}
	key := r.key()
	up := Upload{Key: key, ContentType: ct}
	ps := p.partSize(r)
	if r.Kind == KindIncoming {
		// The same file again (a dropped connection, a closed tab): its unfinished upload and
		// the parts already stored.
		if id, err := p.unfinished(ctx, key); err != nil || id != "" {
			if err != nil {
				return Upload{}, err
			}
			up.UploadID, up.PartSize, up.PartCount = id, ps, int((r.Size+ps-1)/ps)
			up.StoredParts, err = p.storedParts(ctx, key, id)
			return up, err
		}
	} else if r.Size <= p.limits.MultipartThreshold {
		up.Single, err = p.presignPut(ctx, key, nil, r.Size, ct, r.SHA256, ttl)
		return up, err
	}
	out, err := p.client.CreateMultipartUpload(ctx, &s3.CreateMultipartUploadInput{
		Bucket: aws.String(p.bucket), Key: aws.String(key), ContentType: aws.String(ct),
		ChecksumAlgorithm: types.ChecksumAlgorithmSha256,
	})
	if err != nil {
		return Upload{}, fmt.Errorf("storage: start multipart: %w", err)
	}
	up.UploadID, up.PartSize, up.PartCount = aws.ToString(out.UploadId), ps, int((r.Size+ps-1)/ps)
	return up, nil
}

func (p *Presigner) partSize(r UploadRequest) int64 {
	if r.Kind == KindIncoming {
		return p.limits.IncomingPartSize
	}
	return p.limits.PartSize
}

// partCount is how many parts tile r.Size.
func (p *Presigner) partCount(r UploadRequest) int {
	ps := p.partSize(r)
	return int((r.Size + ps - 1) / ps)
}

// unfinished is the newest multipart upload started for key and neither completed nor aborted.
func (p *Presigner) unfinished(ctx context.Context, key string) (string, error) {
	out, err := p.client.ListMultipartUploads(ctx, &s3.ListMultipartUploadsInput{Bucket: aws.String(p.bucket), Prefix: aws.String(key)})
	if err != nil {
		return "", fmt.Errorf("storage: list uploads: %w", err)
	}
	var id string
	var at time.Time
	for _, u := range out.Uploads {
		if aws.ToString(u.Key) == key && (id == "" || aws.ToTime(u.Initiated).After(at)) {
			id, at = aws.ToString(u.UploadId), aws.ToTime(u.Initiated)
		}
	}
	return id, nil
}

// StoredPart is a part S3 already holds for an unfinished upload.
type StoredPart struct {
	Number int    `json:"part_number"`
	Size   int64  `json:"size"`
	ETag   string `json:"etag"`
	SHA256 string `json:"sha256"` // hex, as signed into the part's PUT
}

// storedParts lists the parts S3 holds for an unfinished upload, in order.
func (p *Presigner) storedParts(ctx context.Context, key, uploadID string) ([]StoredPart, error) {
	parts := []StoredPart{}
	in := &s3.ListPartsInput{Bucket: aws.String(p.bucket), Key: aws.String(key), UploadId: aws.String(uploadID)}
	for {
		out, err := p.client.ListParts(ctx, in)
		if err != nil {
			return nil, fmt.Errorf("storage: list parts: %w", err)
		}
		for _, pt := range out.Parts {
			sum, _ := base64.StdEncoding.DecodeString(aws.ToString(pt.ChecksumSHA256))
			parts = append(parts, StoredPart{Number: int(aws.ToInt32(pt.PartNumber)), Size: aws.ToInt64(pt.Size),
				ETag: strings.Trim(aws.ToString(pt.ETag), `"`), SHA256: hex.EncodeToString(sum)})
		}
		if !aws.ToBool(out.IsTruncated) {
			return parts, nil
		}
		in.PartNumberMarker = out.NextPartNumberMarker
	}
}

// PartRequest asks for the URL of one part of a multipart upload.
type PartRequest struct {
	Number int    `json:"part_number"`
	Size   int64  `json:"size"`
	SHA256 string `json:"sha256"` // hex of this part
}

// PresignPart signs the PUT of one part with its length and SHA-256, like a single upload.
// r is the upload as first requested: it fixes the key, and the parts must tile r.Size.
func (p *Presigner) PresignPart(ctx context.Context, r UploadRequest, uploadID string, pr PartRequest, ttl time.Duration) (*SignedRequest, error) {
	if _, err := p.check(r); err != nil {
		return nil, err
	}
	key, total, ps := r.key(), r.Size, p.partSize(r)
	if r.Kind != KindIncoming && total <= p.limits.MultipartThreshold || total > p.limits.PackageMax {
		return nil, &InputError{"size", "is not the size of a multipart package upload"}
	}
	count := p.partCount(r)
	switch {
	case uploadID == "":
		return nil, &InputError{"upload_id", "is required"}
	case pr.Number < 1 || pr.Number > count || pr.Number > maxParts:
		return nil, &InputError{"part_number", fmt.Sprintf("must be 1..%d", count)}
	case !sha256Re.MatchString(pr.SHA256):
		return nil, &InputError{"sha256", "must be 64 lowercase hex digits"}
	}
	want := ps
	if pr.Number == count {
		want = total - ps*int64(count-1)
	}
	if pr.Size != want {
		return nil, &InputError{"size", fmt.Sprintf("part %d must be %d bytes", pr.Number, want)}
	}
	return p.presignPut(ctx, key, &part{uploadID: uploadID, number: int32(pr.Number)}, pr.Size, "", pr.SHA256, ttl)
}

// CompletedPart is what the client reports after uploading a part.
type CompletedPart struct {
	Number int    `json:"part_number"`
	ETag   string `json:"etag"`
	SHA256 string `json:"sha256"`
}

// Complete assembles the parts; S3 checks each part's ETag and checksum against what it stored.
func (p *Presigner) Complete(ctx context.Context, r UploadRequest, uploadID string, parts []CompletedPart) error {
	if _, err := p.check(r); err != nil {
		return err
	}
	key := r.key()
	// Every part, or S3 would assemble a truncated object under the agreed key.
	if n := p.partCount(r); len(parts) != n || n > maxParts {
		return &InputError{"parts", fmt.Sprintf("must list all %d parts of the upload", n)}
	}
	cp := make([]types.CompletedPart, len(parts))
	for i, pt := range parts {
		if pt.Number != i+1 || !sha256Re.MatchString(pt.SHA256) || pt.ETag == "" {
			return &InputError{"parts", "must be numbered 1..n in order, each with etag and sha256"}
		}
		cp[i] = types.CompletedPart{PartNumber: aws.Int32(int32(pt.Number)), ETag: aws.String(pt.ETag), ChecksumSHA256: aws.String(b64sha(pt.SHA256))}
	}
	if _, err := p.client.CompleteMultipartUpload(ctx, &s3.CompleteMultipartUploadInput{
		Bucket: aws.String(p.bucket), Key: aws.String(key), UploadId: aws.String(uploadID),
		MultipartUpload: &types.CompletedMultipartUpload{Parts: cp},
	}); err != nil {
		return fmt.Errorf("storage: complete multipart: %w", err)
	}
	return nil
}

// Abort discards a multipart upload and its parts.
func (p *Presigner) Abort(ctx context.Context, r UploadRequest, uploadID string) error {
	if _, err := p.check(r); err != nil {
		return err
	}
	key := r.key()
	if _, err := p.client.AbortMultipartUpload(ctx, &s3.AbortMultipartUploadInput{
		Bucket: aws.String(p.bucket), Key: aws.String(key), UploadId: aws.String(uploadID),
	}); err != nil {
		return fmt.Errorf("storage: abort multipart: %w", err)
	}
	return nil
}
