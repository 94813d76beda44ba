package rest

import (
	"context"
	"regexp"
	"strings"

	"go.mongodb.org/mongo-driver/v2/bson"

	"github.com/parselambda/parselambda/shared/auth"
	"github.com/parselambda/parselambda/shared/parse"
	"github.com/parselambda/parselambda/shared/query"
	"github.com/parselambda/parselambda/shared/session"
)

func (a *App) userRoutes() []route {
	return []route{
		r("POST", "/users", a.signUp),
		r("GET", "/users", a.withClass("_User", a.find)),
		r("GET", "/users/me", a.me),
		r("GET", "/users/:objectId", a.withClass("_User", a.get)),
		r("PUT", "/users/:objectId", a.userUpdate),
		r("DELETE", "/users/:objectId", a.userDelete),
		r("GET", "/login", a.login),
		r("POST", "/login", a.login),
		r("POST", "/logout", a.logout),
		r("POST", "/loginAs", a.loginAs),
		r("GET", "/verifyPassword", a.verifyPassword),
		r("POST", "/verifyPassword", a.verifyPassword),
	}
}

func (a *App) sessionRoutes() []route {
	return []route{
		r("GET", "/sessions/me", a.sessionMe),
		r("GET", "/sessions", a.sessionFind),
		r("POST", "/sessions", a.sessionCreate),
		r("GET", "/sessions/:objectId", a.sessionGet),
		r("PUT", "/sessions/:objectId", a.sessionUpdate),
		r("DELETE", "/sessions/:objectId", a.sessionDelete),
		r("POST", "/upgradeToRevocableSession", a.upgradeSession),
	}
}

func (a *App) signUp(ctx context.Context, req *Request) (*Response, error) {
	res, err := a.users.SignUp(ctx, req.Auth, a.bodyOrEmpty(req))
	if err != nil {
		return nil, err
	}
	resp := &Response{Status: res.Status, Body: res.Body}
	if res.Status == 201 {
		resp.Location = strings.TrimRight(a.cfg.ServerURL, "/") + "/users/" + res.ID
	}
	return resp, nil
}

func (a *App) me(ctx context.Context, req *Request) (*Response, error) {
	u, err := a.users.Me(ctx, req.Auth)
	if err != nil {
		return nil, err
	}
	return reply(u)
}

func (a *App) loginParams(req *Request) map[string]any {
	p := map[string]any{}
	for k, v := range req.params() {
		p[k] = v
	}
	// Query-string values stay strings even when they look like JSON.
	for _, k := range []string{"username", "email", "password"} {
		if vs, ok := req.Query[k]; ok && len(vs) > 0 && req.Body == nil {
			p[k] = vs[len(vs)-1]
		}
	}
	return p
}

func (a *App) login(ctx context.Context, req *Request) (*Response, error) {
	u, err := a.users.LogIn(ctx, req.Auth, a.loginParams(req))
	if err != nil {
		return nil, err
	}
	return reply(u)
}

func (a *App) verifyPassword(ctx context.Context, req *Request) (*Response, error) {
	u, err := a.users.VerifyPassword(ctx, a.loginParams(req))
	if err != nil {
		return nil, err
	}
	return reply(u)
}

func (a *App) logout(ctx context.Context, req *Request) (*Response, error) {
	if req.Auth.SessionToken != "" {
		sess := a.sessionForAfterLogout(ctx, req)
		found, err := a.sessions.DeleteToken(ctx, req.Auth.SessionToken)
		if err != nil {
			return nil, err
		}
		if !found {
			return nil, parse.NewError(parse.InvalidSessionToken, "Invalid session token")
		}
		a.afterLogout(ctx, req, sess)
	}
	return reply(map[string]any{})
}

func (a *App) loginAs(ctx context.Context, req *Request) (*Response, error) {
	if !req.Auth.Master {
		return nil, parse.NewError(parse.OperationForbidden, "master key is required")
	}
	uid, _ := a.bodyOrEmpty(req)["userId"].(string)
	if uid == "" {
		if vs := req.Query["userId"]; len(vs) > 0 {
			uid = vs[0]
		}
	}
	u, err := a.users.LoginAs(ctx, req.Auth, uid)
	if err != nil {
		return nil, err
	}
	return reply(u)
}

func (a *App) userUpdate(ctx context.Context, req *Request) (*Response, error) {
	out, err := a.users.Update(ctx, req.Auth, req.Params["objectId"], a.bodyOrEmpty(req))
	if err != nil {
		return nil, err
	}
	return reply(out)
}

func (a *App) userDelete(ctx context.Context, req *Request) (*Response, error) {
	if err := a.users.Delete(ctx, req.Auth, req.Params["objectId"]); err != nil {
		return nil, err
	}
	return reply(map[string]any{})
}

// Sessions: a non-master caller sees and changes only its own sessions.

func (a *App) ownSessions(au *auth.Auth, where map[string]any) (map[string]any, error) {
	if au.Master {
		return where, nil
	}
	if au.UserID == "" {
		return nil, parse.NewError(parse.InvalidSessionToken, "Invalid session token")
	}
	own := map[string]any{"user": map[string]any{"__type": "Pointer", "className": "_User", "objectId": au.UserID}}
	if len(where) == 0 {
		return own, nil
	}
	return map[string]any{"$and": []any{where, own}}, nil
}

