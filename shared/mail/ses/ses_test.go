package ses

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/sesv2"

	"github.com/parselambda/parselambda/shared/mail"
)

// fakeSES speaks the SES v2 HTTP API: POST /v2/email/outbound-emails with a JSON body.
type fakeSES struct {
	mu   sync.Mutex
	got  []map[string]any
	auth []string
}

func (f *fakeSES) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodPost || r.URL.Path != "/v2/email/outbound-emails" {
		http.Error(w, `{"message":"unknown operation"}`, 404)
		return
	}
	b, _ := io.ReadAll(r.Body)
	var m map[string]any
	if err := json.Unmarshal(b, &m); err != nil {
		http.Error(w, `{"message":"bad json"}`, 400)
		return
	}
	f.mu.Lock()
	f.got = append(f.got, m)
	f.auth = append(f.auth, r.Header.Get("Authorization"))
	f.mu.Unlock()
	w.Header().Set("Content-Type", "application/json")
	_, _ = w.Write([]byte(`{"MessageId":"fake-1"}`))
}

func TestSESSendsOverTheWire(t *testing.T) {
	f := &fakeSES{}
	srv := httptest.NewServer(f)
	defer srv.Close()
	client := sesv2.New(sesv2.Options{Region: "us-east-1", BaseEndpoint: aws.String(srv.URL),
		Credentials: credentials.NewStaticCredentialsProvider("AKID", "SECRET", "")})
	s := &Sender{Client: client}
	err := s.Send(context.Background(), mail.Message{To: "bob@example.com", From: "app@example.com", Subject: "Hi", Text: "link: https://x/y"})
	if err != nil {
		t.Fatal(err)
	}
	if len(f.got) != 1 {
		t.Fatalf("SES got %d requests", len(f.got))
	}
	m := f.got[0]
	if m["FromEmailAddress"] != "app@example.com" {
		t.Errorf("from = %v", m["FromEmailAddress"])
	}
	to := m["Destination"].(map[string]any)["ToAddresses"].([]any)
	if len(to) != 1 || to[0] != "bob@example.com" {
		t.Errorf("to = %v", to)
	}
	simple := m["Content"].(map[string]any)["Simple"].(map[string]any)
	if simple["Subject"].(map[string]any)["Data"] != "Hi" || !strings.Contains(simple["Body"].(map[string]any)["Text"].(map[string]any)["Data"].(string), "https://x/y") {
		t.Errorf("content = %v", simple)
	}
	if !strings.HasPrefix(f.auth[0], "AWS4-HMAC-SHA256") {
		t.Errorf("request not signed: %q", f.auth[0])
	}
}
