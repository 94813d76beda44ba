package rest

import (
	"bytes"
	"context"
	"encoding/base64"
	"errors"
	"io"
	"net/http"
	"strconv"
	"strings"
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo"
	"go.mongodb.org/mongo-driver/v2/mongo/options"

	"github.com/parselambda/parselambda/shared/auth"
	"github.com/parselambda/parselambda/shared/files"
	"github.com/parselambda/parselambda/shared/parse"
)

// fileRoutes are the files family: uploads (raw body or the JS SDK's JSON form), the presigned
// upload of large files straight to S3, and deletes. Downloads (GET /files/:appId/:name) need no
// Parse headers and are served before request parsing, by serveFileDownload.
func (a *App) fileRoutes() []route {
	return []route{
		r("POST", "/files", a.fileNoName),
		r("POST", "/files/:filename", a.fileUpload),
		m("DELETE", "/files/:filename", a.fileDelete),
		r("POST", "/files/:filename/upload", a.filePresignUpload),
	}
}

func (a *App) filePolicy() files.Policy {
	return files.Policy{
		Public: a.cfg.FileUploadPublic, Anonymous: a.cfg.FileUploadAnonymous, Authenticated: a.cfg.FileUploadAuthed,
		Extensions: a.cfg.FileExtensions, MaxBytes: a.cfg.FileMaxBytes,
	}
}

// isUploadPath tells whether p (below the mount) is POST /files/:filename, whose body is the file.
func isUploadPath(p string) bool {
	rest, ok := strings.CutPrefix(p, "/files/")
	return ok && rest != "" && !strings.Contains(rest, "/")
}

// bodyLimit is how many body bytes a request may carry: uploads may reach FILE_MAX_SIZE, in base64
// inside the JS SDK's JSON form too.
func (a *App) bodyLimit(method, p string) int64 {
	limit := a.cfg.MaxBodyBytes
	if method == http.MethodPost && isUploadPath(p) {
		if l := a.cfg.FileMaxBytes/3*4 + 64<<10; l > limit {
			limit = l
		}
	}
	return limit
}

// rawFileBody tells whether the body of this request is a file rather than JSON: an upload, unless
// it is the JS SDK's JSON form (no app id header, and a JSON object naming _ApplicationId), as in
// Parse Server's handleParseHeaders.
func (a *App) rawFileBody(r *http.Request, p string, raw []byte) bool {
	if r.Method != http.MethodPost || !(isUploadPath(p) || strings.TrimSuffix(p, "/") == "/files") {
		return false
	}
	if r.Header.Get("X-Parse-Application-Id") == a.cfg.AppID {
		return true
	}
	v, err := decodeJSON(raw)
	m, isObj := v.(map[string]any)
	return err != nil || !isObj || m["_ApplicationId"] == nil
}

func (a *App) fileNoName(ctx context.Context, req *Request) (*Response, error) {
	return nil, parse.NewError(parse.InvalidFileName, "Filename not provided.")
}

// fileCaller tells who uploads; telling an anonymous user from another costs a read, done only when
// the two are treated differently.
func (a *App) fileCaller(ctx context.Context, au *auth.Auth) (files.Caller, error) {
	c := files.Caller{Master: au.Master, User: au.UserID != ""}
	if !c.User || c.Master || a.cfg.FileUploadAnonymous == a.cfg.FileUploadAuthed {
		return c, nil
	}
	var u bson.M
	err := a.db.Collection("_User").FindOne(ctx, bson.D{{Key: "_id", Value: au.UserID}}, options.FindOne().SetProjection(bson.D{{Key: "_auth_data_anonymous", Value: 1}})).Decode(&u)
	if err != nil && !errors.Is(err, mongo.ErrNoDocuments) {
		return c, err
	}
	c.Anonymous = u["_auth_data_anonymous"] != nil
	return c, nil
}

func (a *App) fileStore() (files.Store, error) {
	if a.ext.files == nil {
		return nil, parse.NewError(parse.FileSaveError, "This server has no file storage configured.")
	}
	return a.ext.files, nil
}

