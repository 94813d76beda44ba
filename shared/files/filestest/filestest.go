// Package filestest serves an in-memory S3 (gofakes3) on loopback for tests: a real S3 protocol
// server that the AWS SDK client talks to over HTTP. Only tests import it.
package filestest

import (
	"bytes"
	"context"
	"errors"
	"io"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/johannesboyne/gofakes3"
	"github.com/johannesboyne/gofakes3/backend/s3mem"

	"github.com/parselambda/parselambda/shared/files"
)

// NewS3 starts the server with one bucket and returns a store on it (keys under prefix) and the
// server's URL. Both stop when the test ends.
func NewS3(tb testing.TB, bucket, prefix string) (*files.S3Store, string) {
	tb.Helper()
	backend := s3mem.New()
	if err := backend.CreateBucket(bucket); err != nil {
		tb.Fatal(err)
	}
	srv := httptest.NewServer(gofakes3.New(backend).Server())
	tb.Cleanup(srv.Close)
	client := s3.New(s3.Options{
		Region:       "us-east-1",
		BaseEndpoint: aws.String(srv.URL),
		UsePathStyle: true,
		Credentials:  credentials.NewStaticCredentialsProvider("AKIDTEST", "secret", ""),
	})
	return files.NewS3Store(client, bucket, prefix), srv.URL
}

// Contract checks what every files.Store must do.
func Contract(t *testing.T, s files.Store) {
	ctx := context.Background()
	data := bytes.Repeat([]byte("parse"), 1000)
	if err := s.Put(ctx, "abc_hello.txt", bytes.NewReader(data), int64(len(data)), "text/plain"); err != nil {
		t.Fatal(err)
	}
	o, err := s.Get(ctx, "abc_hello.txt")
	if err != nil {
		t.Fatal(err)
	}
	got, _ := io.ReadAll(o.Body)
	o.Body.Close()
	if !bytes.Equal(got, data) || o.Size != int64(len(data)) || o.ContentType != "text/plain" {
		t.Errorf("get: %d bytes, size %d, type %q", len(got), o.Size, o.ContentType)
	}
	// A reader that is not seekable works too.
	if err := s.Put(ctx, "abc_hello.txt", io.MultiReader(strings.NewReader("new")), 3, "text/plain"); err != nil {
		t.Fatal(err)
	}
	o, err = s.Get(ctx, "abc_hello.txt")
	if err != nil {
		t.Fatal(err)
	}
	got, _ = io.ReadAll(o.Body)
	o.Body.Close()
	if string(got) != "new" {
		t.Errorf("replaced content = %q", got)
	}
	if _, err := s.Get(ctx, "missing.txt"); !errors.Is(err, files.ErrNotFound) {
		t.Errorf("get missing: %v", err)
	}
	if err := s.Delete(ctx, "abc_hello.txt"); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Get(ctx, "abc_hello.txt"); !errors.Is(err, files.ErrNotFound) {
		t.Errorf("get deleted: %v", err)
	}
	if err := s.Delete(ctx, "abc_hello.txt"); !errors.Is(err, files.ErrNotFound) {
		t.Errorf("delete missing: %v", err)
	}
}
