package rest_test

// Cloud Code triggers around REST writes and reads, batch sub-requests, logins and logouts, and writes
// made by Cloud Code itself.

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/parselambda/parselambda/shared/apptest"
	"github.com/parselambda/parselambda/shared/cloud"
)

// reviews: a beforeSave that normalizes and validates, an afterSave that counts, a beforeDelete
// that protects, a beforeFind that hides, an afterFind that decorates.
func reviews(r *cloud.Registry) {
	r.BeforeSave("Review", func(ctx context.Context, req *cloud.TriggerRequest) error {
		o := req.Object
		if o.Number("stars") > 5 {
			return cloud.Error(cloud.ValidationError, "at most 5 stars")
		}
		if strings.Contains(o.String("text"), "spam") {
			return errors.New("no spam")
		}
		if o.Dirty("title") {
			o.Set("title", strings.TrimSpace(o.String("title")))
			o.Set("slug", strings.ToLower(strings.ReplaceAll(strings.TrimSpace(o.String("title")), " ", "-")))
		}
		if req.Original != nil && o.Number("stars") < req.Original.Number("stars") {
			return cloud.Error(cloud.ValidationError, "stars cannot go down")
		}
		if req.Context["source"] != nil {
			o.Set("source", req.Context["source"])
		}
		return nil
	})
	r.AfterSave("Review", func(ctx context.Context, req *cloud.TriggerRequest) error {
		if req.Original != nil {
			return nil
		}
		book, err := req.Client.UseMasterKey().Get(ctx, "Book", req.Object.Map("book")["objectId"].(string))
		if err != nil {
			return err
		}
		book.Increment("reviews", 1)
		return req.Client.UseMasterKey().Save(ctx, book)
	})
	r.BeforeDelete("Review", func(ctx context.Context, req *cloud.TriggerRequest) error {
		if req.Object.Bool("locked") {
			return cloud.Error(cloud.OperationForbidden, "locked reviews cannot be deleted")
		}
		return nil
	})
	r.AfterDelete("Review", func(ctx context.Context, req *cloud.TriggerRequest) error {
		o := cloud.NewObject("AuditLog")
		o.Set("deleted", req.Object.ID())
		return req.Client.UseMasterKey().Save(ctx, o)
	})
	r.BeforeFind("Review", func(ctx context.Context, req *cloud.TriggerRequest) error {
		if !req.Master {
			req.Query.NotEqualTo("hidden", true)
		}
		if req.Query.GetLimit() < 0 || req.Query.GetLimit() > 2 {
			req.Query.Limit(2)
		}
		return nil
	})
	r.AfterFind("Review", func(ctx context.Context, req *cloud.TriggerRequest) error {
		for _, o := range req.Objects {
			o.Set("seen", true)
		}
		return nil
	})
}

func withBook(t *testing.T, env *apptest.Env) map[string]string {
	t.Helper()
	if r := env.Do(apptest.Req{Method: "POST", Path: "/schemas/Review", Body: obj{"className": "Review"}, Master: true}); r.Status != 200 {
		t.Fatalf("create class: %d %s", r.Status, r.Raw)
	}
	return map[string]string{"book": env.MustCreate("Book", obj{"title": "Dune", "reviews": 0})}
}

func review(extra obj) obj {
	b := obj{"book": ptr("Book", "{{book}}"), "stars": 4, "title": "  Great Read ", "text": "fine"}
	for k, v := range extra {
		b[k] = v
	}
	return b
}

