package rest_test

import (
	"bytes"
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strings"
	"testing"

	"go.mongodb.org/mongo-driver/v2/bson"

	"github.com/parselambda/parselambda/shared/apptest"
	"github.com/parselambda/parselambda/shared/config"
	"github.com/parselambda/parselambda/shared/files/filestest"
)

var storedNameRE = regexp.MustCompile(`^[0-9a-f]{32}_`)

// rawReq sends a request whose answer may not be JSON (downloads).
func rawReq(env *apptest.Env, method, path string, body []byte, headers map[string]string) *httptest.ResponseRecorder {
	var rd io.Reader
	if body != nil {
		rd = bytes.NewReader(body)
	}
	req := httptest.NewRequest(method, env.Config.MountPath+path, rd)
	for k, v := range headers {
		req.Header.Set(k, v)
	}
	rec := httptest.NewRecorder()
	env.Handler.ServeHTTP(rec, req)
	return rec
}

func upload(t *testing.T, env *apptest.Env, name, contentType string, data []byte, headers map[string]string) *apptest.Resp {
	t.Helper()
	h := map[string]string{"Content-Type": contentType}
	for k, v := range headers {
		h[k] = v
	}
	return env.Do(apptest.Req{Method: "POST", Path: "/files/" + name, Body: data, Headers: h})
}

func anonymousSession(t *testing.T, env *apptest.Env) string {
	t.Helper()
	r := env.Do(apptest.Req{Method: "POST", Path: "/users", Body: obj{"authData": obj{"anonymous": obj{"id": "00000000-0000-4000-8000-000000000001"}}}})
	if r.Status != 201 {
		t.Fatalf("anonymous sign-up: %d %s", r.Status, r.Raw)
	}
	return r.Map()["sessionToken"].(string)
}

func TestFilesUploadDownloadDelete(t *testing.T) {
	env := apptest.New(t, nil)
	master := map[string]string{"X-Parse-Master-Key": env.Config.MasterKey}
	r := upload(t, env, "hello.txt", "text/plain", []byte("hello"), master)
	if r.Status != 201 {
		t.Fatalf("upload: %d %s", r.Status, r.Raw)
	}
	name := r.Map()["name"].(string)
	url := r.Map()["url"].(string)
	if !storedNameRE.MatchString(name) || !strings.HasSuffix(name, "_hello.txt") {
		t.Errorf("name %q", name)
	}
	if url != "http://localhost:1337/parse/files/testapp/"+name || r.Header.Get("Location") != url {
		t.Errorf("url %q, Location %q", url, r.Header.Get("Location"))
	}
	// Downloads need no Parse headers.
	d := rawReq(env, "GET", "/files/testapp/"+name, nil, nil)
	if d.Code != 200 || d.Body.String() != "hello" {
		t.Fatalf("download: %d %q", d.Code, d.Body.String())
	}
	if ct := d.Header().Get("Content-Type"); !strings.HasPrefix(ct, "text/plain") {
		t.Errorf("Content-Type %q", ct)
	}
	if d.Header().Get("Cache-Control") != "public, max-age=86400" || d.Header().Get("ETag") == "" || d.Header().Get("Last-Modified") == "" {
		t.Errorf("caching headers: %v", d.Header())
	}
	etag := d.Header().Get("ETag")
	if c := rawReq(env, "GET", "/files/testapp/"+name, nil, map[string]string{"If-None-Match": etag}); c.Code != 304 {
		t.Errorf("conditional GET: %d", c.Code)
	}
	if c := rawReq(env, "GET", "/files/testapp/"+name, nil, map[string]string{"Range": "bytes=1-3"}); c.Code != 206 || c.Body.String() != "ell" {
		t.Errorf("range: %d %q", c.Code, c.Body.String())
	}
	if c := rawReq(env, "HEAD", "/files/testapp/"+name, nil, nil); c.Code != 200 || c.Body.Len() != 0 || c.Header().Get("Content-Length") != "5" {
		t.Errorf("HEAD: %d %q %v", c.Code, c.Body.String(), c.Header())
	}
	if c := rawReq(env, "GET", "/files/otherapp/"+name, nil, nil); c.Code != 403 || !strings.Contains(c.Body.String(), `"code":119`) {
		t.Errorf("wrong app id: %d %s", c.Code, c.Body.String())
	}
	if c := rawReq(env, "GET", "/files/testapp/missing.txt", nil, nil); c.Code != 404 || c.Body.String() != "File not found." {
		t.Errorf("missing: %d %q", c.Code, c.Body.String())
	}
	if c := rawReq(env, "GET", "/files/testapp/..", nil, nil); c.Code != 404 {
		t.Errorf("dot-dot: %d", c.Code)
	}
	// File fields of objects carry the URL.
	id := env.MustCreate("Doc", obj{"f": obj{"__type": "File", "name": name}})
	g := env.Do(apptest.Req{Path: "/classes/Doc/" + id})
	eq(t, "file field", g.Map()["f"], map[string]any{"__type": "File", "name": name, "url": url})
	// Delete: master only, then gone.
	if x := env.Do(apptest.Req{Method: "DELETE", Path: "/files/" + name}); x.Status != 403 {
		t.Errorf("client delete: %d %s", x.Status, x.Raw)
	}
	if x := env.Do(apptest.Req{Method: "DELETE", Path: "/files/" + name, Master: true}); x.Status != 200 {
		t.Errorf("delete: %d %s", x.Status, x.Raw)
	}
	if x := env.Do(apptest.Req{Method: "DELETE", Path: "/files/" + name, Master: true}); x.Code() != 153 {
		t.Errorf("delete again: %d %s", x.Status, x.Raw)
	}
	if c := rawReq(env, "GET", "/files/testapp/"+name, nil, nil); c.Code != 404 {
		t.Errorf("after delete: %d", c.Code)
	}
}

