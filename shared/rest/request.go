package rest

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync/atomic"

	"github.com/parselambda/parselambda/shared/auth"
	"github.com/parselambda/parselambda/shared/parse"
	"github.com/parselambda/parselambda/shared/storage"
)

// Request is one parsed Parse REST call.
type Request struct {
	Method string
	Path   string // below the mount, starting with "/"
	Params map[string]string
	Query  url.Values
	Body   map[string]any // nil when the body was empty
	Header http.Header
	Auth   *auth.Auth
	ID     string // request id, for logs
	// Context is the client's cloud context (_context / X-Parse-Cloud-Context).
	Context map[string]any
	Version string // client version
	raw     []byte // the raw body, when it came over HTTP
	// legacyToken is a non-revocable session token, read only by /upgradeToRevocableSession.
	legacyToken string
	// contentType is the JS SDK's _ContentType (file uploads in JSON form).
	contentType string
	// batchIndex is a batch sub-request's position from 1 (idempotency).
	batchIndex  int
	roleChecked bool
}

// Response is a handler's answer.
type Response struct {
	Status   int
	Body     any
	Location string
	Header   map[string]string
}

func reply(body any) (*Response, error) { return &Response{Status: 200, Body: body}, nil }

type requestIDKey struct{}

// RequestID returns the request id carried by ctx.
func RequestID(ctx context.Context) string {
	s, _ := ctx.Value(requestIDKey{}).(string)
	return s
}

func (a *App) serve(allowed map[string]bool) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		rid := r.Header.Get("X-Request-Id")
		if rid == "" {
			rid = nextRequestID()
		}
		ctx := context.WithValue(r.Context(), requestIDKey{}, rid)
		defer func() {
			// A bug must not take the container down or leave the client without an answer.
			if p := recover(); p != nil {
				a.log.ErrorContext(ctx, "panic while serving a request", "request_id", rid, "panic", p, "path", r.URL.Path)
				writeJSON(w, 500, map[string]any{"code": parse.InternalServerError, "error": "Internal server error."})
			}
		}()
		h := w.Header()
		h.Set("Access-Control-Allow-Origin", a.cfg.AllowOrigin)
		h.Set("Access-Control-Allow-Methods", "GET,PUT,POST,DELETE,OPTIONS")
		h.Set("Access-Control-Allow-Headers", "X-Parse-Master-Key, X-Parse-REST-API-Key, X-Parse-Javascript-Key, X-Parse-Application-Id, X-Parse-Client-Version, X-Parse-Session-Token, X-Requested-With, X-Parse-Revocable-Session, X-Parse-Request-Id, X-Parse-Installation-Id, X-Parse-Client-Key, X-Parse-Cloud-Context, Content-Type, Pragma, Cache-Control, Authorization")
		h.Set("Access-Control-Expose-Headers", "X-Parse-Job-Status-Id, X-Parse-Push-Status-Id")
		if r.Method == http.MethodOptions {
			w.WriteHeader(200)
			return
		}
		mount := a.cfg.MountPath
		p := r.URL.Path
		if p != mount && !strings.HasPrefix(p, mount+"/") {
			a.writeErr(ctx, w, &parse.HTTPError{Status: 404, Msg: "Cannot " + r.Method + " " + p})
			return
		}
		p = strings.TrimPrefix(p, mount)
		if p == "" {
			p = "/"
		}
		if allowed != nil && !allowed[firstSegment(p)] {
			a.writeErr(ctx, w, &parse.HTTPError{Status: 404, Msg: "Cannot " + r.Method + " " + mount + p})
			return
		}
		if p == "/health" && (r.Method == http.MethodGet || r.Method == http.MethodHead) {
			// Health checks come from load balancers and monitors without Parse headers.
			writeJSON(w, 200, map[string]any{"status": "ok"})
			return
		}
		if firstSegment(p) == "apps" {
			a.servePages(ctx, w, r, p)
			return
		}
		if a.serveFileDownload(ctx, w, r, p) {
			return
		}
		req, err := a.parseRequest(ctx, w, r, p)
		if err != nil {
			a.writeErr(ctx, w, err)
			return
		}
		req.ID = rid
		resp, err := a.dispatch(ctx, req)
		if err != nil {
			a.writeErr(ctx, w, err)
			return
		}
		a.writeResponse(w, resp)
	})
}