func TestCloudTriggers(t *testing.T) {
	runCloudCases(t, []cloudCase{
		{name: "beforeSave changes the object; the answer and the database show it", define: reviews, setup: withBook,
			req: apptest.Req{Method: "POST", Path: "/classes/Review", Body: review(nil)}, status: 201,
			check: func(t *testing.T, env *apptest.Env, r *apptest.Resp, v map[string]string) {
				eq(t, "answer slug", r.Map()["slug"], "great-read")
				eq(t, "answer title", r.Map()["title"], "Great Read")
				got := raw(t, env, "Review", r.Map()["objectId"].(string))
				eq(t, "stored", obj{"title": got["title"], "slug": got["slug"]}, obj{"title": "Great Read", "slug": "great-read"})
			}},
		{name: "beforeSave rejects with its code", define: reviews, setup: withBook,
			req: apptest.Req{Method: "POST", Path: "/classes/Review", Body: review(obj{"stars": 9})}, status: 400, code: 142, errIs: "at most 5 stars",
			check: func(t *testing.T, env *apptest.Env, r *apptest.Resp, v map[string]string) {
				if n := count(t, env, "Review"); n != 0 {
					t.Errorf("%d reviews stored", n)
				}
			}},
		{name: "beforeSave rejects with a plain error: 141", define: reviews, setup: withBook,
			req: apptest.Req{Method: "POST", Path: "/classes/Review", Body: review(obj{"text": "buy spam"})}, status: 400, code: 141, errIs: "no spam"},
		{name: "beforeSave sees the original on update", define: reviews,
			setup: func(t *testing.T, env *apptest.Env) map[string]string {
				v := withBook(t, env)
				v["rev"] = insertReview(t, env, v["book"], obj{"stars": 4})
				return v
			},
			req: apptest.Req{Method: "PUT", Path: "/classes/Review/{{rev}}", Body: obj{"stars": 2}}, status: 400, code: 142, errIs: "stars cannot go down"},
		{name: "beforeSave change on update comes back in the answer", define: reviews,
			setup: func(t *testing.T, env *apptest.Env) map[string]string {
				v := withBook(t, env)
				v["rev"] = insertReview(t, env, v["book"], obj{"stars": 4})
				return v
			},
			req: apptest.Req{Method: "PUT", Path: "/classes/Review/{{rev}}", Body: obj{"title": " New Title", "stars": obj{"__op": "Increment", "amount": 1}}}, status: 200,
			check: func(t *testing.T, env *apptest.Env, r *apptest.Resp, v map[string]string) {
				eq(t, "slug", r.Map()["slug"], "new-title")
				got := get(t, env, "Review", v["rev"])
				eq(t, "stored", obj{"stars": got["stars"], "title": got["title"], "slug": got["slug"]}, obj{"stars": 5, "title": "New Title", "slug": "new-title"})
			}},
		{name: "the cloud context reaches beforeSave", define: reviews, setup: withBook,
			req:    apptest.Req{Method: "POST", Path: "/classes/Review", Body: review(nil), Headers: map[string]string{"X-Parse-Cloud-Context": `{"source":"ios"}`}},
			status: 201, check: func(t *testing.T, env *apptest.Env, r *apptest.Resp, v map[string]string) {
				eq(t, "source", raw(t, env, "Review", r.Map()["objectId"].(string))["source"], "ios")
			}},
		{name: "afterSave counts reviews", define: reviews, setup: withBook,
			req: apptest.Req{Method: "POST", Path: "/classes/Review", Body: review(nil)}, status: 201,
			check: func(t *testing.T, env *apptest.Env, r *apptest.Resp, v map[string]string) {
				if r := env.Do(apptest.Req{Method: "POST", Path: "/classes/Review", Body: expandBody(review(nil), v)}); r.Status != 201 {
					t.Fatalf("second review: %d %s", r.Status, r.Raw)
				}
				eq(t, "reviews", get(t, env, "Book", v["book"])["reviews"], 2)
			}},
		{name: "an afterSave error does not fail the save", define: reviews,
			setup: func(t *testing.T, env *apptest.Env) map[string]string {
				withBook(t, env)
				return map[string]string{"book": "missingBook"}
			},
			req: apptest.Req{Method: "POST", Path: "/classes/Review", Body: review(nil)}, status: 201},
		{name: "batch: beforeSave changes one and rejects another", define: reviews, setup: withBook,
			req: apptest.Req{Method: "POST", Path: "/batch", Body: obj{"requests": arr{
				obj{"method": "POST", "path": "/parse/classes/Review", "body": review(nil)},
				obj{"method": "POST", "path": "/parse/classes/Review", "body": review(obj{"stars": 6})},
			}}}, status: 200,
			check: func(t *testing.T, env *apptest.Env, r *apptest.Resp, v map[string]string) {
				list, _ := r.JSON.([]any)
				if len(list) != 2 {
					t.Fatalf("answer %s", r.Raw)
				}
				eq(t, "first slug", field(list[0].(map[string]any), "success.slug"), "great-read")
				eq(t, "second", list[1], obj{"error": obj{"code": 142, "error": "at most 5 stars"}})
				eq(t, "reviews counted", get(t, env, "Book", v["book"])["reviews"], 1)
			}},
		{name: "beforeDelete rejects", define: reviews,
			setup: func(t *testing.T, env *apptest.Env) map[string]string {
				v := withBook(t, env)
				v["rev"] = insertReview(t, env, v["book"], obj{"locked": true})
				return v
			},
			req: apptest.Req{Method: "DELETE", Path: "/classes/Review/{{rev}}"}, status: 400, code: 119, errIs: "locked reviews cannot be deleted",
			check: func(t *testing.T, env *apptest.Env, r *apptest.Resp, v map[string]string) {
				if n := count(t, env, "Review"); n != 1 {
					t.Errorf("review deleted anyway")
				}
			}},
		{name: "afterDelete runs", define: reviews,
			setup: func(t *testing.T, env *apptest.Env) map[string]string {
				v := withBook(t, env)
				v["rev"] = insertReview(t, env, v["book"], nil)
				return v
			},
			req: apptest.Req{Method: "DELETE", Path: "/classes/Review/{{rev}}"}, status: 200,
			check: func(t *testing.T, env *apptest.Env, r *apptest.Resp, v map[string]string) {
				logs := rawAll(t, env, "AuditLog")
				if len(logs) != 1 || logs[0]["deleted"] != v["rev"] {
					t.Errorf("audit log %v", logs)
				}
			}},
		{name: "beforeFind changes the query; afterFind changes the objects", define: reviews,
			setup: func(t *testing.T, env *apptest.Env) map[string]string {
				v := withBook(t, env)
				for _, x := range []obj{{"hidden": true}, nil, nil, nil} {
					insertReview(t, env, v["book"], x)
				}
				return v
			},
			req: apptest.Req{Path: "/classes/Review"}, status: 200,
			check: func(t *testing.T, env *apptest.Env, r *apptest.Resp, v map[string]string) {
				rs := r.Results()
				if len(rs) != 2 {
					t.Fatalf("%d results (limit 2 from beforeFind): %s", len(rs), r.Raw)
				}
				for _, o := range rs {
					if o["hidden"] == true || o["seen"] != true {
						t.Errorf("result %v", o)
					}
				}
			}},
		{name: "beforeFind applies to a get by id", define: reviews,
			setup: func(t *testing.T, env *apptest.Env) map[string]string {
				v := withBook(t, env)
				v["rev"] = insertReview(t, env, v["book"], obj{"hidden": true})
				return v
			},
			req: apptest.Req{Path: "/classes/Review/{{rev}}"}, status: 404, code: 101},
		{name: "a failing afterFind does not fail the find", define: func(r *cloud.Registry) {
			r.AfterFind("Review", func(ctx context.Context, req *cloud.TriggerRequest) error {
				return cloud.Error(cloud.ScriptFailed, "afterFind broke")
			})
		},
			setup: func(t *testing.T, env *apptest.Env) map[string]string {
				v := withBook(t, env)
				v["rev"] = insertReview(t, env, v["book"], nil)
				return v
			},
			req: apptest.Req{Path: "/classes/Review/{{rev}}"}, status: 200,
			check: func(t *testing.T, env *apptest.Env, r *apptest.Resp, v map[string]string) {
				eq(t, "objectId", r.Map()["objectId"], v["rev"])
				if f := env.Do(apptest.Req{Path: "/classes/Review"}); f.Status != 200 || len(f.Results()) != 1 {
					t.Errorf("find with a failing afterFind: %d %s", f.Status, f.Raw)
				}
			}},
		{name: "afterFind on a get", define: reviews,
			setup: func(t *testing.T, env *apptest.Env) map[string]string {
				v := withBook(t, env)
				v["rev"] = insertReview(t, env, v["book"], nil)
				return v
			},
			req: apptest.Req{Path: "/classes/Review/{{rev}}"}, status: 200,
			check: func(t *testing.T, env *apptest.Env, r *apptest.Resp, v map[string]string) {
				eq(t, "seen", r.Map()["seen"], true)
			}},
	})
}

