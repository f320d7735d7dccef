// Package s3client builds the aws-sdk-go-v2 S3 client the edge, the publisher, the tools and the
// tests share, so that production and the local stack differ only in configuration:
//
//   - production (AWS S3): no endpoint, and the region and credentials come from the standard AWS
//     chain (AWS_REGION, AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY, AWS_PROFILE, web identity, ECS
//     task role, EC2 instance role) unless given explicitly; buckets are addressed virtual-hosted;
//   - any other S3 (the local versitygw, MinIO, R2, ...): a custom endpoint, addressed path-style,
//     usually with static keys.
//
// Checksums are computed only where the operation requires them: the callers send
// x-amz-checksum-sha256 themselves (it is the checksum the design signs into presigned uploads),
// and the SDK must not add a CRC32 of its own next to it.
package s3client

import (
	"context"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"os"

	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"
	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/smithy-go"
)

// Config is the S3 connection. Every field may be empty except where noted.
type Config struct {
	// Endpoint is a custom S3 endpoint (http or https URL), addressed path-style. Empty: AWS S3
	// for the region, virtual-hosted.
	Endpoint string
	// Region signs the requests. Empty: the AWS chain's region (AWS_REGION, the profile), and
	// for a custom endpoint without one, us-east-1 (what S3-compatible servers expect by default).
	Region string
	// AccessKey and SecretKey are static credentials; both empty: the standard AWS credential
	// chain. One without the other is an error.
	AccessKey, SecretKey string
}

// New builds a client. It does not contact S3 or any credential source: credentials are resolved
// on first use, so a presigning service starts even while its instance role is still coming up.
func New(ctx context.Context, c Config) (*s3.Client, error) {
	if c.Endpoint != "" {
		u, err := url.Parse(c.Endpoint)
		if err != nil || u.Host == "" || (u.Scheme != "http" && u.Scheme != "https") {
			return nil, fmt.Errorf("s3: endpoint %q is not an http(s) URL", c.Endpoint)
		}
	}
	if (c.AccessKey == "") != (c.SecretKey == "") {
		return nil, errors.New("s3: set both the access key and the secret key, or neither (the AWS credential chain)")
	}
	var opts []func(*config.LoadOptions) error
	if c.Region != "" {
		opts = append(opts, config.WithRegion(c.Region))
	}
	if c.AccessKey != "" {
		opts = append(opts, config.WithCredentialsProvider(credentials.NewStaticCredentialsProvider(c.AccessKey, c.SecretKey, "")))
	}
	cfg, err := config.LoadDefaultConfig(ctx, opts...)
	if err != nil {
		return nil, fmt.Errorf("s3: load AWS configuration: %w", err)
	}
	if cfg.Region == "" && c.Endpoint != "" {
		cfg.Region = "us-east-1"
	}
	if cfg.Region == "" {
		return nil, errors.New("s3: no region (set S3_REGION or AWS_REGION)")
	}
	return s3.NewFromConfig(cfg, func(o *s3.Options) {
		if c.Endpoint != "" {
			o.BaseEndpoint = aws.String(c.Endpoint)
			o.UsePathStyle = true
		}
		o.RequestChecksumCalculation = aws.RequestChecksumCalculationWhenRequired
		o.ResponseChecksumValidation = aws.ResponseChecksumValidationWhenRequired
	}), nil
}

// FromEnv is the connection the S3_* variables describe (S3_ENDPOINT, S3_REGION, S3_ACCESS_KEY,
// S3_SECRET_KEY: what scripts/lib.sh and the deployments set), read through getenv.
func FromEnv(getenv func(string) string) Config {
	return Config{Endpoint: getenv("S3_ENDPOINT"), Region: getenv("S3_REGION"),
		AccessKey: getenv("S3_ACCESS_KEY"), SecretKey: getenv("S3_SECRET_KEY")}
}

// PutFile stores the file at path under bucket/key, streamed with its length, and returns the
// number of bytes stored.
func PutFile(ctx context.Context, cl *s3.Client, bucket, key, path, contentType string) (int64, error) {
	f, err := os.Open(path)
	if err != nil {
		return 0, err
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return 0, err
	}
	_, err = cl.PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String(bucket), Key: aws.String(key), Body: f,
		ContentLength: aws.Int64(st.Size()), ContentType: aws.String(contentType)})
	return st.Size(), err
}

// PutChecked stores in (its Bucket, Key, Body, ContentLength and any other header) with the
// body's SHA-256 (hex) signed in as x-amz-checksum-sha256: S3 recomputes it and refuses a body
// that does not match, so the payload itself travels unsigned and the body is read once (it need
// not seek). The checksum the server reports back is compared too.
func PutChecked(ctx context.Context, cl *s3.Client, in *s3.PutObjectInput, sha256hex string) error {
	key := aws.ToString(in.Key)
	sum, err := hex.DecodeString(sha256hex)
	if err != nil || len(sum) != sha256.Size {
		return fmt.Errorf("upload %s: bad sha256 %q", key, sha256hex)
	}
	b64 := base64.StdEncoding.EncodeToString(sum)
	in.ChecksumSHA256 = aws.String(b64)
	out, err := cl.PutObject(ctx, in, s3.WithAPIOptions(v4.SwapComputePayloadSHA256ForUnsignedPayloadMiddleware))
	if err != nil {
		return fmt.Errorf("upload %s: %w", key, err)
	}
	if got := aws.ToString(out.ChecksumSHA256); got != "" && got != b64 {
		return fmt.Errorf("upload %s: server stored checksum %s, want %s", key, got, sha256hex)
	}
	return nil
}

// ErrorCode returns the HTTP status and the S3 error code of a failed call (0 and "" when err
// did not come from an S3 response).
func ErrorCode(err error) (status int, code string) {
	var re *awshttp.ResponseError
	if errors.As(err, &re) {
		status = re.HTTPStatusCode()
	}
	var ae smithy.APIError
	if errors.As(err, &ae) {
		code = ae.ErrorCode()
	}
	return status, code
}

// IsNotFound reports whether err says the object (or upload) does not exist.
func IsNotFound(err error) bool {
	status, code := ErrorCode(err)
	return status == http.StatusNotFound || code == "NoSuchKey" || code == "NotFound"
}
