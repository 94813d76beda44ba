package rest_test

// Cloud Code: functions (validators, errors, rate limit, what the request carries) and the in-process
// client, as HTTP scenarios through the handler against the embedded database.

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/parselambda/parselambda/shared/apptest"
	"github.com/parselambda/parselambda/shared/cloud"
	"github.com/parselambda/parselambda/shared/rest"
)

// cloudEnv is an engine serving the Cloud Code define registers.
func cloudEnv(t *testing.T, define func(r *cloud.Registry), opts ...apptest.Option) *apptest.Env {
	t.Helper()
	reg := cloud.NewRegistry()
	if define != nil {
		define(reg)
	}
	opts = append([]apptest.Option{func(o *rest.Options) { o.Cloud = reg }}, opts...)
	return apptest.NewWith(t, nil, opts...)
}

// cloudCase is one HTTP exchange against an engine with the Cloud Code of define.
type cloudCase struct {
	name   string
	define func(r *cloud.Registry)
	// setup returns values for {{name}} placeholders in the request.
	setup  func(t *testing.T, env *apptest.Env) map[string]string
	req    apptest.Req
	status int
	code   int
	errIs  string
	body   any
	check  func(t *testing.T, env *apptest.Env, r *apptest.Resp, vars map[string]string)
}

func runCloudCases(t *testing.T, cases []cloudCase) {
	t.Helper()
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			env := cloudEnv(t, c.define)
			vars := map[string]string{}
			if c.setup != nil {
				vars = c.setup(t, env)
			}
			req := c.req
			req.Path = expand(req.Path, vars)
			req.Body = expandBody(req.Body, vars)
			req.Session = expand(req.Session, vars)
			if req.Headers != nil {
				h := map[string]string{}
				for k, v := range req.Headers {
					h[k] = expand(v, vars)
				}
				req.Headers = h
			}
			r := env.Do(req)
			if c.status != 0 && r.Status != c.status {
				t.Fatalf("%s %s: status %d, want %d; body %s", req.Method, req.Path, r.Status, c.status, r.Raw)
			}
			if c.code != 0 && r.Code() != c.code {
				t.Fatalf("code %d, want %d; body %s", r.Code(), c.code, r.Raw)
			}
			if c.errIs != "" && r.Map()["error"] != c.errIs {
				t.Fatalf("error %q, want %q", r.Map()["error"], c.errIs)
			}
			if c.body != nil {
				eq(t, "body", r.JSON, expandBody(c.body, vars))
			}
			if c.check != nil {
				c.check(t, env, r, vars)
			}
		})
	}
}

func fn(path string, body any) apptest.Req {
	return apptest.Req{Method: "POST", Path: "/functions/" + path, Body: body}
}

func hello(r *cloud.Registry) {
	r.Define("hello", func(ctx context.Context, req *cloud.FunctionRequest) (any, error) {
		return "Hello " + req.Params.String("name"), nil
	}, cloud.RequireParams("name"))
}

