package rest

import (
	"context"
	"strings"

	"github.com/parselambda/parselambda/shared/parse"
)

type handlerFunc func(ctx context.Context, req *Request) (*Response, error)

type route struct {
	method  string
	pattern []string // literal segments, or ":name" parameters
	master  bool     // master key required (403 otherwise)
	handle  handlerFunc
}

func r(method, pattern string, h handlerFunc) route {
	return route{method: method, pattern: strings.Split(strings.Trim(pattern, "/"), "/"), handle: h}
}

func m(method, pattern string, h handlerFunc) route {
	rt := r(method, pattern, h)
	rt.master = true
	return rt
}

// buildRoutes collects every family's routes; each family's file contributes its own list.
func (a *App) buildRoutes() []route {
	var rs []route
	for _, part := range [][]route{
		a.restRoutes(),
		a.classRoutes(),
		a.batchRoutes(),
		a.schemaRoutes(),
		a.userRoutes(),
		a.sessionRoutes(),
		a.emailRoutes(),
		a.cloudRoutes(),
		a.hookRoutes(),
		a.jobRoutes(),
		a.fileRoutes(),
		a.configRoutes(),
		a.installationRoutes(),
		a.eventRoutes(),
	} {
		rs = append(rs, part...)
	}
	return rs
}

func (a *App) restRoutes() []route {
	return []route{
		r("GET", "/health", a.health),
		m("GET", "/serverInfo", a.serverInfo),
	}
}

func (a *App) batchRoutes() []route {
	return []route{r("POST", "/batch", a.batch)}
}

func (a *App) schemaRoutes() []route {
	return []route{
		m("GET", "/schemas", a.schemasList),
		m("GET", "/schemas/:className", a.schemaGet),
		m("POST", "/schemas", a.schemaCreate),
		m("POST", "/schemas/:className", a.schemaCreate),
		m("PUT", "/schemas/:className", a.schemaUpdate),
		m("DELETE", "/schemas/:className", a.schemaDelete),
	}
}

func (a *App) classRoutes() []route {
	rs := []route{
		r("GET", "/classes/:className", a.find),
		r("POST", "/classes/:className", a.create),
		r("GET", "/classes/:className/:objectId", a.get),
		r("PUT", "/classes/:className/:objectId", a.update),
		r("DELETE", "/classes/:className/:objectId", a.delete),
		m("GET", "/aggregate/:className", a.aggregate),
		m("DELETE", "/purge/:className", a.purge),
	}
	rs = append(rs,
		r("GET", "/roles", a.withClass("_Role", a.find)),
		r("POST", "/roles", a.roleCreate),
		r("GET", "/roles/:objectId", a.withClass("_Role", a.get)),
		r("PUT", "/roles/:objectId", a.roleUpdate),
		r("DELETE", "/roles/:objectId", a.withClass("_Role", a.delete)),
	)
	return rs
}

func (a *App) withClass(class string, h handlerFunc) handlerFunc {
	return func(ctx context.Context, req *Request) (*Response, error) {
		if req.Params == nil {
			req.Params = map[string]string{}
		}
		req.Params["className"] = class
		return h(ctx, req)
	}
}

// dispatch finds the route of req and runs it.
func (a *App) dispatch(ctx context.Context, req *Request) (*Response, error) {
	segs := strings.Split(strings.Trim(req.Path, "/"), "/")
	pathMatched := false
	for _, rt := range a.routes {
		params, okp := match(rt.pattern, segs)
		if !okp {
			continue
		}
		pathMatched = true
		if rt.method != req.Method {
			continue
		}
		if rt.master && !req.Auth.Master {
			return nil, parse.MasterRequired()
		}
		req.Params = params
		return a.idempotent(ctx, req, rt.handle)
	}
	if !pathMatched {
		if notYet[segs[0]] {
			return nil, parse.Errorf(parse.CommandUnavailable, "/%s is not implemented yet by this server", segs[0])
		}
	}
	return nil, &parse.HTTPError{Status: 404, Msg: "Cannot " + req.Method + " " + req.Path}
}

// notYet are the families whose routes are not built yet; they answer 108 rather than a bare 404.
var notYet = map[string]bool{"challenge": true, "push": true, "push_audiences": true}

func match(pattern, segs []string) (map[string]string, bool) {
	if len(pattern) != len(segs) {
		return nil, false
	}
	var params map[string]string
	for i, p := range pattern {
		if strings.HasPrefix(p, ":") {
			if segs[i] == "" {
				return nil, false
			}
			if params == nil {
				params = map[string]string{}
			}
			params[p[1:]] = segs[i]
			continue
		}
		if p != segs[i] {
			return nil, false
		}
	}
	return params, true
}