// parseRequest reads headers, the body and the keys in it, and resolves the caller.
func (a *App) parseRequest(ctx context.Context, w http.ResponseWriter, r *http.Request, p string) (*Request, error) {
	req := &Request{Method: r.Method, Path: p, Query: r.URL.Query(), Header: r.Header}
	var raw []byte
	if r.Body != nil {
		lr := http.MaxBytesReader(w, r.Body, a.bodyLimit(r.Method, p))
		b, err := io.ReadAll(lr)
		if err != nil {
			var mbe *http.MaxBytesError
			if errors.As(err, &mbe) {
				return nil, &parse.HTTPError{Status: 413, Msg: "request entity too large"}
			}
			return nil, parse.NewError(parse.InvalidJSON, "could not read the request body")
		}
		raw = b
	}
	if a.rawFileBody(r, p, raw) {
		req.raw = raw
	} else if len(bytes.TrimSpace(raw)) > 0 {
		v, err := decodeJSON(raw)
		if err != nil {
			return nil, parse.NewError(parse.InvalidJSON, "invalid JSON")
		}
		m, isObj := v.(map[string]any)
		if !isObj {
			return nil, parse.NewError(parse.InvalidJSON, "the request body must be a JSON object")
		}
		req.Body = m
		req.raw = raw
	}
	appID := r.Header.Get("X-Parse-Application-Id")
	master := r.Header.Get("X-Parse-Master-Key")
	jsKey := r.Header.Get("X-Parse-Javascript-Key")
	token := r.Header.Get("X-Parse-Session-Token")
	inst := r.Header.Get("X-Parse-Installation-Id")
	req.Version = r.Header.Get("X-Parse-Client-Version")
	if c := r.Header.Get("X-Parse-Cloud-Context"); c != "" {
		if v, err := decodeJSON([]byte(c)); err == nil {
			req.Context, _ = v.(map[string]any)
		}
	}
	if ba := r.Header.Get("Authorization"); strings.HasPrefix(ba, "Basic ") {
		if dec, err := base64.StdEncoding.DecodeString(strings.TrimPrefix(ba, "Basic ")); err == nil {
			if id, secret, found := strings.Cut(string(dec), ":"); found {
				appID = id
				if strings.HasPrefix(secret, "javascript-key=") {
					jsKey = strings.TrimPrefix(secret, "javascript-key=")
				} else {
					master = secret
				}
			}
		}
	}
	b := req.Body
	fromBody := false
	if b != nil && appID != a.cfg.AppID {
		if bid, ok := b["_ApplicationId"].(string); ok {
			if master != "" && master != a.cfg.MasterKey {
				return nil, parse.Unauthorized()
			}
			appID, fromBody = bid, true
			jsKey, _ = b["_JavaScriptKey"].(string)
		}
	}
	if b != nil {
		if fromBody || b["_method"] != nil || b["_ApplicationId"] != nil {
			if s, ok := b["_MasterKey"].(string); ok && fromBody {
				master = s
			}
			if s, ok := b["_SessionToken"].(string); ok && token == "" {
				token = s
			}
			if s, ok := b["_InstallationId"].(string); ok && inst == "" {
				inst = s
			}
			if s, ok := b["_ClientVersion"].(string); ok && req.Version == "" {
				req.Version = s
			}
			if c, ok := b["_context"].(map[string]any); ok {
				req.Context = c
			}
			if m, ok := b["_method"].(string); ok && r.Method == http.MethodPost {
				switch strings.ToUpper(m) {
				case "GET", "PUT", "DELETE", "POST":
					req.Method = strings.ToUpper(m)
				default:
					return nil, parse.NewError(parse.InvalidJSON, "unsupported _method")
				}
			}
			req.contentType, _ = b["_ContentType"].(string)
			for _, k := range []string{"_method", "_ApplicationId", "_JavaScriptKey", "_MasterKey", "_SessionToken", "_InstallationId", "_ClientVersion", "_context", "_RevocableSession", "_ContentType"} {
				delete(b, k)
			}
		}
	}
	if appID != a.cfg.AppID {
		return nil, parse.Unauthorized()
	}
	isMaster := master != "" && master == a.cfg.MasterKey
	if master != "" && !isMaster {
		return nil, parse.Unauthorized()
	}
	if !isMaster && a.cfg.ClientKeysConfigured() {
		okKey := false
		for _, pair := range [][2]string{
			{r.Header.Get("X-Parse-REST-API-Key"), a.cfg.RESTAPIKey},
			{jsKey, a.cfg.JavaScriptKey},
			{r.Header.Get("X-Parse-Client-Key"), a.cfg.ClientKey},
			{r.Header.Get("X-Parse-Windows-Key"), a.cfg.WindowsKey},
		} {
			if pair[0] != "" && pair[0] == pair[1] {
				okKey = true
			}
		}
		if !okKey {
			return nil, parse.Unauthorized()
		}
	}
	if p == "/upgradeToRevocableSession" && !strings.HasPrefix(token, "r:") {
		req.legacyToken, token = token, ""
	}
	au, err := a.auth.resolve(ctx, token, isMaster)
	if err != nil {
		return nil, err
	}
	au.InstallationID = inst
	req.Auth = au
	return req, nil
}

