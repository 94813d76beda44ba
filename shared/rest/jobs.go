package rest

import (
	"context"
	"time"

	"github.com/parselambda/parselambda/shared/auth"
	"github.com/parselambda/parselambda/shared/cloud/engine"
	"github.com/parselambda/parselambda/shared/jobs"
	"github.com/parselambda/parselambda/shared/parse"
	"github.com/parselambda/parselambda/shared/query"
	"github.com/parselambda/parselambda/shared/storage"
)

func engineHookErr(msg string) error { return parse.NewError(engine.HookError, msg) }

// jobRoutes: POST /jobs starts a job (master key) and answers {} with X-Parse-Job-Status-Id;
// /cloud_code/jobs is the _JobSchedule CRUD of Parse Dashboard.
func (a *App) jobRoutes() []route {
	return []route{
		m("POST", "/jobs/:jobName", a.startJob),
		m("POST", "/jobs", a.startJob),
		m("GET", "/cloud_code/jobs", a.jobSchedules),
		m("GET", "/cloud_code/jobs/data", a.jobsData),
		m("POST", "/cloud_code/jobs", a.jobScheduleCreate),
		m("PUT", "/cloud_code/jobs/:objectId", a.jobScheduleUpdate),
		m("DELETE", "/cloud_code/jobs/:objectId", a.jobScheduleDelete),
	}
}

func (a *App) startJob(ctx context.Context, req *Request) (*Response, error) {
	params := map[string]any{}
	for k, v := range req.Body {
		params[k] = v
	}
	for k, v := range (&Request{Query: req.Query}).params() {
		params[k] = v
	}
	name := req.Params["jobName"]
	if name == "" {
		name, _ = params["jobName"].(string)
	}
	id, err := a.jobs.Begin(ctx, name, params, jobs.SourceAPI)
	if err != nil {
		return nil, err
	}
	if err := a.jobStarter.Start(ctx, jobs.Invocation{JobName: name, Params: params, StatusID: id}); err != nil {
		a.log.ErrorContext(ctx, "job not started", "job", name, "statusId", id, "err", err)
		a.jobs.Fail(ctx, id, "The job could not be started.")
		return nil, parse.NewError(parse.ScriptFailed, "The job could not be started.")
	}
	return &Response{Status: 200, Body: map[string]any{}, Header: map[string]string{"X-Parse-Job-Status-Id": id}}, nil
}

const jobScheduleClass = "_JobSchedule"

func (a *App) jobSchedules(ctx context.Context, req *Request) (*Response, error) {
	res, err := a.objects.Find(ctx, auth.Master(), jobScheduleClass, query.Options{Limit: 1000})
	if err != nil {
		return nil, err
	}
	return reply(res.Results)
}

// jobsData answers Parse Dashboard's {in_use, jobs}, plus the schedules of the built-in jobs and those
// Cloud Code declares.
func (a *App) jobsData(ctx context.Context, req *Request) (*Response, error) {
	res, err := a.objects.Find(ctx, auth.Master(), jobScheduleClass, query.Options{Limit: 1000, Keys: []string{"jobName"}})
	if err != nil {
		return nil, err
	}
	inUse := []any{}
	for _, r := range res.Results {
		inUse = append(inUse, r["jobName"])
	}
	names := a.cloud.Registry().JobNames()
	if names == nil {
		names = []string{}
	}
	sched := []any{}
	for _, s := range a.cloud.Registry().AllSchedules(!a.jobs.Maintenance.Disabled) {
		sched = append(sched, s)
	}
	return reply(map[string]any{"in_use": inUse, "jobs": names, "schedules": sched})
}

func (a *App) jobScheduleBody(req *Request) (map[string]any, error) {
	js, _ := a.bodyOrEmpty(req)["job_schedule"].(map[string]any)
	if js == nil {
		return nil, parse.NewError(parse.InvalidJSON, "job_schedule is required")
	}
	if name, ok := js["jobName"].(string); ok && name != "" {
		if _, found := a.cloud.Registry().JobNamed(name); !found {
			return nil, parse.NewError(parse.ScriptFailed, "Cannot Schedule a job that is not deployed")
		}
	}
	return js, nil
}

func (a *App) jobScheduleCreate(ctx context.Context, req *Request) (*Response, error) {
	js, err := a.jobScheduleBody(req)
	if err != nil {
		return nil, err
	}
	if _, ok := js["startAfter"]; !ok {
		js["startAfter"] = storage.FormatTime(time.Now())
	}
	out, err := a.objects.Create(ctx, req.Auth, jobScheduleClass, js)
	if err != nil {
		return nil, err
	}
	return &Response{Status: 201, Body: out}, nil
}

func (a *App) jobScheduleUpdate(ctx context.Context, req *Request) (*Response, error) {
	js, err := a.jobScheduleBody(req)
	if err != nil {
		return nil, err
	}
	out, err := a.objects.Update(ctx, req.Auth, jobScheduleClass, req.Params["objectId"], js)
	if err != nil {
		return nil, err
	}
	return reply(out)
}

func (a *App) jobScheduleDelete(ctx context.Context, req *Request) (*Response, error) {
	if err := a.objects.Delete(ctx, req.Auth, jobScheduleClass, req.Params["objectId"]); err != nil {
		return nil, err
	}
	return reply(map[string]any{})
}
