package rest

import (
	"context"
	"errors"
	"net/http"
	"strings"

	"github.com/parselambda/parselambda/shared/auth"
	"github.com/parselambda/parselambda/shared/cloud"
	"github.com/parselambda/parselambda/shared/cloud/engine"
	"github.com/parselambda/parselambda/shared/files"
	"github.com/parselambda/parselambda/shared/jobs"
	"github.com/parselambda/parselambda/shared/objects"
	"github.com/parselambda/parselambda/shared/parse"
	"github.com/parselambda/parselambda/shared/query"
	"github.com/parselambda/parselambda/shared/session"
)

// initCloud builds the Cloud Code host (functions, triggers, webhooks) and the job runner, and hooks
// them into the objects controller and the users service.
func (a *App) initCloud(o Options) {
	if o.WebhookKey == "" {
		o.WebhookKey = o.Config.WebhookKey
	}
	a.cloud = engine.New(engine.Options{
		Registry: o.Cloud, Objects: a.objects, Users: a.users, DB: o.DB, Log: o.Log,
		WebhookKey: o.WebhookKey, HTTPClient: o.WebhookClient,
	})
	a.objects.Triggers = a.cloud
	a.users.Hooks = a.cloud
	a.jobs = &jobs.Runner{Registry: o.Cloud, DB: o.DB, Log: o.Log,
		Client:      func() cloud.Client { return a.cloud.Client(auth.Master()) },
		Starter:     func() jobs.Starter { return a.jobStarter },
		Maintenance: o.Maintenance}
	a.jobStarter = o.JobStarter
	if a.jobStarter == nil {
		a.jobStarter = &jobs.GoStarter{Runner: a.jobs}
	}
}

// Cloud is the Cloud Code host: the files API calls its BeforeSaveFile and AfterSaveFile.
func (a *App) Cloud() *engine.Host { return a.cloud }

// Jobs is the job runner: the jobs Lambda runs asynchronous starts and schedules with it.
func (a *App) Jobs() *jobs.Runner { return a.jobs }

// JobStarter is how POST /jobs starts a job (a GoStarter unless Options.JobStarter was set).
func (a *App) JobStarter() jobs.Starter { return a.jobStarter }

// SetJobStarter replaces the job starter; the jobs Lambda sets its asynchronous self-invoke at cold
// start, before serving.
func (a *App) SetJobStarter(s jobs.Starter) { a.jobStarter = s }

// withCloudInfo gives Cloud Code the request's headers, client IP and cloud context.
func (a *App) withCloudInfo(ctx context.Context, req *Request) context.Context {
	return engine.WithInfo(ctx, req.Header, clientIP(req.Header), req.Context)
}

// clientIP is the first X-Forwarded-For address (API Gateway and proxies set it).
func clientIP(h http.Header) string {
	if h == nil {
		return ""
	}
	if xff := h.Get("X-Forwarded-For"); xff != "" {
		ip, _, _ := strings.Cut(xff, ",")
		return strings.TrimSpace(ip)
	}
	return ""
}

func (a *App) cloudRoutes() []route {
	return []route{
		r("POST", "/functions/:functionName", a.callFunction),
		r("GET", "/functions/:functionName", a.callFunction),
	}
}

// callFunction runs POST /functions/:name: params are the body and the query string; the answer is
// {"result": ...}.
func (a *App) callFunction(ctx context.Context, req *Request) (*Response, error) {
	params := map[string]any{}
	for k, v := range req.Body {
		params[k] = v
	}
	if req.Body == nil || req.Method == "GET" {
		q := (&Request{Query: req.Query}).params()
		for k, v := range q {
			params[k] = v
		}
	}
	res, err := a.cloud.Call(ctx, req.Auth, req.Params["functionName"], params)
	if err != nil {
		var le *engine.LimitError
		if errors.As(err, &le) {
			return &Response{Status: 429, Body: map[string]any{"code": 100, "error": le.Msg}}, nil
		}
		return nil, err
	}
	if res == nil {
		return reply(map[string]any{})
	}
	return reply(map[string]any{"result": res})
}

// sessionForAfterLogout reads the session a logout deletes, when an afterLogout trigger wants it.
func (a *App) sessionForAfterLogout(ctx context.Context, req *Request) map[string]any {
	if !a.cloud.HasAfterLogout(ctx) {
		return nil
	}
	s, err := a.sessions.Lookup(ctx, req.Auth.SessionToken)
	if err != nil {
		return nil
	}
	obj, err := a.objects.Get(objects.WithoutTriggers(ctx), auth.Master(), session.Collection, s.ID, query.Options{Limit: -1})
	if err != nil {
		return nil
	}
	return obj
}

// afterLogout runs the afterLogout trigger with the deleted session.
func (a *App) afterLogout(ctx context.Context, req *Request, sess map[string]any) {
	if sess != nil {
		a.cloud.AfterLogout(ctx, req.Auth, sess)
	}
}

// beforeSaveFile runs Cloud Code's beforeSaveFile on an upload that passes through the server and
// answers the file as the trigger leaves it (a new name is checked like the client's).
func (a *App) beforeSaveFile(ctx context.Context, req *Request, name, contentType string, data []byte) (string, string, []byte, error) {
	f := &cloud.File{Name: name, ContentType: contentType, Data: data, Size: int64(len(data))}
	if req.Body != nil {
		f.Metadata, _ = req.Body["metadata"].(map[string]any)
		f.Tags, _ = req.Body["tags"].(map[string]any)
		if fd, ok := req.Body["fileData"].(map[string]any); ok {
			f.Metadata, _ = fd["metadata"].(map[string]any)
			f.Tags, _ = fd["tags"].(map[string]any)
		}
	}
	if err := a.cloud.BeforeSaveFile(ctx, req.Auth, f); err != nil {
		return "", "", nil, err
	}
	if f.Name != name {
		if err := files.ValidateName(f.Name); err != nil {
			return "", "", nil, err
		}
	}
	if len(f.Data) == 0 {
		return "", "", nil, parse.NewError(parse.FileSaveError, "Invalid file upload.")
	}
	return f.Name, f.ContentType, f.Data, nil
}

// afterSaveFile runs Cloud Code's afterSaveFile once an upload is stored.
func (a *App) afterSaveFile(ctx context.Context, req *Request, name, contentType string, size int, url string) {
	a.cloud.AfterSaveFile(ctx, req.Auth, &cloud.File{Name: name, ContentType: contentType, Size: int64(size), URL: url})
}