func TestFilesUploadRules(t *testing.T) {
	png := []byte("\x89PNG fake")
	runScenarios(t, []scenario{
		{name: "public refused by default", req: apptest.Req{Method: "POST", Path: "/files/a.png", Body: png, Headers: map[string]string{"Content-Type": "image/png"}},
			status: 400, code: 130, errIs: "File upload by public is disabled."},
		{name: "public allowed when enabled", mod: func(c *config.Config) { c.FileUploadPublic = true },
			req: apptest.Req{Method: "POST", Path: "/files/a.png", Body: png, Headers: map[string]string{"Content-Type": "image/png"}}, status: 201},
		{name: "authenticated user allowed", setup: func(t *testing.T, env *apptest.Env) map[string]string {
			_, tok := session(t, env, "ann")
			return map[string]string{"tok": tok}
		}, req: apptest.Req{Method: "POST", Path: "/files/a.png", Body: png, Session: "{{tok}}", Headers: map[string]string{"Content-Type": "image/png"}}, status: 201},
		{name: "authenticated user refused when disabled", mod: func(c *config.Config) { c.FileUploadAuthed = false }, setup: func(t *testing.T, env *apptest.Env) map[string]string {
			_, tok := session(t, env, "ann")
			return map[string]string{"tok": tok}
		}, req: apptest.Req{Method: "POST", Path: "/files/a.png", Body: png, Session: "{{tok}}"}, code: 130, errIs: "File upload by authenticated user is disabled."},
		{name: "anonymous user refused", setup: func(t *testing.T, env *apptest.Env) map[string]string {
			return map[string]string{"tok": anonymousSession(t, env)}
		}, req: apptest.Req{Method: "POST", Path: "/files/a.png", Body: png, Session: "{{tok}}"}, code: 130, errIs: "File upload by anonymous user is disabled."},
		{name: "anonymous user allowed when enabled", mod: func(c *config.Config) { c.FileUploadAnonymous = true }, setup: func(t *testing.T, env *apptest.Env) map[string]string {
			return map[string]string{"tok": anonymousSession(t, env)}
		}, req: apptest.Req{Method: "POST", Path: "/files/a.png", Body: png, Session: "{{tok}}"}, status: 201},
		{name: "html blocked", setup: func(t *testing.T, env *apptest.Env) map[string]string {
			_, tok := session(t, env, "ann")
			return map[string]string{"tok": tok}
		}, req: apptest.Req{Method: "POST", Path: "/files/page.html", Body: "<script>", Session: "{{tok}}", Headers: map[string]string{"Content-Type": "text/html"}},
			code: 130, errIs: "File upload of extension html is disabled."},
		{name: "svg by content type blocked", setup: func(t *testing.T, env *apptest.Env) map[string]string {
			_, tok := session(t, env, "ann")
			return map[string]string{"tok": tok}
		}, req: apptest.Req{Method: "POST", Path: "/files/pic", Body: "<svg/>", Session: "{{tok}}", Headers: map[string]string{"Content-Type": "image/svg+xml"}},
			code: 130, errIs: "File upload of extension svg+xml is disabled."},
		{name: "master skips the allow-list", req: apptest.Req{Method: "POST", Path: "/files/page.html", Body: "<p>", Master: true, Headers: map[string]string{"Content-Type": "text/html"}}, status: 201},
		{name: "invalid name", req: apptest.Req{Method: "POST", Path: "/files/b$d.txt", Body: "x", Master: true}, code: 122, errIs: "Filename contains invalid characters."},
		{name: "no name", req: apptest.Req{Method: "POST", Path: "/files", Body: "x", Master: true}, code: 122, errIs: "Filename not provided."},
		{name: "empty file", req: apptest.Req{Method: "POST", Path: "/files/e.txt", Master: true}, code: 130, errIs: "Invalid file upload."},
		{name: "too large", mod: func(c *config.Config) { c.FileMaxBytes = 10 }, req: apptest.Req{Method: "POST", Path: "/files/big.txt", Body: "01234567890", Master: true}, code: 129},
		{name: "extension from the content type", req: apptest.Req{Method: "POST", Path: "/files/noext", Body: png, Master: true, Headers: map[string]string{"Content-Type": "image/png"}},
			status: 201, contains: []string{`_noext.png"`}},
		{name: "a JSON file uploaded raw stays a file", req: apptest.Req{Method: "POST", Path: "/files/data.json", Body: `{"_method":"GET","a":1}`, Master: true},
			status: 201, check: func(t *testing.T, env *apptest.Env, r *apptest.Resp, _ map[string]string) {
				d := rawReq(env, "GET", "/files/testapp/"+r.Map()["name"].(string), nil, nil)
				if d.Body.String() != `{"_method":"GET","a":1}` || d.Header().Get("Content-Type") != "application/json" {
					t.Errorf("content %q type %q", d.Body.String(), d.Header().Get("Content-Type"))
				}
			}},
	})
}

