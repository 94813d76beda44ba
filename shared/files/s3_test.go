package files_test

import (
	"bytes"
	"context"
	"crypto/rand"
	"errors"
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/parselambda/parselambda/shared/config"
	. "github.com/parselambda/parselambda/shared/files"
	"github.com/parselambda/parselambda/shared/files/filestest"
)

func newFakeS3(t testing.TB, bucket, prefix string) (*S3Store, string) {
	return filestest.NewS3(t, bucket, prefix)
}

func TestS3Store(t *testing.T) {
	s, _ := newFakeS3(t, "files", "app1/")
	filestest.Contract(t, s)
}

func TestS3PresignedLargeUploadAndDownload(t *testing.T) {
	s, srvURL := newFakeS3(t, "files", "app1/")
	ctx := context.Background()
	data := make([]byte, 8<<20)
	_, _ = rand.Read(data)
	up, err := s.PresignPut(ctx, "abc_big.bin", "application/octet-stream", int64(len(data)), 15*time.Minute)
	if err != nil {
		t.Fatal(err)
	}
	if up.Method != "PUT" || !strings.HasPrefix(up.URL, srvURL+"/files/app1/abc_big.bin?") {
		t.Fatalf("presigned: %+v", up)
	}
	u, _ := url.Parse(up.URL)
	q := u.Query()
	for k := range q {
		if strings.HasPrefix(strings.ToLower(k), "x-amz-checksum") || strings.EqualFold(k, "x-amz-sdk-checksum-algorithm") {
			t.Errorf("presigned URL carries a checksum parameter %s: clients could not upload", k)
		}
	}
	if q.Get("X-Amz-Expires") != "900" || !strings.Contains(q.Get("X-Amz-SignedHeaders"), "host") {
		t.Errorf("query: %v", q)
	}
	if up.Header["Content-Type"] != "application/octet-stream" || up.Header["Content-Length"] != "8388608" {
		t.Errorf("headers: %v", up.Header)
	}
	// A plain HTTP client uploads with only the listed headers.
	req, _ := http.NewRequest(up.Method, up.URL, bytes.NewReader(data))
	for k, v := range up.Header {
		req.Header.Set(k, v)
	}
	req.ContentLength = int64(len(data))
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 {
		t.Fatalf("presigned PUT: %d %s", resp.StatusCode, body)
	}
	o, err := s.Get(ctx, "abc_big.bin")
	if err != nil {
		t.Fatal(err)
	}
	got, _ := io.ReadAll(o.Body)
	o.Body.Close()
	if !bytes.Equal(got, data) || o.Size != int64(len(data)) {
		t.Fatalf("stored %d bytes (size %d), want %d", len(got), o.Size, len(data))
	}
	// Presigned download.
	gu, err := s.PresignGet(ctx, "abc_big.bin", time.Minute)
	if err != nil {
		t.Fatal(err)
	}
	resp, err = http.Get(gu)
	if err != nil {
		t.Fatal(err)
	}
	got, _ = io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 || !bytes.Equal(got, data) {
		t.Fatalf("presigned GET: %d, %d bytes", resp.StatusCode, len(got))
	}
	if err := s.Delete(ctx, "abc_big.bin"); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Get(ctx, "abc_big.bin"); err != ErrNotFound {
		t.Fatalf("after delete: %v", err)
	}
}

func TestURLFunc(t *testing.T) {
	s, srvURL := newFakeS3(t, "files", "p/")
	cfg := config.Defaults()
	if URLFunc(cfg, s) != nil {
		t.Error("proxy mode keeps the API URL")
	}
	cfg.FilesURLMode = "direct"
	if got := URLFunc(cfg, s)("a b.png"); got != srvURL+"/files/p/a%20b.png" {
		t.Errorf("direct bucket URL = %q", got)
	}
	cfg.FilesBaseURL = "https://cdn.example.com/f/"
	if got := URLFunc(cfg, s)("a.png"); got != "https://cdn.example.com/f/a.png" {
		t.Errorf("direct base URL = %q", got)
	}
	cfg.FilesURLMode = "presigned"
	if got := URLFunc(cfg, s)("a.png"); !strings.HasPrefix(got, srvURL+"/files/p/a.png?") || !strings.Contains(got, "X-Amz-Signature=") {
		t.Errorf("presigned URL = %q", got)
	}
	dir, _ := NewDirStore(t.TempDir())
	if URLFunc(cfg, dir) != nil {
		t.Error("a folder cannot presign: proxy")
	}
	virt := NewS3Store(s3.New(s3.Options{Region: "eu-west-1"}), "bkt", "")
	if got := virt.ObjectURL("x.png"); got != "https://bkt.s3.eu-west-1.amazonaws.com/x.png" {
		t.Errorf("virtual-hosted URL = %q", got)
	}
}

func TestDirStore(t *testing.T) {
	s, err := NewDirStore(t.TempDir() + "/files")
	if err != nil {
		t.Fatal(err)
	}
	filestest.Contract(t, s)
	if _, err := s.Get(context.Background(), "../etc/passwd"); !errors.Is(err, ErrNotFound) {
		t.Errorf("path escape: %v", err)
	}
}
