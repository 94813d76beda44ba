package rest

import (
	"context"
	"strings"

	"github.com/parselambda/parselambda/shared/parse"
)

// Version is the server's version, reported by /serverInfo.
const Version = "0.1.0"

func (a *App) health(ctx context.Context, req *Request) (*Response, error) {
	return reply(map[string]any{"status": "ok"})
}

func (a *App) serverInfo(ctx context.Context, req *Request) (*Response, error) {
	return reply(map[string]any{
		"parseServerVersion": "parselambda-" + Version,
		"features": map[string]any{
			"globalConfig": map[string]any{"create": true, "read": true, "update": true, "delete": true},
			"hooks":        map[string]any{"create": true, "read": true, "update": true, "delete": true},
			"cloudCode":    map[string]any{"jobs": true},
			"logs":         map[string]any{"level": false, "size": false, "order": false, "until": false, "from": false},
			"push":         map[string]any{"immediatePush": false, "scheduledPush": false, "storedPushData": false, "pushAudiences": false, "localization": false},
			"schemas":      map[string]any{"addField": true, "removeField": true, "addClass": true, "removeClass": true, "clearAllDataFromClass": true, "exportClass": false, "editClassLevelPermissions": true, "editPointerPermissions": true},
		},
	})
}

// batch runs sub-requests with the caller's auth, in order, and answers one result per request.
func (a *App) batch(ctx context.Context, req *Request) (*Response, error) {
	raw, ok := req.Body["requests"].([]any)
	if !ok {
		return nil, parse.NewError(parse.InvalidJSON, "requests must be an array")
	}
	if len(raw) > a.cfg.BatchLimit {
		return nil, parse.Errorf(parse.RequestLimitExceeded, "A batch may hold at most %d requests; this one has %d.", a.cfg.BatchLimit, len(raw))
	}
	type sub struct {
		method, path string
		body         map[string]any
	}
	subs := make([]sub, 0, len(raw))
	for _, x := range raw {
		m, ok := x.(map[string]any)
		if !ok {
			return nil, parse.NewError(parse.InvalidJSON, "each batch request must be an object")
		}
		method, _ := m["method"].(string)
		path, _ := m["path"].(string)
		method = strings.ToUpper(method)
		switch method {
		case "GET", "POST", "PUT", "DELETE":
		default:
			return nil, parse.NewError(parse.InvalidJSON, "cannot route batch path "+path)
		}
		mount := a.cfg.MountPath
		if !strings.HasPrefix(path, mount+"/") {
			return nil, parse.NewError(parse.InvalidJSON, "cannot route batch path "+path)
		}
		p := strings.TrimPrefix(path, mount)
		if seg := firstSegment(p); seg == "batch" {
			return nil, parse.NewError(parse.InvalidJSON, "cannot route batch path "+path)
		}
		var body map[string]any
		if b, ok := m["body"].(map[string]any); ok {
			body = b
		} else if m["body"] != nil {
			return nil, parse.NewError(parse.InvalidJSON, "batch request bodies must be objects")
		}
		subs = append(subs, sub{method: method, path: p, body: body})
	}
	// Sub-requests run one after another, so a batch that creates, updates and reads an object sees its
	// own writes (Parse Server runs them concurrently, where such a batch races). A run of two or more
	// creates of one class goes to the database as one insert (batchCreates).
	out := make([]any, len(subs))
	reqs := make([]*Request, len(subs))
	for i, s := range subs {
		sr := &Request{Method: s.method, Path: s.path, Body: s.body, Auth: req.Auth, Header: req.Header, ID: req.ID, Context: req.Context, Version: req.Version}
		sr.batchIndex = i + 1
		if s.method == "GET" && s.body == nil {
			sr.Body = map[string]any{}
		}
		reqs[i] = sr
	}
	for i := 0; i < len(reqs); {
		if cls := a.batchCreateClass(reqs[i]); cls != "" {
			j := i + 1
			for j < len(reqs) && a.batchCreateClass(reqs[j]) == cls {
				j++
			}
			if j-i > 1 && a.objects.CanCreateMany(ctx, cls) {
				a.batchCreates(ctx, cls, reqs[i:j], out[i:j])
				i = j
				continue
			}
		}
		out[i] = a.batchOne(ctx, reqs[i])
		i++
	}
	return reply(out)
}

// batchCreateClass is the class of a sub-request that may join a run of creates written with one
// insert: POST /classes/<class> of a class that create does not route to a concept of its own, with
// no relation operator (written per object) and no request id for idempotency (checked per
// sub-request). It is "" for any other sub-request.
func (a *App) batchCreateClass(sr *Request) string {
	if sr.Method != "POST" {
		return ""
	}
	segs := strings.Split(strings.Trim(sr.Path, "/"), "/")
	if len(segs) != 2 || segs[0] != "classes" || segs[1] == "" {
		return ""
	}
	switch segs[1] {
	case "_User", "_Session", "_Installation", "_Role":
		return ""
	}
	if a.ext != nil && a.ext.idempotency.Enabled() && sr.Header.Get("X-Parse-Request-Id") != "" {
		return ""
	}
	for _, v := range sr.Body {
		if m, ok := v.(map[string]any); ok {
			switch m["__op"] {
			case "AddRelation", "RemoveRelation", "Batch":
				return ""
			}
		}
	}
	return segs[1]
}

// batchCreates runs a run of creates of class (see batchCreateClass) with objects.CreateMany and puts
// in out what batchOne would answer for each. A panic fails the whole run with an internal error.
func (a *App) batchCreates(ctx context.Context, class string, reqs []*Request, out []any) {
	defer func() {
		if p := recover(); p != nil {
			a.log.ErrorContext(ctx, "panic in a batch sub-request", "request_id", RequestID(ctx), "panic", p)
			for k := range out {
				out[k] = map[string]any{"error": map[string]any{"code": parse.InternalServerError, "error": "Internal server error."}}
			}
		}
	}()
	bodies := make([]map[string]any, len(reqs))
	for k, sr := range reqs {
		bodies[k] = a.bodyOrEmpty(sr)
	}
	for k, res := range a.objects.CreateMany(a.withCloudInfo(ctx, reqs[0]), reqs[0].Auth, class, bodies) {
		if res.Err != nil {
			_, body := a.errorBody(ctx, res.Err)
			if _, has := body["code"]; !has {
				body = map[string]any{"code": parse.OperationForbidden, "error": body["error"]}
			}
			out[k] = map[string]any{"error": body}
			continue
		}
		out[k] = map[string]any{"success": res.Object}
	}
}

// batchOne runs one sub-request and answers {success} or {error}; a panic becomes an internal error
// of that sub-request.
func (a *App) batchOne(ctx context.Context, sr *Request) (res any) {
	defer func() {
		if p := recover(); p != nil {
			a.log.ErrorContext(ctx, "panic in a batch sub-request", "request_id", RequestID(ctx), "panic", p)
			res = map[string]any{"error": map[string]any{"code": parse.InternalServerError, "error": "Internal server error."}}
		}
	}()
	resp, err := a.dispatch(ctx, sr)
	if err != nil {
		_, body := a.errorBody(ctx, err)
		if _, has := body["code"]; !has {
			body = map[string]any{"code": parse.OperationForbidden, "error": body["error"]}
		}
		return map[string]any{"error": body}
	}
	return map[string]any{"success": resp.Body}
}