// The JS SDK posts {base64, _ContentType, fileData, _ApplicationId, …} as text/plain without headers.
func TestFilesUploadSDKJSONForm(t *testing.T) {
	env := apptest.New(t, nil)
	_, tok := session(t, env, "ann")
	body, _ := json.Marshal(obj{"_ApplicationId": "testapp", "_SessionToken": tok, "_ClientVersion": "js5.3.0",
		"base64": base64.StdEncoding.EncodeToString([]byte("bytes!")), "_ContentType": "image/png",
		"fileData": obj{"metadata": obj{"a": "b"}, "tags": obj{}}})
	r := env.Do(apptest.Req{Method: "POST", Path: "/files/pic", Body: body, NoAppID: true, Headers: map[string]string{"Content-Type": "text/plain"}})
	if r.Status != 201 {
		t.Fatalf("%d %s", r.Status, r.Raw)
	}
	name := r.Map()["name"].(string)
	if !strings.HasSuffix(name, "_pic.png") {
		t.Errorf("name %q", name)
	}
	d := rawReq(env, "GET", "/files/testapp/"+name, nil, nil)
	if d.Body.String() != "bytes!" || d.Header().Get("Content-Type") != "image/png" {
		t.Errorf("download %q %q", d.Body.String(), d.Header().Get("Content-Type"))
	}
	// Without a session the JSON form is a public upload: refused.
	body, _ = json.Marshal(obj{"_ApplicationId": "testapp", "base64": "eA=="})
	if r := env.Do(apptest.Req{Method: "POST", Path: "/files/x.txt", Body: body, NoAppID: true}); r.Code() != 130 {
		t.Errorf("public JSON form: %d %s", r.Status, r.Raw)
	}
}

