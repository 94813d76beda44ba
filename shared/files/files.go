// Package files stores Parse files: the Store interface with an S3 implementation (Lambda) and a local
// folder (`make run`), plus Parse Server's rules for file names, the upload permissions, the extension
// allow-list and the size limits.
package files

import (
	"context"
	"errors"
	"io"
	"mime"
	"path"
	"regexp"
	"strings"
	"time"

	"github.com/parselambda/parselambda/shared/parse"
)

// Store keeps the bytes of files by their stored name (e.g. "<32 hex>_photo.png").
type Store interface {
	// Put stores a file, replacing any file of the same name. size is the length of body.
	Put(ctx context.Context, name string, body io.Reader, size int64, contentType string) error
	// Get opens a stored file; ErrNotFound if there is none. The caller closes Body.
	Get(ctx context.Context, name string) (*Object, error)
	// Delete removes a stored file; ErrNotFound if there is none.
	Delete(ctx context.Context, name string) error
}

// Presigner is what a Store offers when clients can reach it directly (S3): URLs signed for a
// limited time to upload or download one file without going through the API.
type Presigner interface {
	// PresignPut signs an upload of exactly size bytes of contentType.
	PresignPut(ctx context.Context, name, contentType string, size int64, ttl time.Duration) (*Presigned, error)
	// PresignGet signs a download.
	PresignGet(ctx context.Context, name string, ttl time.Duration) (string, error)
}

// Presigned is a signed request: send Method to URL with Header (and the file as the body).
type Presigned struct {
	Method string            `json:"method"`
	URL    string            `json:"url"`
	Header map[string]string `json:"headers"`
}

// Object is an open stored file.
type Object struct {
	Body         io.ReadCloser
	Size         int64
	ContentType  string
	ETag         string // quoted, as in an HTTP ETag header; may be empty
	LastModified time.Time
}

// ErrNotFound is returned by Get and Delete for a name that is not stored.
var ErrNotFound = errors.New("file not found")

var nameRE = regexp.MustCompile(`^[_a-zA-Z0-9][a-zA-Z0-9@. ~_-]*$`)

// ValidateName applies Parse Server's rules to an uploaded file name (122).
func ValidateName(name string) error {
	if name == "" {
		return parse.NewError(parse.InvalidFileName, "Filename not provided.")
	}
	if len(name) > 128 {
		return parse.NewError(parse.InvalidFileName, "Filename too long.")
	}
	if !nameRE.MatchString(name) {
		return parse.NewError(parse.InvalidFileName, "Filename contains invalid characters.")
	}
	return nil
}

// SafeStoredName tells whether a name from a download or delete path can be looked up: stored names
// of migrated apps (tfss-…, UUID-prefixed) follow looser rules than new uploads, but never hold a path.
func SafeStoredName(name string) bool {
	return name != "" && name != "." && name != ".." && len(name) <= 1024 &&
		!strings.ContainsAny(name, "/\\\x00") && !strings.HasPrefix(name, ".")
}

// StoredName is the name a new upload is stored under: name, plus an extension from contentType when
// it has none, behind a 32-hex prefix unless preserve is set (Parse Server's FilesController.createFile).
// It also returns the content type to store: contentType, or the one of the extension.
func StoredName(name, contentType string, preserve bool) (string, string) {
	contentType = strings.TrimSpace(contentType)
	if path.Ext(name) == "" {
		if ext := ExtensionFor(contentType); ext != "" {
			name += "." + ext
		}
	} else if contentType == "" {
		contentType = TypeFor(name)
	}
	if !preserve {
		name = parse.RandomHex(16) + "_" + name
	}
	return name, contentType
}

// Caller is who uploads: the master key, a user (anonymous or not) or nobody.
type Caller struct {
	Master    bool
	User      bool
	Anonymous bool // the user signed up through authData.anonymous
}

// Policy is the upload rules of Parse Server's fileUpload option and maxUploadSize.
type Policy struct {
	Public, Anonymous, Authenticated bool
	// Extensions: "*" allows all, "png" or a regular expression allows matching extensions, and an
	// entry starting with "!" denies what it matches (checked first). The master key skips the check.
	Extensions []string
	MaxBytes   int64 // through the API
}

// CheckCaller refuses an upload the policy does not allow for c (130, with Parse Server's messages).
func (p Policy) CheckCaller(c Caller) error {
	switch {
	case c.Master:
		return nil
	case c.User && c.Anonymous && !p.Anonymous:
		return parse.NewError(parse.FileSaveError, "File upload by anonymous user is disabled.")
	case c.User && !c.Anonymous && !p.Authenticated:
		return parse.NewError(parse.FileSaveError, "File upload by authenticated user is disabled.")
	case !c.User && !p.Public:
		return parse.NewError(parse.FileSaveError, "File upload by public is disabled.")
	}
	return nil
}