// insertReview stores a review through the API without triggers' checks on its fields.
func insertReview(t *testing.T, env *apptest.Env, book string, extra obj) string {
	t.Helper()
	b := obj{"book": ptr("Book", book), "stars": 3, "title": "t"}
	for k, v := range extra {
		b[k] = v
	}
	return env.MustCreate("Review", b)
}

func TestCloudLoginTriggers(t *testing.T) {
	t.Parallel()
	env := cloudEnv(t, func(r *cloud.Registry) {
		r.BeforeLogin(func(ctx context.Context, req *cloud.TriggerRequest) error {
			if req.Object.Bool("banned") {
				return errors.New("banned")
			}
			return nil
		})
		r.AfterLogin(func(ctx context.Context, req *cloud.TriggerRequest) error {
			o := cloud.NewObject("LoginLog")
			o.Set("user", req.Object.ID())
			return req.Client.UseMasterKey().Save(ctx, o)
		})
		r.AfterLogout(func(ctx context.Context, req *cloud.TriggerRequest) error {
			o := cloud.NewObject("LogoutLog")
			o.Set("user", req.Object.Map("user")["objectId"])
			o.Set("session", req.Object.ID())
			return req.Client.UseMasterKey().Save(ctx, o)
		})
	})
	for _, u := range []obj{{"username": "ok", "password": "pw"}, {"username": "bad", "password": "pw", "banned": true}} {
		if r := env.Do(apptest.Req{Method: "POST", Path: "/users", Body: u}); r.Status != 201 {
			t.Fatalf("sign up: %d %s", r.Status, r.Raw)
		}
	}
	r := env.Do(apptest.Req{Method: "POST", Path: "/login", Body: obj{"username": "bad", "password": "pw"}})
	if r.Status != 400 || r.Code() != 141 || r.Map()["error"] != "banned" {
		t.Fatalf("banned login: %d %s", r.Status, r.Raw)
	}
	sessions := count(t, env, "_Session")
	r = env.Do(apptest.Req{Method: "POST", Path: "/login", Body: obj{"username": "ok", "password": "pw"}})
	if r.Status != 200 {
		t.Fatalf("login: %d %s", r.Status, r.Raw)
	}
	uid, tok := r.Map()["objectId"].(string), r.Map()["sessionToken"].(string)
	if n := count(t, env, "_Session"); n != sessions+1 {
		t.Errorf("sessions %d → %d", sessions, n)
	}
	if logs := rawAll(t, env, "LoginLog"); len(logs) != 1 || logs[0]["user"] != uid {
		t.Errorf("login log %v", logs)
	}
	if r := env.Do(apptest.Req{Method: "POST", Path: "/logout", Session: tok}); r.Status != 200 {
		t.Fatalf("logout: %d %s", r.Status, r.Raw)
	}
	if logs := rawAll(t, env, "LogoutLog"); len(logs) != 1 || logs[0]["user"] != uid || logs[0]["session"] == nil {
		t.Errorf("logout log %v", logs)
	}
}

