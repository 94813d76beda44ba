package files

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/smithy-go"
)

// S3Store keeps files in an S3 bucket, under Prefix.
type S3Store struct {
	Client  *s3.Client
	Bucket  string
	Prefix  string
	presign *s3.PresignClient
}

var (
	_ Store     = (*S3Store)(nil)
	_ Presigner = (*S3Store)(nil)
)

// NewS3Store wraps a client. Presigned uploads carry no SDK checksum, so that any HTTP client can send
// them with only the headers the answer lists.
func NewS3Store(client *s3.Client, bucket, prefix string) *S3Store {
	pc := s3.NewPresignClient(client, func(o *s3.PresignOptions) {
		o.ClientOptions = append(o.ClientOptions, func(co *s3.Options) {
			co.RequestChecksumCalculation = aws.RequestChecksumCalculationWhenRequired
		})
	})
	return &S3Store{Client: client, Bucket: bucket, Prefix: prefix, presign: pc}
}

func (s *S3Store) key(name string) *string { return aws.String(s.Prefix + name) }

// Put uploads the file in one PutObject (the API reads upload bodies whole; they are at most
// FILE_MAX_SIZE). Large files go straight to S3 with PresignPut.
func (s *S3Store) Put(ctx context.Context, name string, body io.Reader, size int64, contentType string) error {
	rs, ok := body.(io.ReadSeeker)
	if !ok {
		b, err := io.ReadAll(body)
		if err != nil {
			return err
		}
		rs, size = bytes.NewReader(b), int64(len(b))
	}
	in := &s3.PutObjectInput{Bucket: aws.String(s.Bucket), Key: s.key(name), Body: rs, ContentLength: aws.Int64(size)}
	if contentType != "" {
		in.ContentType = aws.String(contentType)
	}
	if _, err := s.Client.PutObject(ctx, in); err != nil {
		return fmt.Errorf("s3 put %s: %w", name, err)
	}
	return nil
}

// Get streams the object.
func (s *S3Store) Get(ctx context.Context, name string) (*Object, error) {
	out, err := s.Client.GetObject(ctx, &s3.GetObjectInput{Bucket: aws.String(s.Bucket), Key: s.key(name)})
	if err != nil {
		if notFound(err) {
			return nil, ErrNotFound
		}
		return nil, fmt.Errorf("s3 get %s: %w", name, err)
	}
	o := &Object{Body: out.Body, Size: aws.ToInt64(out.ContentLength), ContentType: aws.ToString(out.ContentType), ETag: aws.ToString(out.ETag)}
	if out.LastModified != nil {
		o.LastModified = *out.LastModified
	}
	return o, nil
}

// Delete removes the object; a missing object is ErrNotFound (S3 itself would not say).
func (s *S3Store) Delete(ctx context.Context, name string) error {
	if _, err := s.Client.HeadObject(ctx, &s3.HeadObjectInput{Bucket: aws.String(s.Bucket), Key: s.key(name)}); err != nil {
		if notFound(err) {
			return ErrNotFound
		}
		return fmt.Errorf("s3 head %s: %w", name, err)
	}
	if _, err := s.Client.DeleteObject(ctx, &s3.DeleteObjectInput{Bucket: aws.String(s.Bucket), Key: s.key(name)}); err != nil {
		return fmt.Errorf("s3 delete %s: %w", name, err)
	}
	return nil
}

// PresignPut signs a PUT of exactly size bytes with that content type.
func (s *S3Store) PresignPut(ctx context.Context, name, contentType string, size int64, ttl time.Duration) (*Presigned, error) {
	in := &s3.PutObjectInput{Bucket: aws.String(s.Bucket), Key: s.key(name), ContentLength: aws.Int64(size)}
	if contentType != "" {
		in.ContentType = aws.String(contentType)
	}
	req, err := s.presign.PresignPutObject(ctx, in, s3.WithPresignExpires(ttl))
	if err != nil {
		return nil, fmt.Errorf("s3 presign put %s: %w", name, err)
	}
	h := map[string]string{}
	for k, vs := range req.SignedHeader {
		if len(vs) > 0 && !strings.EqualFold(k, "Host") {
			h[http.CanonicalHeaderKey(k)] = vs[0]
		}
	}
	if contentType != "" {
		h["Content-Type"] = contentType
	}
	h["Content-Length"] = strconv.FormatInt(size, 10)
	return &Presigned{Method: req.Method, URL: req.URL, Header: h}, nil
}

// PresignGet signs a GET.
func (s *S3Store) PresignGet(ctx context.Context, name string, ttl time.Duration) (string, error) {
	req, err := s.presign.PresignGetObject(ctx, &s3.GetObjectInput{Bucket: aws.String(s.Bucket), Key: s.key(name)}, s3.WithPresignExpires(ttl))
	if err != nil {
		return "", fmt.Errorf("s3 presign get %s: %w", name, err)
	}
	return req.URL, nil
}

// ObjectURL is the unsigned URL of a stored file (readable only in a public bucket): path-style under a
// custom endpoint, else virtual-hosted https://<bucket>.s3.<region>.amazonaws.com/<key>.
func (s *S3Store) ObjectURL(name string) string {
	key := escapeKey(s.Prefix + name)
	o := s.Client.Options()
	if ep := aws.ToString(o.BaseEndpoint); ep != "" {
		return strings.TrimRight(ep, "/") + "/" + s.Bucket + "/" + key
	}
	return "https://" + s.Bucket + ".s3." + o.Region + ".amazonaws.com/" + key
}

func escapeKey(k string) string {
	parts := strings.Split(k, "/")
	for i, p := range parts {
		parts[i] = url.PathEscape(p)
	}
	return strings.Join(parts, "/")
}

func notFound(err error) bool {
	var ae smithy.APIError
	if errors.As(err, &ae) {
		switch ae.ErrorCode() {
		case "NoSuchKey", "NotFound":
			return true
		}
	}
	var re *awshttp.ResponseError
	return errors.As(err, &re) && re.HTTPStatusCode() == http.StatusNotFound
}
