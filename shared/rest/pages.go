package rest

import (
	"context"
	"embed"
	"html/template"
	"io"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"

	"github.com/parselambda/parselambda/shared/parse"
)

//go:embed pages/*
var builtinPages embed.FS

var pageNames = []string{"verify_email_success.html", "invalid_link.html", "password_reset_success.html", "choose_password.html"}

// loadPages parses the built-in page templates, each replaced by a file of the same name in dir.
func loadPages(dir string) (map[string]*template.Template, error) {
	layout, err := builtinPages.ReadFile("pages/layout.tmpl")
	if err != nil {
		return nil, err
	}
	out := map[string]*template.Template{}
	for _, name := range pageNames {
		src, err := builtinPages.ReadFile("pages/" + name)
		if err != nil {
			return nil, err
		}
		if dir != "" {
			if b, err := os.ReadFile(filepath.Join(dir, name)); err == nil {
				src = b
			}
		}
		t, err := template.New(name).Parse(string(layout))
		if err == nil {
			t, err = t.Parse(string(src))
		}
		if err != nil {
			return nil, err
		}
		out[name] = t
	}
	return out, nil
}

type pageData struct {
	AppName, Username, Token, Error, Action string
}

// servePages answers the public pages under /apps/: email verification and password reset links.
// They are reached from a browser, so they take no Parse headers.
func (a *App) servePages(ctx context.Context, w http.ResponseWriter, r *http.Request, p string) {
	segs := strings.Split(strings.Trim(p, "/"), "/") // apps, ...
	base := a.cfg.MountPath + "/apps/"
	redirect := func(page string, q url.Values) {
		u := base + page
		if len(q) > 0 {
			u += "?" + q.Encode()
		}
		http.Redirect(w, r, u, http.StatusFound)
	}
	q := r.URL.Query()
	if len(segs) == 2 {
		name := segs[1]
		if name == "choose_password" {
			name = "choose_password.html"
		}
		if _, ok := a.pages[name]; ok {
			d := pageData{AppName: a.cfg.AppName, Username: q.Get("username"), Token: q.Get("token"), Error: q.Get("error")}
			d.Action = base + url.PathEscape(a.cfg.AppID) + "/request_password_reset"
			a.renderPage(ctx, w, name, d)
			return
		}
	}
	if len(segs) == 3 && segs[1] == a.cfg.AppID {
		switch {
		case segs[2] == "verify_email" && r.Method == http.MethodGet:
			okV, err := a.users.VerifyEmail(ctx, q.Get("username"), q.Get("token"))
			if err != nil {
				a.writeErr(ctx, w, err)
				return
			}
			if !okV {
				redirect("invalid_link.html", nil)
				return
			}
			redirect("verify_email_success.html", url.Values{"username": {q.Get("username")}})
			return
		case segs[2] == "request_password_reset" && r.Method == http.MethodGet:
			u, err := a.users.CheckResetToken(ctx, q.Get("username"), q.Get("token"))
			if err != nil {
				a.writeErr(ctx, w, err)
				return
			}
			if u == nil {
				redirect("invalid_link.html", nil)
				return
			}
			redirect("choose_password", url.Values{"token": {q.Get("token")}, "username": {q.Get("username")}, "id": {a.cfg.AppID}})
			return
		case segs[2] == "request_password_reset" && r.Method == http.MethodPost:
			if err := r.ParseForm(); err != nil {
				redirect("invalid_link.html", nil)
				return
			}
			username, token, pw := r.PostForm.Get("username"), r.PostForm.Get("token"), r.PostForm.Get("new_password")
			if err := a.users.ResetPassword(ctx, username, token, pw); err != nil {
				if pe, isParse := parse.As(err); isParse && pe.Code != parse.InternalServerError {
					redirect("choose_password", url.Values{"token": {token}, "username": {username}, "id": {a.cfg.AppID}, "error": {pe.Msg}})
					return
				}
				a.writeErr(ctx, w, err)
				return
			}
			redirect("password_reset_success.html", url.Values{"username": {username}})
			return
		}
	}
	a.writeErr(ctx, w, &parse.HTTPError{Status: 404, Msg: "Cannot " + r.Method + " " + r.URL.Path})
}

func (a *App) renderPage(ctx context.Context, w http.ResponseWriter, name string, d pageData) {
	var sb strings.Builder
	if err := a.pages[name].Execute(&sb, d); err != nil {
		a.writeErr(ctx, w, err)
		return
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.WriteHeader(200)
	_, _ = io.WriteString(w, sb.String())
}

func (a *App) emailRoutes() []route {
	return []route{
		r("POST", "/verificationEmailRequest", a.verificationEmailRequest),
		r("POST", "/requestPasswordReset", a.requestPasswordReset),
	}
}

func (a *App) verificationEmailRequest(ctx context.Context, req *Request) (*Response, error) {
	email, _ := a.bodyOrEmpty(req)["email"].(string)
	if err := a.users.RequestVerificationEmail(ctx, email); err != nil {
		return nil, err
	}
	return reply(map[string]any{})
}

func (a *App) requestPasswordReset(ctx context.Context, req *Request) (*Response, error) {
	email, _ := a.bodyOrEmpty(req)["email"].(string)
	if err := a.users.RequestPasswordReset(ctx, email); err != nil {
		return nil, err
	}
	return reply(map[string]any{})
}