// Writes made by Cloud Code run triggers unless it asks otherwise.
func TestCloudCodeWritesRunTriggers(t *testing.T) {
	t.Parallel()
	env := cloudEnv(t, func(r *cloud.Registry) {
		reviews(r)
		r.Define("post", func(ctx context.Context, req *cloud.FunctionRequest) (any, error) {
			c := req.Client.UseMasterKey()
			if req.Params.Bool("skip") {
				c = c.SkipTriggers()
			}
			o := cloud.NewObject("Review")
			o.Set("book", cloud.Pointer("Book", req.Params.String("book")))
			o.Set("stars", req.Params.Number("stars"))
			o.Set("title", " Via Cloud ")
			if err := c.Save(ctx, o); err != nil {
				return nil, err
			}
			return o.String("slug"), nil
		})
	})
	book := env.MustCreate("Book", obj{"reviews": 0})
	if r := env.Do(apptest.Req{Method: "POST", Path: "/functions/post", Body: obj{"book": book, "stars": 9}}); r.Code() != 142 {
		t.Errorf("beforeSave did not run for a Cloud Code save: %d %s", r.Status, r.Raw)
	}
	r := env.Do(apptest.Req{Method: "POST", Path: "/functions/post", Body: obj{"book": book, "stars": 3}})
	if r.Map()["result"] != "via-cloud" {
		t.Errorf("beforeSave change not seen by the saver: %d %s", r.Status, r.Raw)
	}
	if r := env.Do(apptest.Req{Method: "POST", Path: "/functions/post", Body: obj{"book": book, "stars": 9, "skip": true}}); r.Status != 200 {
		t.Errorf("SkipTriggers: %d %s", r.Status, r.Raw)
	}
	eq(t, "reviews counted (afterSave skipped once)", get(t, env, "Book", book)["reviews"], 1)
}