// fileUpload is POST /files/:filename: 201 {url, name} and Location.
func (a *App) fileUpload(ctx context.Context, req *Request) (*Response, error) {
	store, err := a.fileStore()
	if err != nil {
		return nil, err
	}
	pol := a.filePolicy()
	caller, err := a.fileCaller(ctx, req.Auth)
	if err != nil {
		return nil, err
	}
	if err := pol.CheckCaller(caller); err != nil {
		return nil, err
	}
	var data []byte
	contentType := ""
	if req.Body != nil { // the JS SDK's JSON form
		b64, _ := req.Body["base64"].(string)
		if i := strings.Index(b64, ";base64,"); i >= 0 && strings.HasPrefix(b64, "data:") {
			b64 = b64[i+len(";base64,"):]
		}
		data, err = decodeBase64(b64)
		if err != nil {
			return nil, parse.NewError(parse.FileSaveError, "Invalid file upload: base64 does not decode.")
		}
		contentType = req.contentType
	} else {
		data = req.raw
		contentType = req.Header.Get("Content-Type")
	}
	if len(data) == 0 {
		return nil, parse.NewError(parse.FileSaveError, "Invalid file upload.")
	}
	if err := files.CheckSize(int64(len(data)), pol.MaxBytes); err != nil {
		return nil, err
	}
	filename := req.Params["filename"]
	if err := files.ValidateName(filename); err != nil {
		return nil, err
	}
	if err := pol.CheckExtension(caller, filename, contentType); err != nil {
		return nil, err
	}
	if filename, contentType, data, err = a.beforeSaveFile(ctx, req, filename, contentType, data); err != nil {
		return nil, err
	}
	name, ct := files.StoredName(filename, contentType, a.cfg.PreserveFileName)
	if err := store.Put(ctx, name, bytes.NewReader(data), int64(len(data)), ct); err != nil {
		a.log.ErrorContext(ctx, "file upload failed", "request_id", RequestID(ctx), "name", name, "err", err)
		return nil, parse.Errorf(parse.FileSaveError, "Could not store file: %s.", name)
	}
	url := a.objects.FileURL(name)
	a.afterSaveFile(ctx, req, name, ct, len(data), url)
	return &Response{Status: 201, Body: map[string]any{"url": url, "name": name}, Location: url}, nil
}

func decodeBase64(s string) ([]byte, error) {
	s = strings.Map(func(r rune) rune {
		if r == '\n' || r == '\r' || r == ' ' || r == '\t' {
			return -1
		}
		return r
	}, s)
	if b, err := base64.StdEncoding.DecodeString(s); err == nil {
		return b, nil
	}
	if b, err := base64.RawStdEncoding.DecodeString(strings.TrimRight(s, "=")); err == nil {
		return b, nil
	}
	return base64.RawURLEncoding.DecodeString(strings.TrimRight(s, "="))
}

// fileDelete is DELETE /files/:filename (master key).
func (a *App) fileDelete(ctx context.Context, req *Request) (*Response, error) {
	store, err := a.fileStore()
	if err != nil {
		return nil, err
	}
	name := req.Params["filename"]
	if !files.SafeStoredName(name) {
		return nil, parse.NewError(fileDeleteError, "FileNotFound")
	}
	if err := store.Delete(ctx, name); err != nil {
		if errors.Is(err, files.ErrNotFound) {
			return nil, parse.NewError(fileDeleteError, "FileNotFound")
		}
		a.log.ErrorContext(ctx, "file delete failed", "request_id", RequestID(ctx), "name", name, "err", err)
		return nil, parse.NewError(fileDeleteError, "Could not delete file.")
	}
	return reply(map[string]any{})
}

// filePresignUpload is POST /files/:filename/upload {contentType?, size}: the upload of a file too
// large for a Lambda request, straight to S3. It checks what an upload checks and answers the final
// name, its URL and a presigned PUT: {name, url, upload: {method, url, headers}, expiresAt}.
func (a *App) filePresignUpload(ctx context.Context, req *Request) (*Response, error) {
	store, err := a.fileStore()
	if err != nil {
		return nil, err
	}
	ps, ok := store.(files.Presigner)
	if !ok {
		return nil, parse.NewError(parse.CommandUnavailable, "Presigned uploads need S3 file storage (FILES_BUCKET); upload with POST /files/:filename instead.")
	}
	pol := a.filePolicy()
	caller, err := a.fileCaller(ctx, req.Auth)
	if err != nil {
		return nil, err
	}
	if err := pol.CheckCaller(caller); err != nil {
		return nil, err
	}
	filename := req.Params["filename"]
	if err := files.ValidateName(filename); err != nil {
		return nil, err
	}
	body := a.bodyOrEmpty(req)
	contentType, _ := body["contentType"].(string)
	size, err := positiveInt(body["size"])
	if err != nil {
		return nil, parse.NewError(128, "size must be the file's length in bytes, a positive integer.")
	}
	if err := files.CheckSize(size, a.cfg.FileUploadMaxBytes); err != nil {
		return nil, err
	}
	if err := pol.CheckExtension(caller, filename, contentType); err != nil {
		return nil, err
	}
	name, ct := files.StoredName(filename, contentType, a.cfg.PreserveFileName)
	ttl := a.cfg.FilesPresignTTL
	up, err := ps.PresignPut(ctx, name, ct, size, ttl)
	if err != nil {
		a.log.ErrorContext(ctx, "presign failed", "request_id", RequestID(ctx), "name", name, "err", err)
		return nil, parse.Errorf(parse.FileSaveError, "Could not prepare the upload of %s.", name)
	}
	return reply(map[string]any{
		"name":      name,
		"url":       a.objects.FileURL(name),
		"upload":    up,
		"expiresAt": time.Now().Add(ttl).UTC().Format("2006-01-02T15:04:05.000Z"),
	})
}