func (a *App) sessionMe(ctx context.Context, req *Request) (*Response, error) {
	if req.Auth.SessionToken == "" || req.Auth.Master && req.Auth.UserID == "" && req.Auth.SessionToken == "" {
		return nil, parse.NewError(parse.InvalidSessionToken, "Session token required.")
	}
	s, err := a.sessions.Lookup(ctx, req.Auth.SessionToken)
	if err != nil {
		return nil, err
	}
	return a.getSessionByID(ctx, auth.Master(), s.ID)
}

func (a *App) getSessionByID(ctx context.Context, au *auth.Auth, id string) (*Response, error) {
	obj, err := a.objects.Get(ctx, auth.Master(), session.Collection, id, query.Options{Limit: -1})
	if err != nil {
		return nil, err
	}
	if !au.Master {
		u, _ := obj["user"].(map[string]any)
		if u == nil || u["objectId"] != au.UserID {
			return nil, parse.NewError(parse.ObjectNotFound, "Object not found.")
		}
	}
	return reply(obj)
}

func (a *App) sessionFind(ctx context.Context, req *Request) (*Response, error) {
	opts, err := query.ParseFind(req.params())
	if err != nil {
		return nil, err
	}
	if opts.Where, err = a.ownSessions(req.Auth, opts.Where); err != nil {
		return nil, err
	}
	res, err := a.objects.Find(ctx, auth.Master(), session.Collection, opts)
	if err != nil {
		return nil, err
	}
	body := map[string]any{"results": res.Results}
	if res.Count != nil {
		body["count"] = *res.Count
	}
	return reply(body)
}

func (a *App) sessionGet(ctx context.Context, req *Request) (*Response, error) {
	if !req.Auth.Master && req.Auth.UserID == "" {
		return nil, parse.NewError(parse.InvalidSessionToken, "Invalid session token")
	}
	return a.getSessionByID(ctx, req.Auth, req.Params["objectId"])
}

func (a *App) sessionCreate(ctx context.Context, req *Request) (*Response, error) {
	uid := req.Auth.UserID
	if req.Auth.Master {
		if u, ok := a.bodyOrEmpty(req)["user"].(map[string]any); ok {
			uid, _ = u["objectId"].(string)
		}
	}
	if uid == "" {
		return nil, parse.NewError(parse.InvalidSessionToken, "Session token required.")
	}
	inst := req.Auth.InstallationID
	if s, ok := a.bodyOrEmpty(req)["installationId"].(string); ok {
		inst = s
	}
	c, err := a.sessions.Create(ctx, uid, "create", "password", inst)
	if err != nil {
		return nil, err
	}
	return &Response{Status: 201, Body: session.JSON(c.Doc), Location: strings.TrimRight(a.cfg.ServerURL, "/") + "/sessions/" + c.ID}, nil
}

func (a *App) sessionUpdate(ctx context.Context, req *Request) (*Response, error) {
	if _, err := a.sessionGet(ctx, req); err != nil {
		return nil, err
	}
	for k := range a.bodyOrEmpty(req) {
		switch k {
		case "sessionToken", "user", "expiresAt", "createdWith":
			return nil, parse.Errorf(parse.InvalidKeyName, "Cannot change %s of a session.", k)
		}
	}
	out, err := a.objects.Update(ctx, auth.Master(), session.Collection, req.Params["objectId"], a.bodyOrEmpty(req))
	if err != nil {
		return nil, err
	}
	return reply(out)
}

func (a *App) sessionDelete(ctx context.Context, req *Request) (*Response, error) {
	if _, err := a.sessionGet(ctx, req); err != nil {
		return nil, err
	}
	if err := a.objects.Delete(ctx, auth.Master(), session.Collection, req.Params["objectId"]); err != nil {
		return nil, err
	}
	a.sessions.Invalidate()
	return reply(map[string]any{})
}

func (a *App) upgradeSession(ctx context.Context, req *Request) (*Response, error) {
	out, err := a.users.Upgrade(ctx, req.Auth, req.legacyToken)
	if err != nil {
		return nil, err
	}
	return reply(out)
}

// Roles: a name of letters, digits, _, - and spaces, set once, unique; an ACL is required.

var roleNameRE = regexp.MustCompile(`^[0-9a-zA-Z\-_ ]+$`)

func (a *App) roleCreate(ctx context.Context, req *Request) (*Response, error) {
	b := a.bodyOrEmpty(req)
	name, ok := b["name"].(string)
	if !ok || name == "" {
		return nil, parse.NewError(parse.IncorrectType, "name is required.")
	}
	if !roleNameRE.MatchString(name) {
		return nil, parse.NewError(parse.InvalidRoleName, "A role's name can be only contain alphanumeric characters, _, -, and spaces.")
	}
	if _, ok := b["ACL"].(map[string]any); !ok {
		return nil, parse.NewError(parse.IncorrectType, "ACL is required.")
	}
	n, err := a.db.Collection("_Role").CountDocuments(ctx, bson.D{{Key: "name", Value: name}})
	if err != nil {
		return nil, err
	}
	if n > 0 {
		return nil, parse.Errorf(parse.DuplicateValue, "Cannot add duplicate role name of %s", name)
	}
	req.roleChecked = true
	return a.withClass("_Role", a.create)(ctx, req)
}

func (a *App) roleUpdate(ctx context.Context, req *Request) (*Response, error) {
	if _, ok := a.bodyOrEmpty(req)["name"]; ok {
		return nil, parse.NewError(parse.ImmutableField, "A role's name can only be set before it has been saved.")
	}
	req.roleChecked = true
	return a.withClass("_Role", a.update)(ctx, req)
}
