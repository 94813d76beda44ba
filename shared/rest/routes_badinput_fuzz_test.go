package rest_test

// Fuzzing of every route family with bad input: a method, a path below the mount, a query string, a
// body, extra headers and a caller (anonymous, master key, a user's session token, a bad token, no
// application id, a wrong master key...). Whatever the input, the answer must be a Parse answer:
// never a status >= 500, and an error status must carry {"code": <number>, "error": <string>} (the
// only code-less answers are the ones Parse Server gives without a code: 403 unauthorized, 404
// "Cannot <method> <path>", 413, the text/plain 404 of a missing file download, and net/http's
// text/plain 416 for a Range header no byte of a file satisfies). A batch must not
// hide an internal error (code 1) in one of its results, and no request may panic (a recovered panic
// is logged by the engine; the test captures the log with its stack).
//
// Placeholders in the path, query, body and headers name objects made at setup (and remade when a
// request deleted them): {id} {id2} (objects of class Fz), {uid} {username} {token} {sid} (a signed-up
// user, its session token and session), {rid} (a role), {iid} (an installation), {file} (an uploaded
// file), {n} (a number unique to the request).
//
//	go test -run '^$' -fuzz FuzzRoutesBadInput -fuzztime 1m ./shared/rest/

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"runtime/debug"
	"strconv"
	"strings"
	"sync"
	"testing"

	"go.mongodb.org/mongo-driver/v2/bson"

	"github.com/parselambda/parselambda/shared/apptest"
	"github.com/parselambda/parselambda/shared/cloud"
	"github.com/parselambda/parselambda/shared/mail"
	"github.com/parselambda/parselambda/shared/rest"
)

var rbiMethods = []string{"GET", "POST", "PUT", "DELETE", "HEAD", "PATCH", "OPTIONS"}

const (
	rbiGET uint8 = iota
	rbiPOST
	rbiPUT
	rbiDELETE
	rbiHEAD
)

// Callers (who % rbiCallers).
const (
	rbiAnon       uint8 = iota // application id only
	rbiMaster                  // master key
	rbiUser                    // the user's session token
	rbiBadToken                // a session token that does not exist
	rbiNoAppID                 // no Parse header at all
	rbiBadMaster               // a wrong master key
	rbiMasterUser              // master key and session token
	rbiCallers
)

// rbiLogs keeps what the engine logs at warn level and above during one request; a panic record
// carries the stack of the panicking goroutine (the handler's recover logs it before unwinding).
type rbiLogs struct {
	mu     sync.Mutex
	buf    strings.Builder
	panics int
}

type rbiLogHandler struct {
	l     *rbiLogs
	attrs []slog.Attr
}

func (h rbiLogHandler) Enabled(_ context.Context, lv slog.Level) bool { return lv >= slog.LevelWarn }

func (h rbiLogHandler) Handle(_ context.Context, r slog.Record) error {
	var sb strings.Builder
	fmt.Fprintf(&sb, "%s %q", r.Level, r.Message)
	for _, a := range h.attrs {
		fmt.Fprintf(&sb, " %s=%q", a.Key, a.Value.String())
	}
	r.Attrs(func(a slog.Attr) bool {
		fmt.Fprintf(&sb, " %s=%q", a.Key, a.Value.String())
		return true
	})
	isPanic := strings.Contains(r.Message, "panic")
	if isPanic {
		sb.WriteString("\n")
		sb.Write(debug.Stack())
	}
	h.l.mu.Lock()
	defer h.l.mu.Unlock()
	if h.l.buf.Len() < 256<<10 {
		h.l.buf.WriteString(sb.String())
		h.l.buf.WriteByte('\n')
	}
	if isPanic {
		h.l.panics++
	}
	return nil
}

func (h rbiLogHandler) WithAttrs(as []slog.Attr) slog.Handler {
	return rbiLogHandler{l: h.l, attrs: append(append([]slog.Attr{}, h.attrs...), as...)}
}

func (h rbiLogHandler) WithGroup(string) slog.Handler { return h }

func (l *rbiLogs) take() (string, int) {
	l.mu.Lock()
	defer l.mu.Unlock()
	s, n := l.buf.String(), l.panics
	l.buf.Reset()
	l.panics = 0
	return s, n
}

// rbiNoNetwork makes webhook calls fail at once: the fuzzer may declare hooks with any URL.
type rbiNoNetwork struct{}

func (rbiNoNetwork) RoundTrip(*http.Request) (*http.Response, error) {
	return nil, errors.New("no network in this test")
}

// rbiMail accepts every message: without a mail sender the email flows answer code 1 on purpose (as
// Parse Server does without an email adapter), which would hide how they treat their input.
type rbiMail struct{}

func (rbiMail) Send(context.Context, mail.Message) error { return nil }

// rbiWorld is the engine and the objects the placeholders name.
type rbiWorld struct {
	env  *apptest.Env
	logs *rbiLogs
	vars map[string]string
	seq  int
}

const rbiPassword = "pw-fuzz-1"

var rbiFzFields = `{"str":{"type":"String"},"num":{"type":"Number"},"bool":{"type":"Boolean"},"date":{"type":"Date"},` +
	`"arr":{"type":"Array"},"obj":{"type":"Object"},"ptr":{"type":"Pointer","targetClass":"Fz"},` +
	`"rel":{"type":"Relation","targetClass":"Fz"},"geo":{"type":"GeoPoint"},"file":{"type":"File"},` +
	`"poly":{"type":"Polygon"},"bytes":{"type":"Bytes"},"owner":{"type":"Pointer","targetClass":"_User"}}`

const rbiOpenCLP = `{"find":{"*":true},"count":{"*":true},"get":{"*":true},"create":{"*":true},"update":{"*":true},"delete":{"*":true},"addField":{"*":true},"protectedFields":{"*":[]}}`

func newRBIWorld(f testing.TB) *rbiWorld {
	logs := &rbiLogs{}
	reg := cloud.NewRegistry()
	reg.Define("echo", func(ctx context.Context, req *cloud.FunctionRequest) (any, error) { return req.Params, nil })
	reg.Define("fail", func(ctx context.Context, req *cloud.FunctionRequest) (any, error) { return nil, errors.New("boom") })
	reg.Job("noop", func(ctx context.Context, req *cloud.JobRequest) (any, error) { return "done", nil })
	reg.BeforeSave("FzT", func(ctx context.Context, req *cloud.TriggerRequest) error { return nil })
	reg.AfterSave("FzT", func(ctx context.Context, req *cloud.TriggerRequest) error { return nil })
	reg.BeforeFind("FzT", func(ctx context.Context, req *cloud.TriggerRequest) error { return nil })
	reg.AfterFind("FzT", func(ctx context.Context, req *cloud.TriggerRequest) error { return nil })
	env := apptest.NewWith(f, nil, func(o *rest.Options) {
		o.Cloud = reg
		o.Log = slog.New(rbiLogHandler{l: logs})
		o.Events = io.Discard
		o.WebhookClient = &http.Client{Transport: rbiNoNetwork{}}
		o.Mail = rbiMail{}
	})
	w := &rbiWorld{env: env, logs: logs, vars: map[string]string{}}
	r := env.Do(apptest.Req{Method: "POST", Path: "/schemas", Master: true, Body: []byte(`{"className":"Fz","fields":` + rbiFzFields + `}`)})
	if r.Status != 200 && r.Status != 201 {
		f.Fatalf("schema Fz: %d %s", r.Status, r.Raw)
	}
	up := env.Do(apptest.Req{Method: "POST", Path: "/files/hello.txt", Master: true, Body: "hello", Headers: map[string]string{"Content-Type": "text/plain"}})
	name, _ := up.Map()["name"].(string)
	if name == "" {
		f.Fatalf("upload: %d %s", up.Status, up.Raw)
	}
	w.vars["file"] = name
	w.ensure(true)
	for _, k := range []string{"id", "id2", "uid", "token", "sid", "rid", "iid"} {
		if w.vars[k] == "" {
			f.Fatalf("setup: no %s (%v)", k, w.vars)
		}
	}
	logs.take()
	return w
}

func (w *rbiWorld) exists(coll string, filter bson.D) bool {
	if filter[0].Value == "" {
		return false
	}
	n, err := w.env.DB.Collection(coll).CountDocuments(context.Background(), filter)
	return err == nil && n > 0
}

func (w *rbiWorld) id(coll, id string) bool { return w.exists(coll, bson.D{{Key: "_id", Value: id}}) }

// ensure remakes what a request may have deleted or locked; all=true checks everything.
func (w *rbiWorld) ensure(all bool, touched ...string) {
	env := w.env
	touches := func(s string) bool {
		if all {
			return true
		}
		for _, t := range touched {
			if strings.Contains(t, s) {
				return true
			}
		}
		return false
	}
	if touches("hooks") || touches("batch") {
		// A trigger webhook (which always fails here) would refuse every later save of its class.
		r := env.Do(apptest.Req{Method: "GET", Path: "/hooks/triggers", Master: true})
		if hs, ok := r.JSON.([]any); ok {
			for _, h := range hs {
				m, _ := h.(map[string]any)
				cn, _ := m["className"].(string)
				tn, _ := m["triggerName"].(string)
				if cn != "" && tn != "" {
					env.Do(apptest.Req{Method: "PUT", Path: "/hooks/triggers/" + url.PathEscape(cn) + "/" + url.PathEscape(tn), Master: true, Body: map[string]any{"__op": "Delete"}})
				}
			}
		}
	}
	if touches("schemas") || touches("batch") || touches("purge") {
		for _, cls := range []string{"Fz", "_User", "_Role", "_Installation", "_Session"} {
			g := env.Do(apptest.Req{Method: "GET", Path: "/schemas/" + cls, Master: true})
			if g.Status >= 400 {
				fields := `{}`
				if cls == "Fz" {
					fields = rbiFzFields
				}
				env.Do(apptest.Req{Method: "POST", Path: "/schemas", Master: true, Body: []byte(`{"className":"` + cls + `","fields":` + fields + `,"classLevelPermissions":` + rbiOpenCLP + `}`)})
			} else {
				env.Do(apptest.Req{Method: "PUT", Path: "/schemas/" + cls, Master: true, Body: []byte(`{"classLevelPermissions":` + rbiOpenCLP + `}`)})
			}
		}
	}
	if !w.id("Fz", w.vars["id"]) {
		w.vars["id"] = w.create("Fz", map[string]any{"str": "a", "num": 1, "bool": true, "arr": []any{1, "x"}, "obj": map[string]any{"a": map[string]any{"b": 1}},
			"geo": map[string]any{"__type": "GeoPoint", "latitude": 1, "longitude": 2}, "date": map[string]any{"__type": "Date", "iso": "2020-01-02T03:04:05.000Z"},
			"ACL": map[string]any{"*": map[string]any{"read": true, "write": true}}})
	}
	if !w.id("Fz", w.vars["id2"]) {
		ptr := map[string]any{"__type": "Pointer", "className": "Fz", "objectId": w.vars["id"]}
		w.vars["id2"] = w.create("Fz", map[string]any{"str": "b", "num": 2, "ptr": ptr, "rel": map[string]any{"__op": "AddRelation", "objects": []any{ptr}}})
	}
	if !w.id("_User", w.vars["uid"]) || !w.exists("_Session", bson.D{{Key: "_session_token", Value: w.vars["token"]}}) {
		w.user()
	}
	if !w.id("_Role", w.vars["rid"]) {
		w.seq++
		w.vars["rid"] = w.create("_Role", map[string]any{"name": fmt.Sprintf("FzRole%d", w.seq), "ACL": map[string]any{"*": map[string]any{"read": true}}})
	}
	if !w.id("_Installation", w.vars["iid"]) {
		w.seq++
		r := env.Do(apptest.Req{Method: "POST", Path: "/installations", Master: true, Body: map[string]any{"deviceType": "android", "installationId": fmt.Sprintf("00000000-0000-4000-8000-%012d", w.seq)}})
		w.vars["iid"], _ = r.Map()["objectId"].(string)
	}
	if touches("files") {
		rec := httptest.NewRecorder()
		env.Handler.ServeHTTP(rec, httptest.NewRequest("GET", env.Config.MountPath+"/files/"+env.Config.AppID+"/"+url.PathEscape(w.vars["file"]), nil))
		if rec.Code != 200 {
			up := env.Do(apptest.Req{Method: "POST", Path: "/files/hello.txt", Master: true, Body: "hello", Headers: map[string]string{"Content-Type": "text/plain"}})
			if name, _ := up.Map()["name"].(string); name != "" {
				w.vars["file"] = name
			}
		}
	}
}