func TestCloudFunctions(t *testing.T) {
	runCloudCases(t, []cloudCase{
		{name: "result", define: hello, req: fn("hello", obj{"name": "Ada"}), status: 200, body: obj{"result": "Hello Ada"}},
		{name: "JS SDK body with keys and _method", define: hello,
			req:    apptest.Req{Method: "POST", Path: "/functions/hello", NoAppID: true, Body: `{"name":"Bo","_ApplicationId":"testapp","_ClientVersion":"js5.3.0","_InstallationId":"inst-1"}`},
			status: 200, body: obj{"result": "Hello Bo"}},
		{name: "GET with query parameters", define: hello, req: apptest.Req{Path: "/functions/hello?name=Cy"}, status: 200, body: obj{"result": "Hello Cy"}},
		{name: "unknown function", define: hello, req: fn("nope", obj{}), status: 400, code: 141, errIs: `Invalid function: "nope"`},
		{name: "no Cloud Code at all", req: fn("hello", obj{}), status: 400, code: 141, errIs: `Invalid function: "hello"`},
		{name: "required param missing", define: hello, req: fn("hello", obj{}), status: 400, code: 142, errIs: "Validation failed. Please specify data for name."},
		{name: "the master key skips validators", define: hello, req: apptest.Req{Method: "POST", Path: "/functions/hello", Body: obj{}, Master: true}, status: 200, body: obj{"result": "Hello "}},
		{name: "ValidateMasterKey validates master calls too", define: func(r *cloud.Registry) {
			r.Define("strict", func(ctx context.Context, req *cloud.FunctionRequest) (any, error) { return 1, nil }, cloud.RequireParams("x"), cloud.ValidateMasterKey())
		}, req: apptest.Req{Method: "POST", Path: "/functions/strict", Body: obj{}, Master: true}, status: 400, code: 142},
		{name: "require user: anonymous", define: whoami, req: fn("whoami", obj{}), status: 400, code: 142, errIs: "Validation failed. Please login to continue."},
		{name: "require user: logged in", define: whoami,
			setup: func(t *testing.T, env *apptest.Env) map[string]string {
				_, tok := session(t, env, "ada")
				return map[string]string{"tok": tok}
			},
			req: apptest.Req{Method: "POST", Path: "/functions/whoami", Body: obj{}, Session: "{{tok}}"}, status: 200,
			body: obj{"result": obj{"username": "ada", "master": false, "sessionToken": "{{tok}}"}}},
		{name: "require master: refused", define: adminOnly, req: fn("admin", obj{}), status: 400, code: 142, errIs: "Validation failed. Master key is required to complete this request."},
		{name: "require master: master", define: adminOnly, req: apptest.Req{Method: "POST", Path: "/functions/admin", Master: true}, status: 200, body: obj{"result": true}},
		{name: "param type", define: typed, req: fn("typed", obj{"n": "3"}), status: 400, code: 142, errIs: "Validation failed. Invalid type for n. Expected: number"},
		{name: "param options", define: typed, req: fn("typed", obj{"n": 300}), status: 400, code: 142, errIs: "n must be below 100"},
		{name: "param default", define: typed, req: fn("typed", obj{"n": 3}), status: 200, body: obj{"result": obj{"n": 3, "unit": "cm"}}},
		{name: "a Parse error keeps its code", define: failing, req: fn("dup", obj{}), status: 400, code: 137, errIs: "already taken"},
		{name: "any other error is 141", define: failing, req: fn("plain", obj{}), status: 400, code: 141, errIs: "something broke"},
		{name: "a panic is 141, not a crash", define: failing, req: fn("panics", obj{}), status: 400, code: 141, errIs: "Cloud Code function panics failed."},
		{name: "no result answers {}", define: func(r *cloud.Registry) {
			r.Define("nothing", func(ctx context.Context, req *cloud.FunctionRequest) (any, error) { return nil, nil })
		}, req: fn("nothing", obj{}), status: 200, body: obj{}},
		{name: "an object result is encoded as a Parse object", define: func(r *cloud.Registry) {
			r.Define("obj", func(ctx context.Context, req *cloud.FunctionRequest) (any, error) {
				o := cloud.NewObject("Thing")
				o.Set("name", "x")
				return []*cloud.Object{o}, nil
			})
		}, req: fn("obj", obj{}), status: 200, body: obj{"result": arr{obj{"__type": "Object", "className": "Thing", "name": "x"}}}},
		{name: "the request carries headers, installation id, context and master", define: func(r *cloud.Registry) {
			r.Define("req", func(ctx context.Context, req *cloud.FunctionRequest) (any, error) {
				return obj{"inst": req.InstallationID, "master": req.Master, "hdr": req.Headers.Get("X-Custom"), "ctx": req.Context["k"], "ip": req.IP, "user": req.User == nil, "fn": req.FunctionName}, nil
			})
		}, req: apptest.Req{Method: "POST", Path: "/functions/req", Master: true, Headers: map[string]string{
			"X-Parse-Installation-Id": "inst-9", "X-Custom": "yes", "X-Parse-Cloud-Context": `{"k":"v"}`, "X-Forwarded-For": "203.0.113.7, 10.0.0.1"}},
			status: 200, body: obj{"result": obj{"inst": "inst-9", "master": true, "hdr": "yes", "ctx": "v", "ip": "203.0.113.7", "user": true, "fn": "req"}}},
	})
}

func whoami(r *cloud.Registry) {
	r.Define("whoami", func(ctx context.Context, req *cloud.FunctionRequest) (any, error) {
		return obj{"username": req.User.String("username"), "master": req.Master, "sessionToken": req.User.String("sessionToken")}, nil
	}, cloud.RequireUser())
}

func adminOnly(r *cloud.Registry) {
	r.Define("admin", func(ctx context.Context, req *cloud.FunctionRequest) (any, error) { return true, nil }, cloud.RequireMaster())
}

func typed(r *cloud.Registry) {
	r.Define("typed", func(ctx context.Context, req *cloud.FunctionRequest) (any, error) {
		return obj{"n": req.Params.Int("n"), "unit": req.Params.String("unit")}, nil
	}, cloud.Param("n", cloud.Field{Required: true, Type: "Number", Options: func(v any) bool { f, _ := cloud.ToFloat(v); return f < 100 }, Error: "n must be below 100"}),
		cloud.Param("unit", cloud.Field{Type: "string", Default: "cm"}))
}

func failing(r *cloud.Registry) {
	r.Define("dup", func(ctx context.Context, req *cloud.FunctionRequest) (any, error) {
		return nil, cloud.Error(cloud.DuplicateValue, "already taken")
	})
	r.Define("plain", func(ctx context.Context, req *cloud.FunctionRequest) (any, error) {
		return nil, errors.New("something broke")
	})
	r.Define("panics", func(ctx context.Context, req *cloud.FunctionRequest) (any, error) {
		var m map[string]int
		m["x"]++
		return nil, nil
	})
}

