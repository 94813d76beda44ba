package files

import (
	"context"
	"fmt"
	"net/url"
	"os"
	"strings"

	awsconfig "github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/parselambda/parselambda/shared/config"
)

// Open returns the store cfg asks for: the S3 bucket FILES_BUCKET (credentials and region from the
// environment, as in Lambda; AWS_ENDPOINT_URL_S3 points it at another S3 server, path-style), else the
// folder dir.
func Open(ctx context.Context, cfg config.Config, dir string) (Store, error) {
	if cfg.FilesBucket == "" {
		if dir == "" {
			return nil, fmt.Errorf("files: set FILES_BUCKET or give a folder")
		}
		return NewDirStore(dir)
	}
	ac, err := awsconfig.LoadDefaultConfig(ctx)
	if err != nil {
		return nil, fmt.Errorf("files: AWS configuration: %w", err)
	}
	client := s3.NewFromConfig(ac, func(o *s3.Options) {
		if os.Getenv("AWS_ENDPOINT_URL_S3") != "" || os.Getenv("AWS_ENDPOINT_URL") != "" {
			o.UsePathStyle = true
		}
	})
	return NewS3Store(client, cfg.FilesBucket, cfg.FilesPrefix), nil
}

// URLFunc is how file fields and upload answers name a file's URL, by FILES_URL_MODE: nil for proxy
// (the API's /files/<appId>/<name>), the public URL for direct (FILES_BASE_URL, else the bucket's),
// or a presigned download for presigned. Modes the store cannot serve fall back to proxy (nil).
func URLFunc(cfg config.Config, store Store) func(name string) string {
	switch cfg.FilesURLMode {
	case "direct":
		if base := strings.TrimRight(cfg.FilesBaseURL, "/"); base != "" {
			return func(name string) string { return base + "/" + url.PathEscape(name) }
		}
		if s3s, ok := store.(*S3Store); ok {
			return s3s.ObjectURL
		}
	case "presigned":
		if p, ok := store.(Presigner); ok {
			ttl := cfg.FilesPresignTTL
			return func(name string) string {
				u, err := p.PresignGet(context.Background(), name, ttl)
				if err != nil {
					return ""
				}
				return u
			}
		}
	}
	return nil
}