// CheckExtension refuses a file whose extension the allow-list does not allow (130). The extension is
// the one of the name, else the subtype of contentType, as in Parse Server.
func (p Policy) CheckExtension(c Caller, name, contentType string) error {
	if c.Master || len(p.Extensions) == 0 {
		return nil
	}
	ext := ""
	if i := strings.LastIndexByte(name, '.'); i >= 0 {
		ext = name[i+1:]
	} else if _, sub, ok := strings.Cut(contentType, "/"); ok {
		ext, _, _ = strings.Cut(sub, ";")
	} else {
		ext = contentType
	}
	ext = strings.Join(strings.Fields(ext), "")
	if ext == "" {
		return nil
	}
	if !extensionAllowed(p.Extensions, ext) {
		return parse.Errorf(parse.FileSaveError, "File upload of extension %s is disabled.", ext)
	}
	return nil
}

func extensionAllowed(patterns []string, ext string) bool {
	// "svg+xml" is denied by "!svg" or "!xml".
	parts := append([]string{ext}, strings.Split(ext, "+")...)
	allowed := false
	for _, p := range patterns {
		deny := strings.HasPrefix(p, "!")
		p = strings.TrimPrefix(p, "!")
		if deny {
			for _, x := range parts {
				if matchExt(p, x) {
					return false
				}
			}
			continue
		}
		if p == "*" || matchExt(p, ext) {
			allowed = true
		}
	}
	return allowed
}

var plainExt = regexp.MustCompile(`^[A-Za-z0-9_-]+$`)

func matchExt(pattern, ext string) bool {
	if plainExt.MatchString(pattern) {
		return strings.EqualFold(pattern, ext)
	}
	re, err := regexp.Compile(pattern)
	return err == nil && re.MatchString(ext)
}

// CheckSize refuses a file larger than max (129).
func CheckSize(size, max int64) error {
	if max > 0 && size > max {
		return parse.Errorf(parse.FileTooLarge, "File size %d exceeds the maximum allowed (%d bytes).", size, max)
	}
	return nil
}

// types are the content types of common extensions, so that answers do not depend on the host's
// mime.types (Lambda's image has none).
var types = map[string]string{
	"txt": "text/plain", "md": "text/markdown", "csv": "text/csv", "css": "text/css", "js": "text/javascript",
	"html": "text/html", "htm": "text/html", "xml": "application/xml", "json": "application/json",
	"pdf": "application/pdf", "zip": "application/zip", "gz": "application/gzip", "tar": "application/x-tar",
	"png": "image/png", "jpg": "image/jpeg", "jpeg": "image/jpeg", "gif": "image/gif", "webp": "image/webp",
	"svg": "image/svg+xml", "heic": "image/heic", "heif": "image/heif", "avif": "image/avif", "bmp": "image/bmp",
	"ico": "image/vnd.microsoft.icon", "tif": "image/tiff", "tiff": "image/tiff",
	"mp3": "audio/mpeg", "m4a": "audio/mp4", "aac": "audio/aac", "wav": "audio/wav", "ogg": "audio/ogg",
	"mp4": "video/mp4", "mov": "video/quicktime", "webm": "video/webm", "m4v": "video/x-m4v", "avi": "video/x-msvideo",
	"doc": "application/msword", "docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
	"xls": "application/vnd.ms-excel", "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
	"ppt": "application/vnd.ms-powerpoint", "pptx": "application/vnd.openxmlformats-officedocument.presentationml.presentation",
	"bin": "application/octet-stream", "wasm": "application/wasm",
}

// preferredExt is the extension given to a name without one, by content type.
var preferredExt = map[string]string{
	"text/plain": "txt", "image/jpeg": "jpeg", "text/html": "html", "image/tiff": "tif",
	"application/xml": "xml", "text/xml": "xml", "application/octet-stream": "bin",
}

// TypeFor is the content type of a file name's extension ("" when unknown).
func TypeFor(name string) string {
	ext := strings.ToLower(strings.TrimPrefix(path.Ext(name), "."))
	if ext == "" {
		return ""
	}
	if t, ok := types[ext]; ok {
		return t
	}
	return mime.TypeByExtension("." + ext)
}

// ExtensionFor is the extension for a content type ("" when unknown).
func ExtensionFor(contentType string) string {
	mt, _, err := mime.ParseMediaType(contentType)
	if err != nil || mt == "" {
		return ""
	}
	if e, ok := preferredExt[mt]; ok {
		return e
	}
	for e, t := range types {
		if t == mt && len(e) <= 4 {
			return e
		}
	}
	if exts, _ := mime.ExtensionsByType(mt); len(exts) > 0 {
		return strings.TrimPrefix(exts[0], ".")
	}
	return ""
}