func TestCloudFunctionRateLimit(t *testing.T) {
	t.Parallel()
	env := cloudEnv(t, func(r *cloud.Registry) {
		r.Define("limited", func(ctx context.Context, req *cloud.FunctionRequest) (any, error) { return "ok", nil }, cloud.Limit(2, time.Minute))
	})
	_, ada := session(t, env, "ada")
	_, bob := session(t, env, "bob")
	call := func(tok string, master bool) *apptest.Resp {
		return env.Do(apptest.Req{Method: "POST", Path: "/functions/limited", Session: tok, Master: master})
	}
	for i := 0; i < 2; i++ {
		if r := call(ada, false); r.Status != 200 {
			t.Fatalf("call %d: %d %s", i, r.Status, r.Raw)
		}
	}
	r := call(ada, false)
	if r.Status != 429 || r.Code() != 100 || r.Map()["error"] != "Too many requests." {
		t.Fatalf("third call: %d %s", r.Status, r.Raw)
	}
	if r := call(bob, false); r.Status != 200 {
		t.Fatalf("another user is limited too: %d %s", r.Status, r.Raw)
	}
	if r := call("", true); r.Status != 200 {
		t.Fatalf("master key limited: %d %s", r.Status, r.Raw)
	}
}

// The in-process client: the caller's rights, the master key, queries, saves, deletes, Run.
func TestCloudClient(t *testing.T) {
	t.Parallel()
	env := cloudEnv(t, func(r *cloud.Registry) {
		r.Define("read", func(ctx context.Context, req *cloud.FunctionRequest) (any, error) {
			c := req.Client
			if req.Params.Bool("master") {
				c = c.UseMasterKey()
			}
			o, err := c.Get(ctx, "Secret", req.Params.String("id"))
			if err != nil {
				return nil, err
			}
			return o.String("v"), nil
		})
		r.Define("crud", func(ctx context.Context, req *cloud.FunctionRequest) (any, error) {
			c := req.Client.UseMasterKey()
			for i, name := range []string{"a", "b", "c"} {
				o := cloud.NewObject("Item")
				o.Set("name", name)
				o.Set("n", i)
				if err := c.Save(ctx, o); err != nil {
					return nil, err
				}
				if o.ID() == "" || o.CreatedAt().IsZero() {
					return nil, errors.New("no id after save")
				}
			}
			q := cloud.NewQuery("Item").GreaterThan("n", 0).Descending("n")
			found, err := c.Find(ctx, q)
			if err != nil {
				return nil, err
			}
			n, err := c.Count(ctx, cloud.NewQuery("Item"))
			if err != nil {
				return nil, err
			}
			first, err := c.First(ctx, cloud.NewQuery("Item").EqualTo("name", "b"))
			if err != nil || first == nil {
				return nil, errors.New("first")
			}
			first.Increment("n", 10)
			first.AddUnique("tags", "x", "y")
			if err := c.Save(ctx, first); err != nil {
				return nil, err
			}
			if err := c.Destroy(ctx, found[0]); err != nil {
				return nil, err
			}
			left, _ := c.Count(ctx, cloud.NewQuery("Item"))
			again, err := c.Get(ctx, "Item", first.ID())
			if err != nil {
				return nil, err
			}
			sum, err := c.Run(ctx, "add", map[string]any{"a": 2, "b": 3})
			if err != nil {
				return nil, err
			}
			names := []string{}
			for _, o := range found {
				names = append(names, o.String("name"))
			}
			return obj{"found": strings.Join(names, ","), "count": n, "left": left, "n": again.Number("n"), "tags": again.Array("tags"), "sum": sum}, nil
		})
		r.Define("add", func(ctx context.Context, req *cloud.FunctionRequest) (any, error) {
			return req.Params.Number("a") + req.Params.Number("b"), nil
		})
	})
	uid, tok := session(t, env, "ada")
	_, other := session(t, env, "bob")
	id := env.MustCreate("Secret", obj{"v": "mine", "ACL": obj{uid: obj{"read": true, "write": true}}})
	if r := env.Do(apptest.Req{Method: "POST", Path: "/functions/read", Body: obj{"id": id}, Session: tok}); r.Status != 200 || r.Map()["result"] != "mine" {
		t.Errorf("owner: %d %s", r.Status, r.Raw)
	}
	if r := env.Do(apptest.Req{Method: "POST", Path: "/functions/read", Body: obj{"id": id}, Session: other}); r.Code() != 101 {
		t.Errorf("other user read it: %d %s", r.Status, r.Raw)
	}
	if r := env.Do(apptest.Req{Method: "POST", Path: "/functions/read", Body: obj{"id": id, "master": true}, Session: other}); r.Map()["result"] != "mine" {
		t.Errorf("master: %d %s", r.Status, r.Raw)
	}
	r := env.Do(apptest.Req{Method: "POST", Path: "/functions/crud", Body: obj{}})
	if r.Status != 200 {
		t.Fatalf("crud: %d %s", r.Status, r.Raw)
	}
	eq(t, "crud", r.Map()["result"], obj{"found": "c,b", "count": 3, "left": 2, "n": 11, "tags": arr{"x", "y"}, "sum": 5})
}
