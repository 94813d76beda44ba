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
	// own writes (Parse Server runs them concurrently, where such a batch races).
	out := make([]any, len(subs))
	for i, s := range subs {
		sr := &Request{Method: s.method, Path: s.path, Body: s.body, Auth: req.Auth, Header: req.Header, ID: req.ID, Context: req.Context, Version: req.Version}
		sr.batchIndex = i + 1
		if s.method == "GET" && s.body == nil {
			sr.Body = map[string]any{}
		}
		out[i] = a.batchOne(ctx, sr)
	}
	return reply(out)
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
