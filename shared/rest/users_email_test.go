package rest_test

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strings"
	"sync"
	"testing"

	"github.com/parselambda/parselambda/shared/apptest"
	"github.com/parselambda/parselambda/shared/config"
	"github.com/parselambda/parselambda/shared/mail"
)

type memMail struct {
	mu   sync.Mutex
	msgs []mail.Message
}

func (m *memMail) Send(_ context.Context, msg mail.Message) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.msgs = append(m.msgs, msg)
	return nil
}

func (m *memMail) last(t *testing.T) mail.Message {
	t.Helper()
	m.mu.Lock()
	defer m.mu.Unlock()
	if len(m.msgs) == 0 {
		t.Fatal("no mail sent")
	}
	return m.msgs[len(m.msgs)-1]
}

var linkRE = regexp.MustCompile(`https?://\S+`)

// browse follows a link the way a browser would, without following redirects.
func browse(t *testing.T, h http.Handler, method, link string, form url.Values) *http.Response {
	t.Helper()
	u, err := url.Parse(link)
	if err != nil {
		t.Fatal(err)
	}
	var body io.Reader
	req := httptest.NewRequest(method, u.RequestURI(), body)
	if form != nil {
		req = httptest.NewRequest(method, u.RequestURI(), strings.NewReader(form.Encode()))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	}
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	return rec.Result()
}

func TestEmailVerificationAndPasswordReset(t *testing.T) {
	mm := &memMail{}
	env := apptest.NewWith(t, func(c *config.Config) {
		c.VerifyUserEmails = true
		c.PreventLoginWithUnverifiedEmail = true
		c.AppName = "Demo App"
	}, apptest.WithMail(mm))

	r := env.Do(apptest.Req{Method: "POST", Path: "/users", Body: map[string]any{"username": "ann", "password": "old-pw", "email": "ann@example.com"}})
	if r.Status != 201 {
		t.Fatalf("sign-up: %d %s", r.Status, r.Raw)
	}
	if _, has := r.Map()["sessionToken"]; has {
		t.Fatal("an unverified user got a session although login with unverified email is prevented")
	}
	r = env.Do(apptest.Req{Method: "GET", Path: "/login?username=ann&password=old-pw"})
	if r.Code() != 205 {
		t.Fatalf("login before verification: want 205, got %d %s", r.Code(), r.Raw)
	}
	msg := mm.last(t)
	if msg.To != "ann@example.com" || !strings.Contains(msg.Subject, "Demo App") {
		t.Fatalf("verification mail: %+v", msg)
	}
	link := linkRE.FindString(msg.Text)
	res := browse(t, env.Handler, "GET", link, nil)
	if res.StatusCode != 302 || !strings.Contains(res.Header.Get("Location"), "verify_email_success.html") {
		t.Fatalf("verify link: %d %s", res.StatusCode, res.Header.Get("Location"))
	}
	// The link works once.
	res = browse(t, env.Handler, "GET", link, nil)
	if !strings.Contains(res.Header.Get("Location"), "invalid_link.html") {
		t.Fatalf("second use of the verify link: %s", res.Header.Get("Location"))
	}
	r = env.Do(apptest.Req{Method: "GET", Path: "/login?username=ann&password=old-pw"})
	if r.Status != 200 || r.Map()["emailVerified"] != true {
		t.Fatalf("login after verification: %d %s", r.Status, r.Raw)
	}
	oldToken := r.Map()["sessionToken"].(string)

	// Already verified: -1.
	r = env.Do(apptest.Req{Method: "POST", Path: "/verificationEmailRequest", Body: map[string]any{"email": "ann@example.com"}})
	if r.Code() != -1 {
		t.Fatalf("verification request for a verified email: %d %s", r.Code(), r.Raw)
	}
	r = env.Do(apptest.Req{Method: "POST", Path: "/verificationEmailRequest", Body: map[string]any{"email": "nobody@example.com"}})
	if r.Code() != 205 {
		t.Fatalf("verification request for an unknown email: %d %s", r.Code(), r.Raw)
	}

	// Password reset through the emailed link and the HTML form.
	r = env.Do(apptest.Req{Method: "POST", Path: "/requestPasswordReset", Body: map[string]any{"email": "ann@example.com"}})
	if r.Status != 200 {
		t.Fatalf("reset request: %d %s", r.Status, r.Raw)
	}
	if r := env.Do(apptest.Req{Method: "POST", Path: "/requestPasswordReset", Body: map[string]any{}}); r.Code() != 204 {
		t.Fatalf("reset without email: %d", r.Code())
	}
	link = linkRE.FindString(mm.last(t).Text)
	res = browse(t, env.Handler, "GET", link, nil)
	loc := res.Header.Get("Location")
	if res.StatusCode != 302 || !strings.Contains(loc, "/apps/choose_password") {
		t.Fatalf("reset link: %d %s", res.StatusCode, loc)
	}
	res = browse(t, env.Handler, "GET", "http://x"+loc, nil)
	page, _ := io.ReadAll(res.Body)
	if res.StatusCode != 200 || !strings.Contains(string(page), "<form") || !strings.Contains(string(page), "Demo App") {
		t.Fatalf("choose_password page: %d %s", res.StatusCode, page)
	}
	action := regexp.MustCompile(`action="([^"]+)"`).FindStringSubmatch(string(page))[1]
	token := regexp.MustCompile(`name="token" value="([^"]+)"`).FindStringSubmatch(string(page))[1]
	res = browse(t, env.Handler, "POST", "http://x"+action, url.Values{"token": {token}, "username": {"ann"}, "new_password": {"new-pw"}})
	if res.StatusCode != 302 || !strings.Contains(res.Header.Get("Location"), "password_reset_success.html") {
		t.Fatalf("reset form: %d %s", res.StatusCode, res.Header.Get("Location"))
	}
	if r := env.Do(apptest.Req{Method: "GET", Path: "/login?username=ann&password=old-pw"}); r.Code() != 101 {
		t.Fatalf("old password still works: %d", r.Code())
	}
	if r := env.Do(apptest.Req{Method: "GET", Path: "/login?username=ann&password=new-pw"}); r.Status != 200 {
		t.Fatalf("new password: %d %s", r.Status, r.Raw)
	}
	// Sessions are revoked on reset (Parse Server's default).
	if r := env.Do(apptest.Req{Path: "/users/me", Session: oldToken}); r.Code() != 209 {
		t.Fatalf("old session after reset: %d", r.Code())
	}
}

func TestEmailFlowsNeedAMailSender(t *testing.T) {
	env := apptest.New(t, nil)
	r := env.Do(apptest.Req{Method: "POST", Path: "/requestPasswordReset", Body: map[string]any{"email": "a@b.c"}})
	if r.Status != 500 || r.Code() != 1 {
		t.Fatalf("want Parse Server's code 1 answer without an email adapter, got %d %s", r.Status, r.Raw)
	}
}