// A sign-up writes the _User with the master key internally; its triggers still see the client.
func TestCloudSignUpTriggersSeeTheClient(t *testing.T) {
	t.Parallel()
	env := cloudEnv(t, func(r *cloud.Registry) {
		r.BeforeSave("_User", func(ctx context.Context, req *cloud.TriggerRequest) error {
			if req.Object.Dirty("role") && !req.Master {
				return cloud.Error(cloud.OperationForbidden, "only the master key sets a role")
			}
			req.Object.Set("greeting", "welcome "+req.Object.String("username"))
			return nil
		})
		r.AfterSave("_User", func(ctx context.Context, req *cloud.TriggerRequest) error {
			// Writes made by a trigger run with the trigger's own client, not the client's auth.
			o := cloud.NewObject("SignUpLog")
			o.Set("user", req.Object.ID())
			o.Set("master", req.Master)
			return req.Client.UseMasterKey().Save(ctx, o)
		})
	})
	r := env.Do(apptest.Req{Method: "POST", Path: "/users", Body: obj{"username": "eve", "password": "pw", "role": "admin"}})
	if r.Code() != 119 || r.Map()["error"] != "only the master key sets a role" {
		t.Fatalf("client sign-up with a role: %d %s", r.Status, r.Raw)
	}
	r = env.Do(apptest.Req{Method: "POST", Path: "/users", Body: obj{"username": "ann", "password": "pw"}})
	if r.Status != 201 || r.Map()["greeting"] != "welcome ann" || r.Map()["sessionToken"] == nil {
		t.Fatalf("sign-up: %d %s", r.Status, r.Raw)
	}
	if r := env.Do(apptest.Req{Method: "POST", Path: "/users", Master: true, Body: obj{"username": "root", "password": "pw", "role": "admin"}}); r.Status != 201 {
		t.Fatalf("master sign-up with a role: %d %s", r.Status, r.Raw)
	}
	logs := rawAll(t, env, "SignUpLog")
	if len(logs) != 2 || logs[0]["master"] != false || logs[1]["master"] != true {
		t.Errorf("afterSave saw %v", logs)
	}
}