func (w *rbiWorld) create(class string, body map[string]any) string {
	r := w.env.Do(apptest.Req{Method: "POST", Path: "/classes/" + class, Master: true, Body: body})
	id, _ := r.Map()["objectId"].(string)
	return id
}

// user logs the user in again, or signs up a new one (its password or name may have changed).
func (w *rbiWorld) user() {
	env := w.env
	if w.vars["username"] != "" && w.id("_User", w.vars["uid"]) {
		r := env.Do(apptest.Req{Method: "POST", Path: "/login", Body: map[string]any{"username": w.vars["username"], "password": rbiPassword}})
		if tok, _ := r.Map()["sessionToken"].(string); tok != "" {
			w.vars["token"] = tok
			w.session()
			return
		}
	}
	w.seq++
	name := fmt.Sprintf("fzuser%d", w.seq)
	r := env.Do(apptest.Req{Method: "POST", Path: "/users", Master: true, Body: map[string]any{"username": name, "password": rbiPassword, "email": name + "@example.com"}})
	w.vars["username"] = name
	w.vars["uid"], _ = r.Map()["objectId"].(string)
	w.vars["token"], _ = r.Map()["sessionToken"].(string)
	w.session()
}

func (w *rbiWorld) session() {
	var doc bson.M
	err := w.env.DB.Collection("_Session").FindOne(context.Background(), bson.D{{Key: "_session_token", Value: w.vars["token"]}}).Decode(&doc)
	if err == nil {
		w.vars["sid"], _ = doc["_id"].(string)
	}
}

// rbiQuery turns the fuzzed query into a raw query string: a JSON object becomes one parameter per
// key (strings as they are, anything else as JSON, as the SDKs send them); anything else is taken as
// a raw query string.
func rbiQuery(q string) string {
	if !strings.HasPrefix(strings.TrimSpace(q), "{") {
		return q
	}
	d := json.NewDecoder(strings.NewReader(q))
	d.UseNumber()
	var m map[string]any
	if err := d.Decode(&m); err != nil || m == nil {
		return q
	}
	v := url.Values{}
	for k, x := range m {
		if s, ok := x.(string); ok {
			v.Set(k, s)
			continue
		}
		b, err := json.Marshal(x)
		if err != nil {
			return q
		}
		v.Set(k, string(b))
	}
	return v.Encode()
}

type rbiSeed struct {
	method uint8
	path   string
	query  string
	body   string
	header string
	who    uint8
}

