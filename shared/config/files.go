package config

import (
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"time"
)

// DefaultFileExtensions allows every extension but those a browser would run as a page (HTML, SVG, XML).
var DefaultFileExtensions = []string{"*", "!html", "!htm", "!shtml", "!shtm", "!xhtml", "!xhtm", "!xht", "!mht", "!mhtml", "!svg", "!svgz", "!xml", "!xsl", "!xslt"}

// filesAndIdempotencyFromEnv reads the files and idempotency settings (FILE_*, FILES_*, IDEMPOTENCY_*).
func (c *Config) filesAndIdempotencyFromEnv(getenv func(string) string) error {
	for _, s := range []struct {
		key string
		dst *string
	}{{"FILES_BUCKET", &c.FilesBucket}, {"FILES_PREFIX", &c.FilesPrefix}, {"FILES_URL_MODE", &c.FilesURLMode}, {"FILES_BASE_URL", &c.FilesBaseURL}, {"FILES_CACHE_CONTROL", &c.FilesCacheControl}} {
		if v := strings.TrimSpace(getenv(s.key)); v != "" {
			*s.dst = v
		}
	}
	for _, b := range []struct {
		key string
		dst *bool
	}{{"FILE_UPLOAD_PUBLIC", &c.FileUploadPublic}, {"FILE_UPLOAD_ANONYMOUS", &c.FileUploadAnonymous}, {"FILE_UPLOAD_AUTHENTICATED", &c.FileUploadAuthed}, {"PRESERVE_FILE_NAME", &c.PreserveFileName}} {
		if v := strings.TrimSpace(getenv(b.key)); v != "" {
			x, err := strconv.ParseBool(v)
			if err != nil {
				return fmt.Errorf("%s=%q: want true or false", b.key, v)
			}
			*b.dst = x
		}
	}
	switch c.FilesURLMode {
	case "proxy", "direct", "presigned":
	default:
		return fmt.Errorf("FILES_URL_MODE=%q: want proxy, direct or presigned", c.FilesURLMode)
	}
	sizes := []struct {
		key string
		dst *int64
	}{{"FILE_MAX_SIZE", &c.FileMaxBytes}, {"FILE_UPLOAD_MAX_SIZE", &c.FileUploadMaxBytes}, {"FILES_PROXY_MAX_SIZE", &c.FilesProxyMaxBytes}}
	for _, s := range sizes {
		if v := strings.TrimSpace(getenv(s.key)); v != "" {
			n, err := ParseSize(v)
			if err != nil {
				return fmt.Errorf("%s=%q: %v", s.key, v, err)
			}
			*s.dst = n
		}
	}
	secs := []struct {
		key string
		dst *time.Duration
	}{{"FILES_PRESIGN_TTL", &c.FilesPresignTTL}, {"IDEMPOTENCY_TTL", &c.IdempotencyTTL}}
	for _, s := range secs {
		if v := strings.TrimSpace(getenv(s.key)); v != "" {
			n, err := strconv.Atoi(v)
			if err != nil || n <= 0 {
				return fmt.Errorf("%s=%q: want a positive number of seconds", s.key, v)
			}
			*s.dst = time.Duration(n) * time.Second
		}
	}
	if v, ok := list(getenv("FILE_EXTENSIONS")); ok {
		c.FileExtensions = v
	}
	for _, e := range c.FileExtensions {
		if _, err := regexp.Compile(strings.TrimPrefix(e, "!")); err != nil && e != "*" {
			return fmt.Errorf("FILE_EXTENSIONS: %q is not a valid pattern: %v", e, err)
		}
	}
	if v, ok := list(getenv("IDEMPOTENCY_PATHS")); ok {
		c.IdempotencyPaths = v
	}
	if v := strings.ToLower(strings.TrimSpace(getenv("IDEMPOTENCY_REPEAT"))); v != "" {
		c.IdempotencyRepeat = v
	}
	switch c.IdempotencyRepeat {
	case "replay", "error":
	default:
		return fmt.Errorf("IDEMPOTENCY_REPEAT=%q: want replay or error", c.IdempotencyRepeat)
	}
	for _, p := range c.IdempotencyPaths {
		if _, err := regexp.Compile(p); err != nil {
			return fmt.Errorf("IDEMPOTENCY_PATHS: %q is not a valid regular expression: %v", p, err)
		}
	}
	return nil
}

// list splits a comma-separated value; ok is false when the variable is unset.
func list(v string) ([]string, bool) {
	v = strings.TrimSpace(v)
	if v == "" {
		return nil, false
	}
	var out []string
	for _, p := range strings.Split(v, ",") {
		if p = strings.TrimSpace(p); p != "" {
			out = append(out, p)
		}
	}
	return out, true
}