func TestFilesS3PresignedUpload(t *testing.T) {
	store, s3URL := filestest.NewS3(t, "files", "testapp/")
	env := apptest.NewWith(t, nil, apptest.WithFiles(store))
	_, tok := session(t, env, "ann")

	// Small files still go through the API, into the bucket.
	r := upload(t, env, "small.txt", "text/plain", []byte("tiny"), map[string]string{"X-Parse-Session-Token": tok})
	if r.Status != 201 {
		t.Fatalf("upload: %d %s", r.Status, r.Raw)
	}
	small := r.Map()["name"].(string)
	if d := rawReq(env, "GET", "/files/testapp/"+small, nil, nil); d.Code != 200 || d.Body.String() != "tiny" || d.Header().Get("ETag") == "" {
		t.Fatalf("proxied download: %d %q", d.Code, d.Body.String())
	}

	data := make([]byte, 8<<20)
	_, _ = rand.Read(data)
	r = env.Do(apptest.Req{Method: "POST", Path: "/files/video.mp4/upload", Session: tok, Body: obj{"contentType": "video/mp4", "size": len(data)}})
	if r.Status != 200 {
		t.Fatalf("presign: %d %s", r.Status, r.Raw)
	}
	name := r.Map()["name"].(string)
	if !storedNameRE.MatchString(name) || !strings.HasSuffix(name, "_video.mp4") || r.Map()["url"] != "http://localhost:1337/parse/files/testapp/"+name {
		t.Fatalf("answer %s", r.Raw)
	}
	up := r.Map()["upload"].(map[string]any)
	if up["method"] != "PUT" || !strings.HasPrefix(up["url"].(string), s3URL+"/files/testapp/"+name+"?") {
		t.Fatalf("upload %v", up)
	}
	req, _ := http.NewRequest("PUT", up["url"].(string), bytes.NewReader(data))
	for k, v := range up["headers"].(map[string]any) {
		req.Header.Set(k, v.(string))
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil || resp.StatusCode != 200 {
		t.Fatalf("PUT to S3: %v %v", err, resp)
	}
	resp.Body.Close()
	// The file is a normal Parse file: an object field, and a download (redirected to S3: too large for Lambda).
	id := env.MustCreate("Clip", obj{"video": obj{"__type": "File", "name": name}})
	if g := env.Do(apptest.Req{Path: "/classes/Clip/" + id}); field(g.Map(), "video.url") != r.Map()["url"] {
		t.Errorf("file field %s", g.Raw)
	}
	d := rawReq(env, "GET", "/files/testapp/"+name, nil, nil)
	if d.Code != 302 || !strings.HasPrefix(d.Header().Get("Location"), s3URL+"/files/testapp/"+name+"?") {
		t.Fatalf("large download: %d %v", d.Code, d.Header())
	}
	resp, err = http.Get(d.Header().Get("Location"))
	if err != nil {
		t.Fatal(err)
	}
	got, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if !bytes.Equal(got, data) {
		t.Fatalf("downloaded %d bytes, want %d", len(got), len(data))
	}
	if x := env.Do(apptest.Req{Method: "DELETE", Path: "/files/" + name, Master: true}); x.Status != 200 {
		t.Fatalf("delete: %d %s", x.Status, x.Raw)
	}
	if d := rawReq(env, "GET", "/files/testapp/"+name, nil, nil); d.Code != 404 {
		t.Errorf("after delete: %d", d.Code)
	}

	// The same checks as an upload.
	for _, c := range []struct {
		name string
		req  apptest.Req
		code int
	}{
		{"public", apptest.Req{Method: "POST", Path: "/files/a.bin/upload", Body: obj{"size": 10}}, 130},
		{"no size", apptest.Req{Method: "POST", Path: "/files/a.bin/upload", Session: tok, Body: obj{}}, 128},
		{"too large", apptest.Req{Method: "POST", Path: "/files/a.bin/upload", Session: tok, Body: obj{"size": int64(6) << 30}}, 129},
		{"html", apptest.Req{Method: "POST", Path: "/files/a.html/upload", Session: tok, Body: obj{"size": 10}}, 130},
		{"bad name", apptest.Req{Method: "POST", Path: "/files/a$b/upload", Session: tok, Body: obj{"size": 10}}, 122},
	} {
		if x := env.Do(c.req); x.Code() != c.code {
			t.Errorf("%s: %d %s, want code %d", c.name, x.Status, x.Raw, c.code)
		}
	}
}

func TestFilesPresignNeedsS3(t *testing.T) {
	env := apptest.New(t, nil)
	if r := env.Do(apptest.Req{Method: "POST", Path: "/files/a.bin/upload", Master: true, Body: obj{"size": 10}}); r.Code() != 108 {
		t.Errorf("%d %s", r.Status, r.Raw)
	}
}

func TestFilesDirectURLs(t *testing.T) {
	store, _ := filestest.NewS3(t, "files", "")
	env := apptest.NewWith(t, func(c *config.Config) {
		c.FilesURLMode = "direct"
		c.FilesBaseURL = "https://cdn.example.com"
	}, apptest.WithFiles(store))
	r := env.Do(apptest.Req{Method: "POST", Path: "/files/a.txt", Body: "x", Master: true})
	name, _ := r.Map()["name"].(string)
	if r.Map()["url"] != "https://cdn.example.com/"+name {
		t.Fatalf("%s", r.Raw)
	}
	id := env.MustCreate("Doc", obj{"f": obj{"__type": "File", "name": name}})
	if g := env.Do(apptest.Req{Path: "/classes/Doc/" + id}); field(g.Map(), "f.url") != "https://cdn.example.com/"+name {
		t.Errorf("%s", g.Raw)
	}
	var doc bson.M
	_ = env.DB.Collection("Doc").FindOne(t.Context(), bson.D{{Key: "_id", Value: id}}).Decode(&doc)
	if doc["f"] != name {
		t.Errorf("stored %v", doc["f"])
	}
}