// rbiSeeds are realistic and malformed requests for every route family.
func rbiSeeds() []rbiSeed {
	var s []rbiSeed
	add := func(method uint8, path, query, body string, who uint8) {
		s = append(s, rbiSeed{method: method, path: path, query: query, body: body, who: who})
	}
	addH := func(method uint8, path, query, body, header string, who uint8) {
		s = append(s, rbiSeed{method: method, path: path, query: query, body: body, header: header, who: who})
	}

	// Find parameters, in the query string of every find route and in POST bodies with _method GET.
	findParams := []string{
		`{}`,
		`{"where":{"str":"a"},"order":"-num,str","keys":"str,num","include":"ptr","limit":10,"skip":0,"count":1}`,
		`{"where":{"$or":1}}`, `{"where":{"$or":[]}}`, `{"where":{"$or":[1]}}`, `{"where":{"$or":[{}]}}`, `{"where":{"$and":"x"}}`,
		`{"where":{"$nor":{}}}`, `{"where":{"$and":[{"$or":[{"$nor":[{"a":{"$in":{}}}]}]}]}}`,
		`{"where":{"a":{"$regex":1}}}`, `{"where":{"str":{"$regex":"("}}}`, `{"where":{"str":{"$regex":"a","$options":"zzq"}}}`,
		`{"where":{"str":{"$regex":"a","$options":1}}}`, `{"where":{"str":{"$options":"i"}}}`, `{"where":{"str":{"$regex":"a","$options":"x"}}}`,
		`{"where":{"str":{"$regex":"\\Q(\\E"}}}`, `{"where":{"str":{"$regex":{"$regex":"a"}}}}`,
		`{"where":{"$relatedTo":"x"}}`, `{"where":{"$relatedTo":{}}}`, `{"where":{"$relatedTo":{"object":1,"key":2}}}`,
		`{"where":{"$relatedTo":{"object":{"__type":"Pointer","className":"Fz","objectId":"{id2}"},"key":"nope"}}}`,
		`{"where":{"$relatedTo":{"object":{"__type":"Pointer","className":"Nope","objectId":1},"key":"rel"}}}`,
		`{"where":{"$relatedTo":{"object":{"__type":"Pointer","className":"Fz","objectId":"{id2}"},"key":"str"}}}`,
		`{"where":{"$relatedTo":{"object":{"__type":"Pointer","className":"Fz","objectId":"{id2}"},"key":"rel"}}}`,
		`{"where":{"a.b.c":1}}`, `{"where":{"a.$b":1}}`, `{"where":{"$x":1}}`, `{"where":{"":1}}`, `{"where":{"a..b":1}}`, `{"where":{".a":1}}`,
		`{"where":{"obj.a.b":{"$gt":0}}}`, `{"where":{"str.x":1}}`, `{"where":{"ptr.objectId":"x"}}`, `{"where":{"rel.x":1}}`,
		`{"where":{"num":{"$in":1}}}`, `{"where":{"num":{"$nin":"x"}}}`, `{"where":{"arr":{"$all":{}}}}`, `{"where":{"arr":{"$all":[{"$regex":1}]}}}`,
		`{"where":{"arr":{"$all":[{"$regex":"^a"},1]}}}`, `{"where":{"arr":{"$containedBy":1}}}`, `{"where":{"arr":{"$containedBy":[{"$x":1}]}}}`,
		`{"where":{"num":{"$exists":"yes"}}}`, `{"where":{"num":{"$exists":null}}}`,
		`{"where":{"date":{"$lt":{"$relativeTime":1}}}}`, `{"where":{"date":{"$lt":{"$relativeTime":"in 1 zorp"}}}}`,
		`{"where":{"date":{"$eq":{"$relativeTime":"1 day ago"}}}}`, `{"where":{"date":{"$gt":{"$relativeTime":"in 99999999999999999999 years"}}}}`,
		`{"where":{"num":{"$lt":{"$relativeTime":"1 day ago"}}}}`,
		`{"where":{"ptr":{"$inQuery":1}}}`, `{"where":{"ptr":{"$inQuery":{"where":1,"className":2}}}}`,
		`{"where":{"ptr":{"$inQuery":{"where":{},"className":"bad class"}}}}`, `{"where":{"ptr":{"$inQuery":{"where":{"$or":1},"className":"Fz"}}}}`,
		`{"where":{"ptr":{"$notInQuery":{"where":{},"className":"_User"}}}}`, `{"where":{"ptr":{"$inQuery":{"where":{},"className":"Fz","limit":"x","order":1}}}}`,
		`{"where":{"str":{"$select":{"query":1,"key":2}}}}`, `{"where":{"str":{"$select":{"query":{"className":"Fz","where":{}},"key":1}}}}`,
		`{"where":{"str":{"$select":{"query":{"className":"Fz","where":{}},"key":"ptr"}}}}`, `{"where":{"ptr":{"$select":{"query":{"className":"Fz"},"key":"ptr"}}}}`,
		`{"where":{"str":{"$dontSelect":"x"}}}`, `{"where":{"str":{"$dontSelect":{"query":{"className":"_Session","where":{}},"key":"sessionToken"}}}}`,
		`{"where":{"arr":{"$size":"x"}}}`, `{"where":{"arr":{"$size":-1}}}`, `{"where":{"num":{"$type":"x"}}}`, `{"where":{"num":{"$mod":[0,0]}}}`,
		`{"where":{"num":{"$mod":1}}}`, `{"where":{"num":{"$not":1}}}`, `{"where":{"num":{"$not":{"$gt":1}}}}`, `{"where":{"arr":{"$elemMatch":1}}}`,
		`{"where":{"num":{"$where":"sleep(1)"}}}`, `{"where":{"$where":"1"}}`, `{"where":{"$expr":{"$eq":[1,1]}}}`, `{"where":{"num":{"$gt":1,"$foo":2}}}`,
		`{"where":{"geo":{"$nearSphere":1}}}`, `{"where":{"geo":{"$nearSphere":{"__type":"GeoPoint","latitude":1000,"longitude":"x"}}}}`,
		`{"where":{"geo":{"$nearSphere":{"__type":"GeoPoint","latitude":1,"longitude":1},"$maxDistance":"x"}}}`,
		`{"where":{"geo":{"$nearSphere":{"__type":"GeoPoint","latitude":1,"longitude":1},"$maxDistanceInKilometers":-1}}}`,
		`{"where":{"geo":{"$nearSphere":[1,2]}}}`, `{"where":{"str":{"$nearSphere":{"__type":"GeoPoint","latitude":1,"longitude":1}}}}`,
		`{"where":{"geo":{"$within":{"$box":1}}}}`, `{"where":{"geo":{"$within":{"$box":[1,2]}}}}`,
		`{"where":{"geo":{"$within":{"$box":[{"__type":"GeoPoint","latitude":"x","longitude":1},{}]}}}}`,
		`{"where":{"geo":{"$geoWithin":{"$polygon":1}}}}`, `{"where":{"geo":{"$geoWithin":{"$polygon":[[1],[2],[3]]}}}}`,
		`{"where":{"geo":{"$geoWithin":{"$polygon":{"__type":"Polygon","coordinates":1}}}}}`,
		`{"where":{"geo":{"$geoWithin":{"$centerSphere":[1]}}}}`, `{"where":{"geo":{"$geoWithin":{"$centerSphere":[[1,2],"x"]}}}}`,
		`{"where":{"geo":{"$geoWithin":{}}}}`, `{"where":{"poly":{"$geoIntersects":{"$point":1}}}}`, `{"where":{"poly":{"$geoIntersects":{"$point":{"__type":"GeoPoint","latitude":1e400,"longitude":1}}}}}`,
		`{"where":{"$text":1}}`, `{"where":{"str":{"$text":1}}}`, `{"where":{"str":{"$text":{"$search":1}}}}`,
		`{"where":{"str":{"$text":{"$search":{"$term":1,"$language":2,"$caseSensitive":"x","$diacriticSensitive":3}}}}}`,
		`{"where":{"str":{"$text":{"$search":{"$term":"a","$language":"klingon"}}}}}`, `{"where":{"str":{"$text":{"$search":{"$term":"a"}}},"num":{"$text":{"$search":{"$term":"b"}}}}}`,
		`{"where":{"ptr":{"__type":"Pointer"}}}`, `{"where":{"ptr":{"__type":"Pointer","className":1,"objectId":[]}}}`, `{"where":{"ptr":"x"}}`,
		`{"where":{"date":{"__type":"Date","iso":1}}}`, `{"where":{"date":{"__type":"Date","iso":"notadate"}}}`, `{"where":{"date":{"__type":"Date"}}}`,
		`{"where":{"bytes":{"__type":"Bytes","base64":1}}}`, `{"where":{"file":{"__type":"File","name":1}}}`, `{"where":{"geo":{"__type":"GeoPoint"}}}`,
		`{"where":{"str":{"__type":"Nope"}}}`, `{"where":{"str":{"__type":1}}}`, `{"where":{"str":{"__op":"Increment","amount":1}}}`,
		`{"where":{"createdAt":{"$gt":"x"}}}`, `{"where":{"createdAt":{"$gt":{"__type":"Date","iso":5}}}}`, `{"where":{"updatedAt":{"$in":[1,{}]}}}`,
		`{"where":{"createdAt":{"$regex":"a"}}}`, `{"where":{"objectId":{"$in":[1,{}]}}}`, `{"where":{"objectId":{"$regex":5}}}`, `{"where":{"objectId":{}}}`,
		`{"where":{"objectId":{"$exists":false}}}`, `{"where":{"ACL":1}}`, `{"where":{"ACL":{"*":{"read":true}}}}`, `{"where":{"_rperm":{"$in":["*"]}}}`,
		`{"where":{"_hashed_password":{"$exists":true}}}`, `{"where":{"_id":"x"}}`, `{"where":{"_p_ptr":"Fz$x"}}`, `{"where":{"authData.anonymous.id":"x"}}`,
		`{"where":{"password":"x"}}`, `{"where":{"sessionToken":{"$exists":true}}}`, `{"where":{"num":{"$eq":{"__op":"Increment"}}}}`,
		`{"where":{"num":1e400}}`, `{"where":{"num":{"$gt":1e400}}}`, `{"where":{"num":-0}}`, `{"where":{"num":123456789012345678901234567890}}`,
		`{"where":{"num":{"$gt":9223372036854775808}}}`, `{"where":{"rel":{"$relatedTo":1}}}`, `{"where":{"rel":"x"}}`, `{"where":{"rel":{"__type":"Pointer","className":"Fz","objectId":"{id}"}}}`,
		`{"where":{"rel":{"$in":[{"__type":"Pointer","className":"Fz","objectId":"{id}"},1]}}}`,
		`{"where":1}`, `{"where":"x"}`, `{"where":"{"}`, `{"where":[]}`, `{"where":null}`, `{"where":true}`, `{"where":"{\"$or\":1}"}`,
		`{"limit":"x"}`, `{"limit":1e300}`, `{"limit":-5}`, `{"limit":99999999999999999999999}`, `{"limit":1.5}`, `{"limit":{}}`, `{"limit":true}`, `{"limit":0,"count":1}`,
		`{"limit":-9223372036854775808}`, `{"skip":-1}`, `{"skip":1e100}`, `{"skip":"abc"}`, `{"skip":{}}`, `{"skip":9223372036854775807}`, `{"skip":1e19}`,
		`{"count":{}}`, `{"count":[1]}`, `{"count":"1","limit":0}`, `{"count":"x"}`, `{"count":1,"skip":99999,"limit":-1}`,
		`{"order":1}`, `{"order":[1]}`, `{"order":"a.b,-$x,-,--a"}`, `{"order":"$score"}`, `{"order":"-$score"}`, `{"order":"-"}`, `{"order":"a..b"}`,
		`{"order":"ptr.str"}`, `{"order":"obj.a.b"}`, `{"order":"_hashed_password"}`, `{"order":"ACL"}`, `{"order":["str","-num"]}`, `{"order":{}}`,
		`{"keys":1}`, `{"keys":"a.b.c,$x,"}`, `{"keys":[{}]}`, `{"keys":""}`, `{"keys":"ptr.str,ptr.ptr.ptr"}`, `{"keys":"_rperm,_hashed_password,authData"}`,
		`{"excludeKeys":"objectId,ACL,a.b"}`, `{"excludeKeys":1}`, `{"excludeKeys":"*"}`,
		`{"include":"a.b.c.d.e"}`, `{"include":"*"}`, `{"include":1}`, `{"include":"a,a.b,..,$"}`, `{"include":"ptr.ptr.ptr.ptr.ptr.ptr.ptr.ptr"}`,
		`{"include":"str,num,rel,obj.a"}`, `{"include":"owner"}`, `{"include":"ptr","keys":"ptr.nope"}`,
		`{"includeAll":"x"}`, `{"includeAll":true,"keys":"str"}`, `{"hint":1}`, `{"hint":{"$x":1}}`, `{"hint":"nope_index"}`, `{"hint":{"str":1}}`, `{"hint":[]}`,
		`{"explain":true}`, `{"explain":"x"}`, `{"explain":true,"where":{"$or":[{"str":"a"},{"num":1}]}}`,
		`{"readPreference":1}`, `{"readPreference":"NOPE"}`, `{"includeReadPreference":{}}`, `{"subqueryReadPreference":[]}`,
		`{"where":{"obj.":1}}`, `{"order":"str."}`, `{"keys":"obj..a"}`,
		`{"redirectClassNameForKey":1}`, `{"redirectClassNameForKey":"rel"}`, `{"redirectClassNameForKey":"str"}`, `{"comment":{}}`, `{"bogus":1}`, `{"_method":"GET"}`,
	}
	nested := strings.Repeat(`{"$or":[`, 200) + `{"str":"a"}` + strings.Repeat(`]}`, 200)
	findParams = append(findParams, `{"where":`+nested+`}`)
	for _, p := range findParams {
		add(rbiGET, "/classes/Fz", p, "", rbiAnon)
		add(rbiGET, "/classes/Fz", p, "", rbiMaster)
		if strings.HasPrefix(p, "{") && len(p) > 2 {
			add(rbiPOST, "/classes/Fz", "", `{"_method":"GET",`+p[1:], rbiUser)
		}
	}
	findRoutes := []string{"/classes/_User", "/users", "/roles", "/sessions", "/installations", "/classes/_Session", "/classes/_Installation",
		"/classes/_Role", "/classes/Nope", "/classes/FzT", "/classes/_JobStatus", "/classes/_Hooks"}
	for i, p := range findParams {
		if i%4 != 0 {
			continue
		}
		for j, route := range findRoutes {
			add(rbiGET, route, p, "", []uint8{rbiAnon, rbiMaster, rbiUser}[(i+j)%3])
		}
	}
	getParams := []string{`{}`, `{"keys":"str"}`, `{"include":"ptr"}`, `{"include":1}`, `{"keys":[1]}`, `{"where":{}}`, `{"limit":1}`, `{"excludeKeys":"str"}`,
		`{"include":"ptr.ptr.ptr"}`, `{"readPreference":"x"}`, `{"count":1}`, `{"keys":"$x,a..b"}`}
	for _, p := range getParams {
		for _, route := range []string{"/classes/Fz/{id2}", "/classes/Fz/nope", "/users/{uid}", "/roles/{rid}", "/installations/{iid}", "/sessions/{sid}", "/classes/_Session/{sid}", "/users/me", "/sessions/me"} {
			add(rbiGET, route, p, "", rbiUser)
			add(rbiGET, route, p, "", rbiMaster)
		}
	}

	// Values of the wrong type, malformed types and operators, for every kind of field.
	values := []string{
		`1`, `"x"`, `true`, `[]`, `{}`, `null`, `1e400`, `-1e400`, `-0`, `1.5e-400`, `123456789012345678901234567890`, `9223372036854775807`, `[[[[]]]]`,
		`{"__type":"Pointer"}`, `{"__type":"Pointer","className":"Fz","objectId":1}`, `{"__type":"Pointer","className":"Nope","objectId":"x"}`,
		`{"__type":"Pointer","className":"_User","objectId":"{uid}"}`, `{"__type":"Pointer","className":"bad class","objectId":"x"}`,
		`{"__type":"Date","iso":1}`, `{"__type":"Date","iso":"notadate"}`, `{"__type":"Date","iso":"2020-13-45T99:99:99Z"}`, `{"__type":"Date"}`,
		`{"__type":"Date","iso":"99999-01-01T00:00:00Z"}`, `{"__type":"Bytes","base64":1}`, `{"__type":"Bytes","base64":"!!!"}`,
		`{"__type":"GeoPoint","latitude":"x","longitude":1}`, `{"__type":"GeoPoint","latitude":91,"longitude":0}`, `{"__type":"GeoPoint","latitude":1e400,"longitude":0}`,
		`{"__type":"GeoPoint"}`, `{"__type":"File","name":1}`, `{"__type":"File"}`, `{"__type":"File","name":"../../etc/passwd","url":1}`,
		`{"__type":"Polygon","coordinates":1}`, `{"__type":"Polygon","coordinates":[[1]]}`, `{"__type":"Polygon","coordinates":[[1,2],[3,4]]}`,
		`{"__type":"Polygon","coordinates":[["a","b"],[1,2],[3,4]]}`, `{"__type":"Relation","className":1}`, `{"__type":"Relation","className":"Fz"}`,
		`{"__type":"Object"}`, `{"__type":"Nope"}`, `{"__type":1}`, `{"__type":null}`,
		`{"__op":"Increment","amount":"x"}`, `{"__op":"Increment","amount":1e400}`, `{"__op":"Increment"}`, `{"__op":"Increment","amount":9223372036854775807}`,
		`{"__op":"Increment","amount":{"__op":"Increment","amount":1}}`, `{"__op":"Add","objects":1}`, `{"__op":"Add"}`, `{"__op":"AddUnique","objects":{}}`,
		`{"__op":"AddUnique","objects":[{"__type":"Date","iso":1}]}`, `{"__op":"Remove","objects":"x"}`, `{"__op":"Remove","objects":[{"__op":"Delete"}]}`,
		`{"__op":"AddRelation","objects":1}`, `{"__op":"AddRelation","objects":[1]}`, `{"__op":"AddRelation","objects":[{"__type":"Pointer","className":"_User"}]}`,
		`{"__op":"AddRelation","objects":[{"__type":"Pointer","className":"_User","objectId":"{uid}"}]}`, `{"__op":"AddRelation","objects":[]}`,
		`{"__op":"RemoveRelation","objects":[{"__type":"Pointer","className":"Fz","objectId":1}]}`, `{"__op":"RemoveRelation"}`,
		`{"__op":"Batch","ops":1}`, `{"__op":"Batch","ops":[1]}`, `{"__op":"Batch","ops":[{"__op":"Batch","ops":[]}]}`, `{"__op":"Batch"}`,
		`{"__op":"Batch","ops":[{"__op":"AddRelation","objects":[{"__type":"Pointer","className":"Fz","objectId":"{id}"}]},{"__op":"Increment","amount":1}]}`,
		`{"__op":"Delete","x":1}`, `{"__op":"SetOnInsert"}`, `{"__op":1}`, `{"__op":"Nope"}`, `{"__op":null}`, `{"__op":"Increment","amount":1,"extra":{}}`,
		`{"$set":1}`, `{"a.b":1}`, `{"$x":{"$y":1}}`, `{"__type":"Pointer","__op":"Delete"}`,
	}
	fields := []string{"str", "num", "bool", "date", "arr", "obj", "ptr", "rel", "geo", "file", "poly", "bytes", "owner", "newField"}
	for i, v := range values {
		for _, k := range []int{0, 3, 7} {
			f := fields[(i+k)%len(fields)]
			add(rbiPOST, "/classes/Fz", "", `{"`+f+`":`+v+`}`, rbiAnon)
			add(rbiPUT, "/classes/Fz/{id}", "", `{"`+f+`":`+v+`}`, rbiMaster)
		}
		add(rbiPOST, "/classes/FzT", "", `{"x":`+v+`}`, rbiUser)
		add(rbiPUT, "/users/{uid}", "", `{"extra":`+v+`}`, rbiUser)
		add(rbiPUT, "/config", "", `{"params":{"k":`+v+`}}`, rbiMaster)
		add(rbiPOST, "/functions/echo", "", `{"p":`+v+`}`, rbiAnon)
		add(rbiPOST, "/events/AppOpened", "", `{"dimensions":{"k":`+v+`},"at":`+v+`}`, rbiAnon)
	}
	bodies := []string{
		`{"a.b":1}`, `{"$x":1}`, `{"":1}`, `{"a$":1}`, `{"_private":1}`, `{"objectId":1}`, `{"objectId":"x"}`, `{"objectId":"{id}"}`, `{"createdAt":"x"}`,
		`{"updatedAt":1}`, `{"createdAt":{"__type":"Date","iso":"2020-01-01T00:00:00Z"}}`, `{"ACL":1}`, `{"ACL":{"*":1}}`, `{"ACL":{"*":{"read":"yes"}}}`,
		`{"ACL":{"role:":{"read":true}}}`, `{"ACL":[]}`, `{"ACL":{"*":{"read":true,"write":true,"admin":true}}}`, `{"ACL":{"":{"read":true}}}`,
		`{"str.x":1}`, `{"obj.a.b":{"__op":"Increment","amount":1}}`, `{"obj.$":1}`, `{"obj.a.$b":1}`, `{"obj..a":1}`, `{"obj.":1}`, `{"arr.0":1}`,
		`{"ptr.objectId":"x"}`, `{"obj":{"$set":1}}`, `{"obj":{"a.b":1}}`, `{"obj":{"__proto__":1}}`, `{"` + strings.Repeat("k", 300) + `":1}`,
		`{"num":{"__op":"Increment","amount":9223372036854775807}}`, `{"num":1.7976931348623157e308}`, `{"num":1e400}`, `{"num":-1e-400}`,
		`{"_rperm":["*"]}`, `{"_wperm":1}`, `{"_acl":{}}`, `{"_hashed_password":"x"}`, `{"_id":"x"}`, `{"_p_ptr":"Fz$x"}`, `{"_created_at":1}`,
		`{"authData":1}`, `{"sessionToken":"x"}`, `{"password":"x"}`, `{"username":1}`, `{"emailVerified":true}`,
		`{"obj":{"\u0000":1}}`, `{"obj":{"a":{"$x":1}}}`, `{"arr":[{"a.b":1}]}`, `{"str":"a","str":1}`, `{"str":"\u0000"}`, `{"str":"\ud800"}`, `{"\u0000":1}`, "{\"str\":\"\xff\"}",
		`[]`, `[1]`, `"x"`, `1`, `null`, `{`, `{"a":}`, `{"a":1}x`, `{"a":1}{}`, strings.Repeat("[", 10001) + strings.Repeat("]", 10001),
		strings.Repeat(`{"a":`, 300) + `1` + strings.Repeat(`}`, 300),
		`{"_method":"DELETE"}`, `{"_method":"PATCH"}`, `{"_method":1}`, `{"_method":"GET","where":{"$or":1}}`, `{"_method":"PUT","str":1}`,
		`{"_ApplicationId":"testapp","_MasterKey":"wrong"}`, `{"_ApplicationId":"other"}`, `{"_ApplicationId":1}`, `{"_SessionToken":1,"_method":"GET"}`,
		`{"_ApplicationId":"testapp","_SessionToken":"{token}","_method":"GET","_context":1,"_ClientVersion":2,"_InstallationId":3}`,
		`{"_ApplicationId":"testapp","_JavaScriptKey":1,"_RevocableSession":"1","_ContentType":{}}`,
	}
	for i, b := range bodies {
		add(rbiPOST, "/classes/Fz", "", b, []uint8{rbiAnon, rbiMaster, rbiUser, rbiNoAppID}[i%4])
		add(rbiPUT, "/classes/Fz/{id}", "", b, []uint8{rbiMaster, rbiUser, rbiAnon}[i%3])
		if i%3 == 0 {
			add(rbiPOST, "/users", "", b, rbiAnon)
			add(rbiPUT, "/installations/{iid}", "", b, rbiAnon)
			add(rbiPUT, "/roles/{rid}", "", b, rbiMaster)
			add(rbiPOST, "/batch", "", b, rbiUser)
			add(rbiPOST, "/schemas/Fz", "", b, rbiMaster)
		}
	}

	// Class names and object ids.
	for _, cls := range []string{"_Nope", "1abc", "a-b", "$x", strings.Repeat("C", 300), "_Hooks", "_JobStatus", "_JobSchedule", "_GlobalConfig",
		"_Idempotency", "_PushStatus", "_Audience", "_SCHEMA", "system.indexes", "a.b", "\x00", "%00", "_", "A b", "Ünïcode", "_User", "_Session", "_Role", "_Installation"} {
		p := "/classes/" + cls
		add(rbiGET, p, "", "", rbiMaster)
		add(rbiPOST, p, "", `{"a":1}`, rbiMaster)
		add(rbiPUT, p+"/x", "", `{"a":1}`, rbiMaster)
		add(rbiDELETE, p+"/x", "", "", rbiAnon)
		add(rbiGET, p+"/x", "", "", rbiUser)
		add(rbiGET, "/schemas/"+cls, "", "", rbiMaster)
		add(rbiPOST, "/schemas/"+cls, "", `{}`, rbiMaster)
		add(rbiGET, "/aggregate/"+cls, `{"pipeline":[{"$match":{}}]}`, "", rbiMaster)
		add(rbiDELETE, "/purge/"+cls, "", "", rbiMaster)
		add(rbiPOST, "/events/"+cls, "", `{}`, rbiAnon)
		add(rbiPOST, "/functions/"+cls, "", `{}`, rbiAnon)
	}
	for _, id := range []string{"$x", "a.b", "%00", "\x00", strings.Repeat("i", 500), "{uid}", "{sid}", "null", " ", "x/y"} {
		add(rbiGET, "/classes/Fz/"+id, "", "", rbiAnon)
		add(rbiPUT, "/classes/Fz/"+id, "", `{"str":"x"}`, rbiMaster)
		add(rbiDELETE, "/classes/Fz/"+id, "", "", rbiUser)
		add(rbiPUT, "/users/"+id, "", `{"str":"x"}`, rbiUser)
		add(rbiPUT, "/sessions/"+id, "", `{"str":"x"}`, rbiUser)
	}
	add(rbiDELETE, "/classes/Fz/{id2}", "", "", rbiMaster)
	add(rbiDELETE, "/classes/Fz/{id}", "", "", rbiUser)
	add(rbiPOST, "/classes/Fz/{id}", "", `{}`, rbiMaster)
	add(rbiPUT, "/classes/Fz", "", `{}`, rbiMaster)
	add(rbiDELETE, "/classes/Fz", "", "", rbiMaster)
	add(rbiGET, "/classes", "", "", rbiMaster)
	add(rbiGET, "/classes/", "", "", rbiMaster)
	add(rbiGET, "//classes//Fz//", "", "", rbiMaster)
	add(rbiGET, "/classes/Fz/{id}/extra", "", "", rbiMaster)

	// Users, login, sessions, email flows.
	for _, b := range []string{
		`{}`, `{"username":1,"password":2}`, `{"username":"u{n}","password":{}}`, `{"username":"","password":""}`, `{"username":"u{n}","password":"p","email":1}`,
		`{"username":"u{n}","password":"p","email":"notanemail"}`, `{"username":"u{n}","password":"p","email":"{username}@example.com"}`, `{"username":"{username}","password":"p"}`,
		`{"authData":1}`, `{"authData":[]}`, `{"authData":{"anonymous":1}}`, `{"authData":{"anonymous":{"id":1}}}`, `{"authData":{"anonymous":{}}}`,
		`{"authData":{"anonymous":null}}`, `{"authData":{"nope":{"id":"x"}}}`, `{"authData":{"facebook":{"id":"x","access_token":1}}}`,
		`{"authData":{"apple":{"id":"x","token":"y"}}}`, `{"authData":{"a.b":{"id":"x"}}}`, `{"authData":{"$x":{"id":"x"}}}`,
		`{"username":"u{n}","password":"p","sessionToken":"z"}`, `{"username":"u{n}","password":"p","emailVerified":true}`,
		`{"username":"u{n}","password":"p","_hashed_password":"z"}`, `{"username":"u{n}","password":"p","ACL":1}`, `{"username":"u{n}","password":"p","objectId":"x"}`,
		`{"username":"u{n}","password":"p","_perishable_token":"x"}`, `{"username":["a"],"password":"p"}`, `{"username":"u{n}","password":"` + strings.Repeat("p", 5000) + `"}`,
		`{"username":{"$ne":null},"password":"p"}`, `{"username":"u{n}","password":"p","authData":{"anonymous":{"id":"{n}"}}}`,
	} {
		add(rbiPOST, "/users", "", b, rbiAnon)
		add(rbiPOST, "/classes/_User", "", b, rbiMaster)
		add(rbiPOST, "/login", "", b, rbiAnon)
		add(rbiPUT, "/users/{uid}", "", b, rbiUser)
	}
	for _, q := range []string{`{"username":"{username}","password":"` + rbiPassword + `"}`, `{"username":"{username}","password":"bad"}`, `{"username":"{username}"}`,
		`{"email":"{username}@example.com","password":"` + rbiPassword + `"}`, `{"username":1,"password":2}`, `username=%00&password=%ff`, `username&password`,
		`{"username":{"$ne":1},"password":"x"}`, `{"authData":{"anonymous":{"id":"x"}}}`, `{"where":1}`} {
		add(rbiGET, "/login", q, "", rbiAnon)
		add(rbiGET, "/verifyPassword", q, "", rbiUser)
		add(rbiPOST, "/verifyPassword", q, "", rbiAnon)
	}
	for _, b := range []string{`{"username":1}`, `{"username":"{username}","password":1}`, `{"email":{}}`, `{"authData":1}`, `{"username":"{username}","password":"x","authData":{}}`,
		`{"username":"{username}","password":"` + rbiPassword + `","_method":"GET"}`, `{"email":"{username}@example.com","password":null}`} {
		add(rbiPOST, "/login", "", b, rbiAnon)
		add(rbiPOST, "/verifyPassword", "", b, rbiAnon)
	}
	for _, who := range []uint8{rbiAnon, rbiUser, rbiBadToken, rbiMaster, rbiMasterUser} {
		add(rbiGET, "/users/me", "", "", who)
		add(rbiGET, "/sessions/me", "", "", who)
		add(rbiPOST, "/logout", "", "", who)
		add(rbiPOST, "/logout", "", `{"x":1}`, who)
		add(rbiPOST, "/upgradeToRevocableSession", "", "", who)
		add(rbiDELETE, "/users/{uid}", "", "", who)
		add(rbiGET, "/sessions", "", "", who)
		add(rbiPOST, "/sessions", "", `{}`, who)
		add(rbiDELETE, "/sessions/{sid}", "", "", who)
	}
	addH(rbiPOST, "/upgradeToRevocableSession", "", "", "X-Parse-Session-Token: legacy-token", rbiAnon)
	addH(rbiPOST, "/upgradeToRevocableSession", "", "", "X-Parse-Session-Token: {token}", rbiAnon)
	for _, b := range []string{`{"userId":1}`, `{"userId":"nope"}`, `{"userId":"{uid}"}`, `{}`, `{"userId":{"$ne":1}}`} {
		add(rbiPOST, "/loginAs", "", b, rbiMaster)
		add(rbiPOST, "/loginAs", "", b, rbiAnon)
	}
	add(rbiPOST, "/loginAs", `userId=nope`, "", rbiMaster)
	add(rbiPOST, "/loginAs", `userId={uid}`, "", rbiMaster)
	for _, b := range []string{`{"email":1}`, `{}`, `{"email":"{username}@example.com"}`, `{"email":""}`, `{"email":["a"]}`, `{"email":{"$ne":1}}`, `{"email":"nobody@example.com"}`} {
		add(rbiPOST, "/requestPasswordReset", "", b, rbiAnon)
		add(rbiPOST, "/verificationEmailRequest", "", b, rbiAnon)
	}
	for _, b := range []string{`{"user":1}`, `{"user":{"objectId":1}}`, `{"user":{"objectId":"nope"}}`, `{"user":{"__type":"Pointer","className":"_User","objectId":"{uid}"}}`,
		`{"installationId":1}`, `{"installationId":"x"}`, `{"sessionToken":"x"}`, `{"expiresAt":1}`} {
		add(rbiPOST, "/sessions", "", b, rbiMaster)
		add(rbiPOST, "/sessions", "", b, rbiUser)
	}
	for _, b := range []string{`{"sessionToken":"x"}`, `{"user":1}`, `{"expiresAt":{"__type":"Date","iso":"x"}}`, `{"createdWith":{}}`, `{"foo":{"__op":"Increment"}}`,
		`{"installationId":1}`, `{"restricted":"x"}`, `{"ACL":1}`} {
		add(rbiPUT, "/sessions/{sid}", "", b, rbiUser)
		add(rbiPUT, "/classes/_Session/{sid}", "", b, rbiMaster)
	}
	add(rbiDELETE, "/sessions/nope", "", "", rbiUser)
	add(rbiPOST, "/classes/_Session", "", `{"user":1}`, rbiMaster)

	// Roles.
	for _, b := range []string{`{}`, `{"name":1}`, `{"name":"bad!"}`, `{"name":"R{n}","ACL":1}`, `{"name":"R{n}","ACL":{}}`, `{"name":"R{n}"}`,
		`{"name":"R{n}","ACL":{"*":{"read":true}},"users":{"__op":"AddRelation","objects":[1]}}`,
		`{"name":"R{n}","ACL":{},"roles":{"__op":"AddRelation","objects":[{"__type":"Pointer","className":"_User","objectId":"x"}]}}`,
		`{"name":"R{n}","ACL":{},"users":1}`, `{"name":"R{n}","ACL":{"*":{"read":"x"}}}`, `{"name":"` + strings.Repeat("r", 2000) + `","ACL":{}}`} {
		add(rbiPOST, "/roles", "", b, rbiMaster)
		add(rbiPOST, "/classes/_Role", "", b, rbiUser)
	}
	for _, b := range []string{`{"name":"x"}`, `{"users":{"__op":"AddRelation","objects":"x"}}`, `{"users":{"__op":"AddRelation","objects":[{"__type":"Pointer","className":"_User","objectId":"{uid}"}]}}`,
		`{"roles":{"__op":"AddRelation","objects":[{"__type":"Pointer","className":"_Role","objectId":"{rid}"}]}}`,
		`{"roles":{"__op":"RemoveRelation","objects":[{"__type":"Pointer","className":"_Role","objectId":"{rid}"}]}}`, `{"ACL":1}`, `{"users":1}`, `{"roles":{"__op":"Delete"}}`} {
		add(rbiPUT, "/roles/{rid}", "", b, rbiMaster)
		add(rbiPUT, "/classes/_Role/{rid}", "", b, rbiMaster)
	}
	add(rbiGET, "/roles", `{"where":{"users":{"__type":"Pointer","className":"_User","objectId":"{uid}"}}}`, "", rbiUser)
	add(rbiGET, "/roles", `{"where":{"$relatedTo":{"object":{"__type":"Pointer","className":"_Role","objectId":"{rid}"},"key":"roles"}}}`, "", rbiUser)
	add(rbiDELETE, "/roles/{rid}", "", "", rbiMaster)
	add(rbiDELETE, "/roles/nope", "", "", rbiUser)

	// Installations.
	for _, b := range []string{`{}`, `{"deviceType":1}`, `{"deviceType":"ios","installationId":1}`, `{"deviceType":"ios","deviceToken":{}}`,
		`{"deviceType":"nope","installationId":"x"}`, `{"installationId":"not-a-uuid","deviceType":"android"}`, `{"deviceType":"android","channels":"x"}`,
		`{"deviceType":"android","channels":[1]}`, `{"deviceType":"android","badge":{"__op":"Increment","amount":"x"}}`, `{"deviceType":"ios","badge":"Increment"}`,
		`{"deviceType":"android","timeZone":1}`, `{"deviceType":"android","appIdentifier":{}}`, `{"deviceType":"ios","deviceToken":"t{n}","installationId":"{n}"}`,
		`{"deviceType":"ios","deviceToken":"t1"}`, `{"deviceType":"ios","deviceToken":"t1","installationId":"dup-{n}"}`, `{"deviceType":"android","installationId":{"$ne":1}}`,
		`{"deviceType":"android","user":"x"}`, `{"deviceType":"android","objectId":"x"}`} {
		add(rbiPOST, "/installations", "", b, rbiAnon)
		addH(rbiPOST, "/classes/_Installation", "", b, "X-Parse-Installation-Id: inst-{n}", rbiMaster)
	}
	for _, b := range []string{`{"installationId":"other"}`, `{"deviceType":"x"}`, `{"deviceToken":1}`, `{"deviceType":null}`, `{"installationId":null}`,
		`{"channels":{"__op":"AddUnique","objects":1}}`, `{"badge":{"__op":"Increment","amount":1e400}}`} {
		add(rbiPUT, "/installations/{iid}", "", b, rbiAnon)
		add(rbiPUT, "/classes/_Installation/{iid}", "", b, rbiMaster)
	}
	add(rbiDELETE, "/installations/{iid}", "", "", rbiAnon)
	add(rbiDELETE, "/installations/{iid}", "", "", rbiMaster)
	add(rbiGET, "/installations", "", "", rbiAnon)
	add(rbiGET, "/installations/nope", "", "", rbiAnon)

	// Files.
	for _, name := range []string{"a.txt", "..", ".hidden", "a b.txt", strings.Repeat("f", 300) + ".txt", "x.exe", "x.html", "x.svg", "x", "x.", "$x", "%00", "\x00", "ü.txt", "a.b.c"} {
		addH(rbiPOST, "/files/"+name, "", "hello", "Content-Type: text/plain", rbiAnon)
		add(rbiPOST, "/files/"+name, "", "", rbiUser)
		add(rbiPOST, "/files/"+name+"/upload", "", `{"size":5}`, rbiMaster)
		add(rbiDELETE, "/files/"+name, "", "", rbiMaster)
		add(rbiGET, "/files/testapp/"+name, "", "", rbiAnon)
	}
	for _, b := range []string{`{"_ApplicationId":"testapp","base64":1,"_ContentType":2}`, `{"_ApplicationId":"testapp","base64":"!!!"}`,
		`{"_ApplicationId":"testapp","base64":"data:;base64,aGk=","fileData":1}`, `{"_ApplicationId":"testapp","base64":"aGk=","fileData":{"metadata":1,"tags":[]}}`,
		`{"_ApplicationId":"testapp","base64":"aGk=","metadata":"x","tags":1}`, `{"_ApplicationId":"testapp","base64":"","_ContentType":"text/plain"}`,
		`{"_ApplicationId":"testapp","_MasterKey":"testmaster","base64":"aGk="}`, `{"_ApplicationId":"wrong","base64":"aGk="}`, `{"base64":"aGk="}`, `[1]`, `{`} {
		add(rbiPOST, "/files/b.txt", "", b, rbiNoAppID)
		add(rbiPOST, "/files", "", b, rbiNoAppID)
	}
	for _, b := range []string{`{"size":"x"}`, `{"size":-1}`, `{"size":1e30}`, `{}`, `{"size":5,"contentType":1}`, `{"size":5.5}`, `{"size":9223372036854775807}`} {
		add(rbiPOST, "/files/c.txt/upload", "", b, rbiMaster)
	}
	add(rbiPOST, "/files", "", "hello", rbiAnon)
	add(rbiPOST, "/files/", "", "hello", rbiAnon)
	add(rbiDELETE, "/files/{file}", "", "", rbiMaster)
	add(rbiDELETE, "/files/{file}", "", "", rbiUser)
	add(rbiDELETE, "/files/nope.txt", "", "", rbiMaster)
	for _, p := range []string{"/files/testapp/{file}", "/files/testapp/nope", "/files/other/x", "/files/testapp/metadata/{file}", "/files/testapp/../../etc/passwd",
		"/files/testapp/metadata/x/y", "/files/testapp/..", "/files", "/files/x", "/files/testapp/"} {
		add(rbiGET, p, "", "", rbiNoAppID)
		add(rbiHEAD, p, "", "", rbiAnon)
	}
	addH(rbiGET, "/files/testapp/{file}", "", "", "Range: bytes=10-1", rbiNoAppID)
	addH(rbiGET, "/files/testapp/{file}", "", "", "Range: bytes=-99999999999999999999", rbiNoAppID)
	addH(rbiGET, "/files/testapp/{file}", "", "", "If-None-Match: *\nIf-Modified-Since: garbage", rbiNoAppID)

	// Cloud functions and jobs.
	for _, b := range []string{`{}`, `{"a":{"__type":"Date","iso":1}}`, `{"a":1e400}`, `{"a":{"__type":"Pointer","className":"Fz","objectId":"{id}"}}`,
		`{"a":{"__type":"Object","className":"Fz","objectId":"{id}"}}`, `{"a":{"__type":"Bytes","base64":"!"}}`, `{"a":{"__op":"Delete"}}`, `[]`} {
		add(rbiPOST, "/functions/echo", "", b, rbiUser)
		add(rbiPOST, "/functions/fail", "", b, rbiAnon)
		add(rbiPOST, "/functions/nope", "", b, rbiAnon)
		add(rbiPOST, "/jobs/noop", "", b, rbiMaster)
	}
	for _, q := range []string{`{"x":1e400}`, `{"x":"{"}`, `x=%7B&y`, `{"a":{"__type":"Date","iso":1}}`} {
		add(rbiGET, "/functions/echo", q, "", rbiAnon)
		add(rbiPOST, "/jobs/noop", q, "", rbiMaster)
	}
	for _, b := range []string{`{"jobName":1}`, `{}`, `{"jobName":"noop"}`, `{"jobName":"nope"}`, `{"jobName":""}`} {
		add(rbiPOST, "/jobs", "", b, rbiMaster)
	}
	add(rbiPOST, "/jobs/nope", "", "", rbiMaster)
	add(rbiPOST, "/jobs/noop", "", "", rbiAnon)
	for _, b := range []string{`{"job_schedule":1}`, `{}`, `{"job_schedule":{"jobName":"noop","startAfter":1}}`,
		`{"job_schedule":{"jobName":"noop","repeatMinutes":"x","timeOfDay":5,"daysOfWeek":"x"}}`, `{"job_schedule":{"jobName":"nope"}}`,
		`{"job_schedule":{"jobName":1}}`, `{"job_schedule":{"description":{"__op":"Delete"}}}`, `{"job_schedule":{"jobName":"noop","params":"{"}}`,
		`{"job_schedule":{"jobName":"noop","startAfter":{"__type":"Date","iso":"x"},"timeOfDay":"99:99:99"}}`, `{"job_schedule":{"objectId":"x","ACL":1}}`} {
		add(rbiPOST, "/cloud_code/jobs", "", b, rbiMaster)
		add(rbiPUT, "/cloud_code/jobs/nope", "", b, rbiMaster)
	}
	add(rbiDELETE, "/cloud_code/jobs/nope", "", "", rbiMaster)
	add(rbiGET, "/cloud_code/jobs", "", "", rbiMaster)
	add(rbiGET, "/cloud_code/jobs/data", "", "", rbiMaster)
	add(rbiGET, "/cloud_code/jobs", "", "", rbiUser)

	// Global config.
	add(rbiGET, "/config", "", "", rbiAnon)
	add(rbiGET, "/config", "", "", rbiMaster)
	for _, b := range []string{`{"params":1}`, `{}`, `{"params":{"a":{"__op":"Delete"}}}`, `{"params":{"a.b":1}}`, `{"params":{"$x":1}}`, `{"params":{"a":1},"masterKeyOnly":1}`,
		`{"params":{"a":1},"masterKeyOnly":{"a":"yes"}}`, `{"params":{"":1}}`, `{"params":{"a":{"__type":"Date","iso":1}}}`, `{"params":{"a":1e400}}`,
		`{"params":{"a.$":1}}`, `{"params":{"a":{"$set":1}}}`, `{"params":{"a":1},"masterKeyOnly":{"a.b":true,"$c":true}}`, `{"params":{"_id":1}}`,
		`{"params":{"a":{"__op":"Increment","amount":1}}}`, `{"params":{"a":{"\u0000":1}}}`, `{"params":{"\u0000":1}}`} {
		add(rbiPUT, "/config", "", b, rbiMaster)
		add(rbiPUT, "/config", "", b, rbiUser)
	}

	// Schemas.
	for _, b := range []string{`{"className":1}`, `{"className":"_Nope"}`, `{"className":"Fz"}`, `{"className":"S{n}","fields":1}`, `{"className":"S{n}","fields":{"a":1}}`,
		`{"className":"S{n}","fields":{"a":{"type":"Nope"}}}`, `{"className":"S{n}","fields":{"a":{"type":"Pointer"}}}`,
		`{"className":"S{n}","fields":{"a":{"type":"Pointer","targetClass":1}}}`, `{"className":"S{n}","fields":{"a":{"type":"Pointer","targetClass":"Nope$"}}}`,
		`{"className":"S{n}","fields":{"a.b":{"type":"String"}}}`, `{"className":"S{n}","fields":{"$a":{"type":"String"}}}`,
		`{"className":"S{n}","fields":{"a":{"type":"String","required":"yes","defaultValue":1}}}`, `{"className":"S{n}","fields":{"a":{"type":"Number","defaultValue":"x"}}}`,
		`{"className":"S{n}","fields":{"a":{"type":"Date","defaultValue":{"__type":"Date","iso":1}}}}`, `{"className":"S{n}","fields":{"a":{"type":"Number","defaultValue":1e400}}}`,
		`{"className":"S{n}","fields":{"a":{"type":"Relation","targetClass":"_User","defaultValue":1}}}`, `{"className":"S{n}","fields":{"objectId":{"type":"Number"}}}`,
		`{"className":"S{n}","fields":{"ACL":{"type":"String"}}}`, `{"className":"S{n}","fields":{"a":{"__op":"Delete"}}}`,
		`{"className":"S{n}","indexes":1}`, `{"className":"S{n}","indexes":{"i":1}}`, `{"className":"S{n}","indexes":{"i":{"nope":1}}}`,
		`{"className":"S{n}","fields":{"s":{"type":"String"}},"indexes":{"i":{"s":"text"}}}`, `{"className":"S{n}","fields":{"s":{"type":"String"}},"indexes":{"i":{"s":2}}}`,
		`{"className":"S{n}","fields":{"s":{"type":"String"}},"indexes":{"_id_":{"s":1}}}`, `{"className":"S{n}","fields":{"s":{"type":"String"}},"indexes":{"i":{"s":"2dsphere"}}}`,
		`{"className":"S{n}","fields":{"s":{"type":"String"}},"indexes":{"i":{"s":1,"s":-1}}}`, `{"className":"S{n}","fields":{"s":{"type":"String"}},"indexes":{"i":{}}}`,
		`{"className":"S{n}","fields":{"s":{"type":"String"}},"indexes":{"":{"s":1}}}`, `{"className":"S{n}","fields":{"s":{"type":"String"}},"indexes":{"i":{"s.$":1}}}`,
		`{"className":"S{n}","fields":{"o":{"type":"Object"}},"indexes":{"i":{"o.x":1}}}`, `{"className":"S{n}","fields":{"o":{"type":"Object","defaultValue":{"a.b":1}}}}`,
		`{"className":"S{n}","classLevelPermissions":1}`, `{"className":"S{n}","classLevelPermissions":{"find":{"*":"x"}}}`, `{"className":"` + strings.Repeat("S", 300) + `"}`} {
		add(rbiPOST, "/schemas", "", b, rbiMaster)
		add(rbiPOST, "/schemas/Other", "", b, rbiMaster)
	}
	for _, b := range []string{`{"fields":{"str":{"type":"Number"}}}`, `{"fields":{"nf":{"__op":"Nope"}}}`, `{"fields":1}`, `{"fields":{"nf{n}":{"type":"String"}}}`,
		`{"fields":{"nope":{"__op":"Delete"}}}`, `{"fields":{"objectId":{"__op":"Delete"}}}`, `{"indexes":{"x":{"__op":"Delete"}}}`, `{"indexes":{"x":{"__op":1}}}`,
		`{"indexes":{"i{n}":{"str":1}}}`, `{"indexes":{"i{n}":{"nope":1}}}`, `{"indexes":{"i{n}":{"str":"text","num":"text"}}}`, `{"indexes":{"_id_":{"__op":"Delete"}}}`,
		`{"className":"Other"}`, `{"classLevelPermissions":{"protectedFields":{"*":["str"]}}}`, `{"classLevelPermissions":{"readUserFields":["nope"]}}`,
		`{"fields":{"owner":{"type":"Pointer","targetClass":"Fz"}}}`, `{"fields":{"username":{"__op":"Delete"}}}`, `{"fields":{"email":{"type":"Number"}}}`} {
		add(rbiPUT, "/schemas/Fz", "", b, rbiMaster)
		add(rbiPUT, "/schemas/_User", "", b, rbiMaster)
		add(rbiPUT, "/schemas/Nope", "", b, rbiMaster)
	}
	for _, c := range []string{"Fz", "_User", "Nope", "_Session", "_Hooks", "S1"} {
		add(rbiDELETE, "/schemas/"+c, "", "", rbiMaster)
		add(rbiGET, "/schemas/"+c, "", "", rbiAnon)
	}
	add(rbiGET, "/schemas", "", "", rbiMaster)
	add(rbiPOST, "/schemas", "", `{"className":"S1"}`, rbiUser)
	add(rbiDELETE, "/purge/Fz", "", "", rbiMaster)
	add(rbiDELETE, "/purge/_Session", "", "", rbiMaster)
	add(rbiDELETE, "/purge/Fz", "", "", rbiUser)

	// Aggregate.
	for _, p := range []string{`1`, `"x"`, `"["`, `"[{\"$match\":{}}]"`, `[1]`, `[{}]`, `{}`, `{"$match":{}}`, `[{"$match":1}]`, `[{"$match":{"$or":1}}]`, `[{"$match":{"str":{"$regex":1}}}]`,
		`[{"$match":{"geo":{"$nearSphere":{"__type":"GeoPoint","latitude":1,"longitude":1}}}}]`, `[{"$match":{"_rperm":{"$in":["x"]}}}]`,
		`[{"$group":1}]`, `[{"$group":{}}]`, `[{"$group":{"objectId":1}}]`, `[{"$group":{"_id":"$num","t":{"$sum":"$num"},"u":{"$avg":"$num"}}}]`,
		`[{"$group":{"_id":"$ptr","n":{"$sum":1}}}]`, `[{"$group":{"_id":{"$x":1},"n":{"$nope":1}}}]`, `[{"$group":{"_id":null,"n":"x"}}]`,
		`[{"$project":{"a":1,"b":0}}]`, `[{"$project":{"a":"$str"}}]`, `[{"$project":1}]`, `[{"$project":{}}]`, `[{"$project":{"_id":0,"objectId":0}}]`,
		`[{"$sort":{"objectId":1,"_id":-1}}]`, `[{"$project":{"createdAt":1,"_created_at":1}}]`, `[{"$sort":1}]`, `[{"$sort":{"a":"x"}}]`, `[{"$sort":{}}]`, `[{"$sort":{"a":2}}]`, `[{"$limit":-1}]`, `[{"$limit":"x"}]`, `[{"$limit":1e400}]`, `[{"$limit":0}]`,
		`[{"$limit":1.5}]`, `[{"$skip":-1}]`, `[{"$skip":{}}]`, `[{"$unwind":1}]`, `[{"$unwind":"$nope"}]`, `[{"$unwind":"nope"}]`, `[{"$unwind":{"path":1}}]`,
		`[{"$lookup":{"from":"_User","localField":"x","foreignField":"_id","as":"u"}}]`, `[{"$lookup":1}]`, `[{"$lookup":{"from":1}}]`,
		`[{"$facet":1}]`, `[{"$facet":{"a":[{"$out":"x"}]}}]`, `[{"$bucket":{}}]`, `[{"$bucket":{"groupBy":"$num","boundaries":[1]}}]`, `[{"$geoNear":{}}]`,
		`[{"$geoNear":{"near":1,"distanceField":2}}]`, `[{"$sample":{"size":-1}}]`, `[{"$sample":1}]`, `[{"$count":1}]`, `[{"$count":"$x"}]`, `[{"$count":""}]`,
		`[{"$replaceRoot":{"newRoot":1}}]`, `[{"$replaceRoot":1}]`, `[{"$out":"x"}]`, `[{"$merge":"x"}]`, `[{"$sortByCount":1}]`, `[{"$sortByCount":"$str"}]`,
		`[{"$addFields":{"a":{"$where":"1"}}}]`, `[{"$addFields":1}]`, `[{"$set":{"a":1}}]`, `[{"$unset":1}]`, `[{"$unset":["str"]}]`, `[{"$match":{"a":{"$where":"1"}}}]`,
		`[{"$match":{}},{"$nope":1}]`, `[{"match":{}}]`, `[{"$match":{},"$limit":1}]`, `[{"$match":{"$expr":{"$gt":["$num",0]}}}]`,
		`[{"$project":{"a":{"$function":{"body":"x","args":[],"lang":"js"}}}}]`, `[{"$group":{"_id":null,"a":{"$accumulator":{}}}}]`,
		`[{"$match":` + nested + `}]`, `[{"$addFields":{"a":` + strings.Repeat(`{"$add":[`, 40) + `1` + strings.Repeat(`]}`, 40) + `}}]`} {
		add(rbiGET, "/aggregate/Fz", `{"pipeline":`+p+`}`, "", rbiMaster)
		add(rbiPOST, "/aggregate/Fz", "", `{"_method":"GET","pipeline":`+p+`}`, rbiMaster)
	}
	for _, q := range []string{`{"distinct":1}`, `{"distinct":""}`, `{"distinct":"ptr"}`, `{"distinct":"a.b"}`, `{"distinct":"$str"}`, `{"distinct":"objectId"}`,
		`{"distinct":"str","where":1}`, `{"distinct":"str","where":"{"}`, `{"distinct":"str","where":{"$or":1}}`, `{"distinct":"str","where":{"str":{"$regex":"("}}}`,
		`{"where":{"geo":{"$nearSphere":{"__type":"GeoPoint","latitude":1,"longitude":1}}}}`, `{"where":{"str":{"$text":{"$search":{"$term":"a"}}}}}`,
		`{"hint":1,"explain":true}`, `{"$match":{"str":"a"}}`, `{"$group":{"_id":"$str"}}`, `{"$limit":"x"}`, `{"nope":1}`, `{"readPreference":1}`,
		`{"distinct":"str","pipeline":1}`, `{"pipeline":[{"$match":{}}],"$limit":1}`, `pipeline=%5B&distinct`, `{"distinct":"date"}`, `{"distinct":"createdAt"}`} {
		add(rbiGET, "/aggregate/Fz", q, "", rbiMaster)
		add(rbiGET, "/aggregate/Fz", q, "", rbiUser)
		add(rbiGET, "/aggregate/_User", q, "", rbiMaster)
	}
	add(rbiGET, "/aggregate/Nope", `{"pipeline":[{"$match":{}}]}`, "", rbiMaster)

	// Batch.
	sub := func(method, path, body string) string {
		s := `{"method":` + method + `,"path":` + path
		if body != "" {
			s += `,"body":` + body
		}
		return s + `}`
	}
	batches := []string{
		`{"requests":1}`, `{"requests":[1]}`, `{"requests":{}}`, `{}`, `{"requests":[]}`, `{"requests":null}`,
		`{"requests":[` + sub(`"GET"`, `"/parse/classes/Fz"`, `1`) + `]}`, `{"requests":[` + sub(`1`, `2`, "") + `]}`,
		`{"requests":[` + sub(`"POST"`, `"/parse/batch"`, `{}`) + `]}`, `{"requests":[` + sub(`"PATCH"`, `"/parse/classes/Fz"`, "") + `]}`,
		`{"requests":[` + sub(`"GET"`, `"/classes/Fz"`, "") + `]}`, `{"requests":[` + sub(`"GET"`, `"/parse"`, "") + `]}`, `{"requests":[` + sub(`"GET"`, `"/parse/"`, "") + `]}`,
		`{"requests":[` + sub(`"POST"`, `"/parse/classes/Fz"`, `{"num":{"__op":"Increment","amount":"x"}}`) + `,` + sub(`"POST"`, `"/parse/classes/Fz"`, `{"num":"x"}`) + `]}`,
		`{"requests":[` + sub(`"POST"`, `"/parse/classes/Fz"`, `{"str":"a"}`) + `,` + sub(`"POST"`, `"/parse/classes/Fz"`, `{"str":1}`) + `,` + sub(`"POST"`, `"/parse/classes/Fz"`, `{"objectId":"dup"}`) + `,` + sub(`"POST"`, `"/parse/classes/Fz"`, `{"objectId":"dup"}`) + `]}`,
		`{"requests":[` + sub(`"POST"`, `"/parse/classes/FzN{n}"`, `{"a":1}`) + `,` + sub(`"POST"`, `"/parse/classes/FzN{n}"`, `{"a":"x"}`) + `]}`,
		`{"requests":[` + sub(`"POST"`, `"/parse/classes/Fz"`, `{"a.b":1}`) + `,` + sub(`"POST"`, `"/parse/classes/Fz"`, `{"$x":1}`) + `,` + sub(`"POST"`, `"/parse/classes/Fz"`, `{"ACL":1}`) + `]}`,
		`{"requests":[` + sub(`"POST"`, `"/parse/classes/FzT"`, `{"a":1}`) + `,` + sub(`"POST"`, `"/parse/classes/FzT"`, `{"a":{"__type":"Date","iso":1}}`) + `]}`,
		`{"requests":[` + sub(`"GET"`, `"/parse/classes/Fz"`, `{"where":{"$or":1}}`) + `]}`, `{"requests":[` + sub(`"GET"`, `"/parse/users/me"`, "") + `]}`,
		`{"requests":[` + sub(`"POST"`, `"/parse/logout"`, "") + `]}`, `{"requests":[` + sub(`"POST"`, `"/parse/events/x"`, `{"dimensions":1}`) + `]}`,
		`{"requests":[` + sub(`"GET"`, `"/parse/files/testapp/{file}"`, "") + `]}`, `{"requests":[` + sub(`"POST"`, `"/parse/files/a.txt"`, "") + `]}`,
		`{"requests":[` + sub(`"POST"`, `"/parse/files/a.txt"`, `{"base64":"aGk="}`) + `]}`, `{"requests":[` + sub(`"POST"`, `"/parse/jobs/noop"`, "") + `]}`,
		`{"requests":[` + sub(`"GET"`, `"/parse/login"`, `{"username":"{username}","password":"`+rbiPassword+`"}`) + `]}`,
		`{"requests":[` + sub(`"POST"`, `"/parse/upgradeToRevocableSession"`, "") + `]}`, `{"requests":[` + sub(`"GET"`, `"/parse/health"`, "") + `]}`,
		`{"requests":[` + sub(`"GET"`, `"/parse/serverInfo"`, "") + `]}`, `{"requests":[` + sub(`"PUT"`, `"/parse/config"`, `{"params":1}`) + `]}`,
		`{"requests":[` + sub(`"POST"`, `"/parse/schemas"`, `{"className":1}`) + `]}`, `{"requests":[` + sub(`"GET"`, `"/parse/aggregate/Fz"`, `{"pipeline":1}`) + `]}`,
		`{"requests":[` + sub(`"POST"`, `"/parse/functions/echo"`, `{"a":1e400}`) + `]}`, `{"requests":[` + sub(`"GET"`, `"/parse/functions/echo"`, "") + `]}`,
		`{"requests":[` + sub(`"POST"`, `"/parse/push"`, `{}`) + `]}`, `{"requests":[` + sub(`"GET"`, `"/parse/apps/choose_password"`, "") + `]}`,
		`{"requests":[` + sub(`"POST"`, `"/parse/installations"`, `{"deviceType":1}`) + `]}`, `{"requests":[` + sub(`"POST"`, `"/parse/roles"`, `{"name":1}`) + `]}`,
		`{"requests":[` + sub(`"PUT"`, `"/parse/classes/Fz/{id}"`, `{"rel":{"__op":"AddRelation","objects":[1]}}`) + `]}`,
		`{"requests":[` + sub(`"PUT"`, `"/parse/users/{uid}"`, `{"password":1}`) + `]}`, `{"requests":[` + sub(`"DELETE"`, `"/parse/sessions/{sid}"`, "") + `]}`,
		`{"requests":[` + sub(`"POST"`, `"/parse/sessions"`, `{"user":1}`) + `]}`, `{"requests":[` + sub(`"GET"`, `"/parse/sessions/me"`, "") + `]}`,
		`{"requests":[` + sub(`"POST"`, `"/parse/hooks/functions"`, `{"functionName":1}`) + `]}`, `{"requests":[` + sub(`"POST"`, `"/parse/cloud_code/jobs"`, `{"job_schedule":1}`) + `]}`,
		`{"requests":[` + sub(`"DELETE"`, `"/parse/purge/Nope"`, "") + `]}`, `{"requests":[` + sub(`"POST"`, `"/parse/loginAs"`, `{"userId":1}`) + `]}`,
		`{"requests":[` + sub(`"post"`, `"/parse/classes/Fz"`, `{}`) + `]}`, `{"requests":[` + sub(`"GET"`, `"/parse/classes/Fz/{id}"`, `{"keys":1}`) + `]}`,
		`{"requests":[` + strings.TrimSuffix(strings.Repeat(sub(`"GET"`, `"/parse/health"`, "")+",", 51), ",") + `]}`,
		`{"requests":[` + sub(`"POST"`, `"/parse/classes/Fz"`, `{"_method":"GET"}`) + `],"transaction":true}`, `{"requests":[],"transaction":"x"}`,
	}
	for i, b := range batches {
		add(rbiPOST, "/batch", "", b, []uint8{rbiUser, rbiMaster, rbiAnon}[i%3])
		if i%2 == 0 {
			add(rbiPOST, "/batch", "", b, rbiMaster)
		}
	}
	addH(rbiPOST, "/batch", "", batches[13], "X-Parse-Request-Id: req-{n}", rbiMaster)
	add(rbiGET, "/batch", "", "", rbiMaster)

	// Push, hooks, purge, health, server info, events, pages, and unknown families.
	for _, p := range []string{"/push", "/push_audiences", "/challenge", "/push/x", "/logs", "/graphql", "/scriptlog", "/nope", "/", "", "/apps", "/apps/x/y/z"} {
		add(rbiPOST, p, "", `{"where":{},"data":{"alert":1}}`, rbiMaster)
		add(rbiGET, p, "", "", rbiAnon)
	}
	for _, b := range []string{`{}`, `{"functionName":1,"url":2}`, `{"functionName":"f{n}","url":"notaurl"}`, `{"functionName":"f{n}","url":"http://127.0.0.1:1/x"}`,
		`{"functionName":"echo","url":"http://127.0.0.1:1/x"}`, `{"functionName":"hk","url":"http://127.0.0.1:1/x"}`, `{"className":"Fz","triggerName":"beforeSave","url":"http://127.0.0.1:1/x"}`,
		`{"className":"Fz","triggerName":"nope","url":"http://x"}`, `{"className":1,"triggerName":[],"url":{}}`, `{"className":"bad class","triggerName":"afterSave","url":"http://x"}`,
		`{"className":"_User","triggerName":"beforeLogin","url":"http://x"}`, `{"functionName":"` + strings.Repeat("f", 300) + `","url":"http://x"}`, `{"functionName":"a.b","url":"ftp://x"}`} {
		add(rbiPOST, "/hooks/functions", "", b, rbiMaster)
		add(rbiPOST, "/hooks/triggers", "", b, rbiMaster)
	}
	for _, b := range []string{`{"url":"http://x"}`, `{"__op":"Delete"}`, `{}`, `{"url":1}`, `{"__op":"Nope"}`} {
		add(rbiPUT, "/hooks/functions/hk", "", b, rbiMaster)
		add(rbiPUT, "/hooks/functions/nope", "", b, rbiMaster)
		add(rbiPUT, "/hooks/triggers/Fz/beforeSave", "", b, rbiMaster)
		add(rbiPUT, "/hooks/triggers/Fz/nope", "", b, rbiMaster)
	}
	for _, p := range []string{"/hooks/functions", "/hooks/triggers", "/hooks/functions/hk", "/hooks/functions/nope", "/hooks/triggers/Fz/beforeSave", "/hooks/triggers/Nope/x"} {
		add(rbiGET, p, "", "", rbiMaster)
		add(rbiGET, p, "", "", rbiUser)
	}
	add(rbiPOST, "/functions/hk", "", `{}`, rbiAnon)
	for _, m := range []uint8{rbiGET, rbiHEAD, rbiPOST, rbiDELETE} {
		add(m, "/health", "", "", rbiNoAppID)
		add(m, "/serverInfo", "", "", rbiAnon)
		add(m, "/serverInfo", "", "", rbiMaster)
	}
	for _, name := range []string{"AppOpened", "x", " x", "a\nb", "$x", strings.Repeat("e", 300), "é", "a:b#c-d.e_f"} {
		add(rbiPOST, "/events/"+name, "", `{"dimensions":{"k":"v"}}`, rbiAnon)
	}
	for _, b := range []string{`{"dimensions":1}`, `{"dimensions":{"a":1}}`, `{"dimensions":{"a":{}}}`, `{"at":1}`, `{"at":{"__type":"Date","iso":"x"}}`, `{"at":"x"}`,
		`{"at":"99999-01-01T00:00:00Z"}`, `{"dimensions":{"AppOpened":"x"}}`, `{"dimensions":{"` + strings.Repeat("d", 300) + `":"x"}}`, `{"dimensions":{"d":"` + strings.Repeat("v", 2000) + `"}}`} {
		add(rbiPOST, "/events/AppOpened", "", b, rbiUser)
	}
	for _, p := range []string{"/apps/choose_password", "/apps/testapp/verify_email", "/apps/testapp/request_password_reset", "/apps/other/verify_email", "/apps/invalid_link.html"} {
		add(rbiGET, p, `{"username":"{username}","token":"x"}`, "", rbiNoAppID)
		add(rbiGET, p, `username=%ff&token=%00`, "", rbiNoAppID)
		addH(rbiPOST, p, "", "username={username}&token=x&new_password=y", "Content-Type: application/x-www-form-urlencoded", rbiNoAppID)
		addH(rbiPOST, p, "", "%zz=%", "Content-Type: application/x-www-form-urlencoded", rbiNoAppID)
	}

	// Protocol: headers, keys, bodies.
	for _, h := range []string{"X-Parse-Cloud-Context: {", "X-Parse-Cloud-Context: [1]", "Authorization: Basic !!!", "Authorization: Basic dGVzdGFwcDp3cm9uZw==",
		"Authorization: Basic dGVzdGFwcDp0ZXN0bWFzdGVy", "Authorization: Basic dGVzdGFwcDpqYXZhc2NyaXB0LWtleT14", "X-Parse-Installation-Id: \x00",
		"X-Parse-Client-Version: js9.9.9", "X-Parse-Revocable-Session: 1", "Content-Type: text/plain", "Content-Type: multipart/form-data; boundary=x",
		"X-Parse-Session-Token: r:", "X-Parse-Session-Token: {token}x", "X-Parse-Master-Key: ", "X-Parse-Application-Id: ", "X-Forwarded-For: ,,,",
		"X-Parse-Request-Id: x", "X-Parse-Javascript-Key: x", "X-Parse-REST-API-Key: x"} {
		addH(rbiGET, "/classes/Fz", "", "", h, rbiAnon)
		addH(rbiPOST, "/classes/Fz", "", `{"str":"h"}`, h, rbiAnon)
		addH(rbiPOST, "/functions/echo", "", `{}`, h, rbiUser)
		addH(rbiGET, "/users/me", "", "", h, rbiNoAppID)
	}
	for who := uint8(0); who < rbiCallers; who++ {
		add(rbiGET, "/classes/Fz", "", "", who)
		add(rbiPOST, "/classes/Fz", "", `{"str":"w"}`, who)
		add(rbiGET, "/schemas", "", "", who)
		add(rbiPUT, "/config", "", `{"params":{"a":1}}`, who)
	}
	for _, m := range []uint8{5, 6} { // PATCH, OPTIONS
		add(m, "/classes/Fz", "", `{}`, rbiMaster)
	}
	return s
}