func positiveInt(v any) (int64, error) {
	var s string
	switch t := v.(type) {
	case string:
		s = t
	case interface{ String() string }: // json.Number
		s = t.String()
	case float64:
		s = strconv.FormatFloat(t, 'f', -1, 64)
	default:
		return 0, errors.New("not a number")
	}
	n, err := strconv.ParseInt(s, 10, 64)
	if err != nil || n <= 0 {
		return 0, errors.New("not a positive integer")
	}
	return n, nil
}

// serveFileDownload answers GET and HEAD /files/:appId/:name (and .../metadata/:name) without Parse
// headers, as Parse Server does. It reports whether the request was one of those.
func (a *App) serveFileDownload(ctx context.Context, w http.ResponseWriter, r *http.Request, p string) bool {
	if r.Method != http.MethodGet && r.Method != http.MethodHead {
		return false
	}
	segs := strings.Split(strings.TrimPrefix(p, "/"), "/")
	if segs[0] != "files" || len(segs) < 3 || len(segs) > 4 || (len(segs) == 4 && segs[2] != "metadata") {
		return false
	}
	if segs[1] != a.cfg.AppID {
		writeJSON(w, http.StatusForbidden, map[string]any{"code": parse.OperationForbidden, "error": "Invalid application ID."})
		return true
	}
	if len(segs) == 4 { // file metadata: not kept by these stores
		writeJSON(w, http.StatusOK, map[string]any{})
		return true
	}
	name := segs[2]
	notFound := func() {
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		w.WriteHeader(http.StatusNotFound)
		_, _ = io.WriteString(w, "File not found.")
	}
	store := a.ext.files
	if store == nil || !files.SafeStoredName(name) {
		notFound()
		return true
	}
	obj, err := store.Get(ctx, name)
	if errors.Is(err, files.ErrNotFound) {
		notFound()
		return true
	}
	if err != nil {
		a.writeErr(ctx, w, err)
		return true
	}
	defer obj.Body.Close()
	// A Lambda answer holds about 6 MB: larger files are read straight from S3.
	if ps, ok := store.(files.Presigner); ok && a.cfg.FilesProxyMaxBytes > 0 && obj.Size > a.cfg.FilesProxyMaxBytes {
		u, err := ps.PresignGet(ctx, name, a.cfg.FilesPresignTTL)
		if err != nil {
			a.writeErr(ctx, w, err)
			return true
		}
		w.Header().Set("Cache-Control", "private, max-age=60")
		w.Header().Set("Location", u)
		w.WriteHeader(http.StatusFound)
		return true
	}
	ct := files.TypeFor(name)
	if ct == "" {
		ct = obj.ContentType
	}
	if ct == "" {
		ct = "application/octet-stream"
	}
	h := w.Header()
	h.Set("Content-Type", ct)
	h.Set("X-Content-Type-Options", "nosniff")
	if a.cfg.FilesCacheControl != "" {
		h.Set("Cache-Control", a.cfg.FilesCacheControl)
	}
	if obj.ETag != "" {
		h.Set("ETag", obj.ETag)
	}
	if rs, ok := obj.Body.(io.ReadSeeker); ok { // ranges, conditional requests, HEAD
		http.ServeContent(w, r, "", obj.LastModified, rs)
		return true
	}
	if !obj.LastModified.IsZero() {
		h.Set("Last-Modified", obj.LastModified.UTC().Format(http.TimeFormat))
	}
	if inm := r.Header.Get("If-None-Match"); inm != "" && obj.ETag != "" && strings.Contains(inm, obj.ETag) {
		w.WriteHeader(http.StatusNotModified)
		return true
	}
	h.Set("Content-Length", strconv.FormatInt(obj.Size, 10))
	w.WriteHeader(http.StatusOK)
	if r.Method == http.MethodGet {
		_, _ = io.Copy(w, obj.Body)
	}
	return true
}

// fileDeleteError is Parse's FILE_DELETE_ERROR.
const fileDeleteError = 153
