package rest

import (
	"context"
	"strings"

	"github.com/parselambda/parselambda/shared/installations"
	"github.com/parselambda/parselambda/shared/parse"
)

// installationRoutes are /installations: create, get and update for any client (with Parse's
// de-duplication on installationId and deviceToken), find and delete with the master key.
func (a *App) installationRoutes() []route {
	cls := installations.Class
	return []route{
		r("GET", "/installations", a.withClass(cls, a.installationFind)),
		r("POST", "/installations", a.withClass(cls, a.installationCreate)),
		r("GET", "/installations/:objectId", a.withClass(cls, a.get)),
		r("PUT", "/installations/:objectId", a.withClass(cls, a.installationUpdate)),
		r("DELETE", "/installations/:objectId", a.withClass(cls, a.installationDelete)),
	}
}

// installationMasterOnly refuses find and delete without the master key (Parse's enforceRoleSecurity).
func installationMasterOnly(req *Request, op string) error {
	if req.Auth.Master {
		return nil
	}
	return parse.Errorf(parse.OperationForbidden, "Clients aren't allowed to perform the %s operation on the installation collection.", op)
}

func (a *App) installationFind(ctx context.Context, req *Request) (*Response, error) {
	if err := installationMasterOnly(req, "find"); err != nil {
		return nil, err
	}
	return a.find(ctx, req)
}

func (a *App) installationDelete(ctx context.Context, req *Request) (*Response, error) {
	if err := installationMasterOnly(req, "delete"); err != nil {
		return nil, err
	}
	return a.delete(ctx, req)
}

// installationCreate answers 201 for a new installation, or 200 {updatedAt} when the device was
// already known (same installationId or deviceToken), as Parse Server does.
func (a *App) installationCreate(ctx context.Context, req *Request) (*Response, error) {
	res, err := a.ext.installations.Create(ctx, req.Auth, a.bodyOrEmpty(req))
	if err != nil {
		return nil, err
	}
	if !res.Created {
		return reply(res.Body)
	}
	loc := strings.TrimRight(a.cfg.ServerURL, "/") + "/classes/" + installations.Class + "/" + res.ObjectID
	return &Response{Status: 201, Body: res.Body, Location: loc}, nil
}

func (a *App) installationUpdate(ctx context.Context, req *Request) (*Response, error) {
	res, err := a.ext.installations.Update(ctx, req.Auth, req.Params["objectId"], a.bodyOrEmpty(req))
	if err != nil {
		return nil, err
	}
	return reply(res.Body)
}

// installationClassOnly applies installationMasterOnly to /classes/_Installation.
func installationClassOnly(req *Request, op string) error {
	if req.Params["className"] != installations.Class {
		return nil
	}
	return installationMasterOnly(req, op)
}