func FuzzRoutesBadInput(f *testing.F) {
	for _, s := range rbiSeeds() {
		f.Add(s.method, s.path, s.query, s.body, s.header, s.who)
	}
	w := newRBIWorld(f)
	f.Fuzz(func(t *testing.T, method uint8, path, query, body, header string, who uint8) {
		w.env.T = t
		defer func() { w.env.T = f }()
		w.seq++
		pairs := []string{"{n}", strconv.Itoa(w.seq)}
		for k, v := range w.vars {
			pairs = append(pairs, "{"+k+"}", v)
		}
		rep := strings.NewReplacer(pairs...)
		m := rbiMethods[int(method)%len(rbiMethods)]
		who %= rbiCallers
		p := rep.Replace(path)
		if !strings.HasPrefix(p, "/") {
			p = "/" + p
		}
		rawQuery := rbiQuery(rep.Replace(query))
		b := rep.Replace(body)
		hdr := rep.Replace(header)

		var rb io.Reader
		if b != "" {
			rb = strings.NewReader(b)
		}
		req := httptest.NewRequest(m, "http://localhost/", rb)
		req.URL.Path = w.env.Config.MountPath + p
		req.URL.RawPath = ""
		req.URL.RawQuery = rawQuery
		req.RequestURI = req.URL.RequestURI()
		if who != rbiNoAppID {
			req.Header.Set("X-Parse-Application-Id", w.env.Config.AppID)
		}
		switch who {
		case rbiMaster, rbiMasterUser:
			req.Header.Set("X-Parse-Master-Key", w.env.Config.MasterKey)
		case rbiBadMaster:
			req.Header.Set("X-Parse-Master-Key", "not-the-master-key")
		}
		switch who {
		case rbiUser, rbiMasterUser:
			req.Header.Set("X-Parse-Session-Token", w.vars["token"])
		case rbiBadToken:
			req.Header.Set("X-Parse-Session-Token", "r:0123456789abcdef")
		}
		if b != "" {
			req.Header.Set("Content-Type", "application/json")
		}
		for _, line := range strings.Split(hdr, "\n") {
			if k, v, ok := strings.Cut(line, ":"); ok && strings.TrimSpace(k) != "" {
				req.Header.Set(strings.TrimSpace(k), strings.TrimSpace(v))
			}
		}
		w.logs.take()
		rec := httptest.NewRecorder()
		w.env.Handler.ServeHTTP(rec, req)
		logs, panics := w.logs.take()

		desc := func() string {
			return fmt.Sprintf("request: %s %s?%s\n  caller: %d (0 anon, 1 master, 2 user, 3 bad token, 4 no app id, 5 bad master, 6 master+user)\n  headers: %q\n  body: %.2000q\n  answer: %d %.2000s\n  log:\n%s",
				m, p, rawQuery, who, hdr, b, rec.Code, rec.Body.Bytes(), logs)
		}
		fail := func(format string, args ...any) {
			t.Helper()
			t.Fatal(fmt.Sprintf(format, args...) + "\n" + desc())
		}
		if panics > 0 {
			fail("the engine panicked")
		}
		if rec.Code >= 500 {
			fail("server error")
		}
		raw := rec.Body.Bytes()
		isJSON := strings.HasPrefix(rec.Header().Get("Content-Type"), "application/json")
		var v any
		if isJSON && len(raw) > 0 {
			if err := json.Unmarshal(raw, &v); err != nil {
				fail("answer says JSON but is not (%v)", err)
			}
		}
		if rec.Code >= 400 {
			if m == "HEAD" && len(raw) == 0 {
				return
			}
			if rec.Code == 404 && (m == "GET" || m == "HEAD") && strings.HasPrefix(p, "/files/") && string(raw) == "File not found." {
				return // Parse Server's FilesRouter answers a missing file so
			}
			if rec.Code == http.StatusRequestedRangeNotSatisfiable && strings.HasPrefix(p, "/files/") && strings.HasPrefix(string(raw), "invalid range") {
				return // net/http's answer to a Range header no byte of the file satisfies
			}
			obj, isObj := v.(map[string]any)
			if !isObj {
				fail("error answer is not a JSON object")
			}
			msg, isStr := obj["error"].(string)
			if !isStr {
				fail("error answer without a string \"error\"")
			}
			code, hasCode := obj["code"]
			if !hasCode {
				if !rbiCodelessOK(rec.Code, msg) {
					fail("error answer without a code")
				}
			} else if n, isNum := code.(float64); !isNum || n != float64(int(n)) || n < 1 {
				fail("error answer with a bad code %v", code)
			}
		}
		if rec.Code == 200 && m == "POST" && strings.Trim(p, "/") == "batch" {
			items, _ := v.([]any)
			for i, it := range items {
				im, _ := it.(map[string]any)
				e, _ := im["error"].(map[string]any)
				if e == nil {
					continue
				}
				if c, _ := e["code"].(float64); c == 1 || c == 0 {
					fail("batch result %d is an internal error %v", i, e)
				}
				if _, ok := e["error"].(string); !ok {
					fail("batch result %d has no error text %v", i, e)
				}
			}
		}
		if m != "GET" && m != "HEAD" && m != "OPTIONS" {
			w.ensure(false, p, b)
			w.logs.take()
		}
	})
}

// rbiCodelessOK tells the error answers Parse Server gives without a code.
func rbiCodelessOK(status int, msg string) bool {
	switch status {
	case 403:
		return msg == "unauthorized" || msg == "unauthorized: master key is required"
	case 404:
		return strings.HasPrefix(msg, "Cannot ")
	case 413:
		return msg == "request entity too large"
	}
	return false
}
