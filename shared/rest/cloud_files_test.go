package rest_test

import (
	"context"
	"errors"
	"strings"
	"sync"
	"testing"

	"github.com/parselambda/parselambda/shared/cloud"
)

// beforeSaveFile may rename, change or refuse an upload; afterSaveFile learns the stored file.
func TestCloudFileTriggers(t *testing.T) {
	t.Parallel()
	var mu sync.Mutex
	var saved []cloud.File
	env := cloudEnv(t, func(r *cloud.Registry) {
		r.BeforeSaveFile(func(ctx context.Context, req *cloud.FileRequest) error {
			if strings.HasSuffix(req.File.Name, ".exe") {
				return errors.New("no executables")
			}
			if req.User == nil {
				return cloud.Error(cloud.OperationForbidden, "log in to upload")
			}
			req.File.Name = "renamed-" + req.File.Name
			req.File.Data = []byte(strings.ToUpper(string(req.File.Data)))
			return nil
		})
		r.AfterSaveFile(func(ctx context.Context, req *cloud.FileRequest) error {
			mu.Lock()
			saved = append(saved, *req.File)
			mu.Unlock()
			return nil
		})
	})
	_, tok := session(t, env, "ann")
	auth := map[string]string{"X-Parse-Session-Token": tok}
	if r := upload(t, env, "virus.exe", "application/octet-stream", []byte("x"), auth); r.Code() != 141 || r.Map()["error"] != "no executables" {
		t.Errorf("refused upload: %d %s", r.Status, r.Raw)
	}
	r := upload(t, env, "note.txt", "text/plain", []byte("hello"), auth)
	if r.Status != 201 {
		t.Fatalf("upload: %d %s", r.Status, r.Raw)
	}
	name := r.Map()["name"].(string)
	if !strings.HasSuffix(name, "_renamed-note.txt") {
		t.Errorf("stored name %q", name)
	}
	if d := rawReq(env, "GET", "/files/testapp/"+name, nil, nil); d.Code != 200 || d.Body.String() != "HELLO" {
		t.Errorf("download %d %q", d.Code, d.Body.String())
	}
	mu.Lock()
	defer mu.Unlock()
	if len(saved) != 1 || saved[0].Name != name || saved[0].Size != 5 || !strings.Contains(saved[0].URL, name) {
		t.Errorf("afterSaveFile saw %+v", saved)
	}
}