// params reads find parameters from the query string (GET) or the body.
func (req *Request) params() map[string]any {
	if req.Body != nil {
		return req.Body
	}
	out := map[string]any{}
	for k, vs := range req.Query {
		if len(vs) == 0 {
			continue
		}
		s := vs[len(vs)-1]
		if v, err := decodeJSON([]byte(s)); err == nil {
			out[k] = v
		} else {
			out[k] = s
		}
	}
	return out
}

func (a *App) writeResponse(w http.ResponseWriter, resp *Response) {
	for k, v := range resp.Header {
		w.Header().Set(k, v)
	}
	if resp.Location != "" {
		w.Header().Set("Location", resp.Location)
	}
	writeJSON(w, resp.Status, resp.Body)
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	if raw, ok := v.(json.RawMessage); ok { // written by the fast read path
		writeBody(w, status, raw)
		return
	}
	body, err := storage.MarshalJSON(v)
	if err != nil {
		w.Header().Set("Content-Type", "application/json; charset=utf-8")
		w.WriteHeader(500)
		_, _ = w.Write([]byte(`{"code":1,"error":"Internal server error."}`))
		return
	}
	writeBody(w, status, body)
}

// writeBody sends a JSON answer with its length, so the server writes it in one piece (no chunked
// encoding for answers larger than its buffer).
func writeBody(w http.ResponseWriter, status int, body []byte) {
	h := w.Header()
	h["Content-Type"] = jsonContentType
	h["Content-Length"] = []string{strconv.Itoa(len(body))}
	w.WriteHeader(status)
	_, _ = w.Write(body)
}

var jsonContentType = []string{"application/json; charset=utf-8"}

// errorBody is the one place that maps an error to its HTTP status and body. Internal errors are
// logged with the request id and answered as {code:1} without their text.
func (a *App) errorBody(ctx context.Context, err error) (int, map[string]any) {
	if pe, ok := parse.As(err); ok {
		if pe.Code == parse.InternalServerError {
			a.log.ErrorContext(ctx, "internal error", "request_id", RequestID(ctx), "err", pe.Msg)
			return 500, map[string]any{"code": parse.InternalServerError, "error": "Internal server error."}
		}
		return parse.Status(pe.Code), map[string]any{"code": pe.Code, "error": pe.Msg}
	}
	var he *parse.HTTPError
	if errors.As(err, &he) {
		return he.Status, map[string]any{"error": he.Msg}
	}
	a.log.ErrorContext(ctx, "internal error", "request_id", RequestID(ctx), "err", err.Error())
	return 500, map[string]any{"code": parse.InternalServerError, "error": "Internal server error."}
}

func (a *App) writeErr(ctx context.Context, w http.ResponseWriter, err error) {
	status, body := a.errorBody(ctx, err)
	writeJSON(w, status, body)
}

var (
	requestIDPrefix = parse.RandomHex(4) + "-"
	requestSeq      atomic.Uint64
)

// nextRequestID numbers requests within the process (a random prefix per process keeps them apart in
// shared logs); cheaper than random bytes for every request.
func nextRequestID() string {
	return requestIDPrefix + strconv.FormatUint(requestSeq.Add(1), 36)
}
