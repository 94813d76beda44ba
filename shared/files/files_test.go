package files

import (
	"regexp"
	"strings"
	"testing"

	"github.com/parselambda/parselambda/shared/config"
	"github.com/parselambda/parselambda/shared/parse"
)

func code(err error) int {
	if pe, ok := parse.As(err); ok {
		return pe.Code
	}
	return 0
}

func TestValidateName(t *testing.T) {
	for name, want := range map[string]int{
		"a.txt": 0, "_x": 0, "My File @2x~1.png": 0, "": 122, ".hidden": 122, "a/b.txt": 122, "b$d.txt": 122,
		strings.Repeat("a", 128): 0, strings.Repeat("a", 129): 122, "ünï.txt": 122,
	} {
		if got := code(ValidateName(name)); got != want {
			t.Errorf("ValidateName(%q) = %d, want %d", name, got, want)
		}
	}
	for _, bad := range []string{"", ".", "..", "../x", "a/b", `a\b`, ".env"} {
		if SafeStoredName(bad) {
			t.Errorf("SafeStoredName(%q) = true", bad)
		}
	}
	if !SafeStoredName("tfss-0a1b-pic.jpg") {
		t.Error("legacy hosted-Parse names must be readable")
	}
}

func TestStoredName(t *testing.T) {
	hex := regexp.MustCompile(`^[0-9a-f]{32}_`)
	n, ct := StoredName("pic.png", "", false)
	if !hex.MatchString(n) || !strings.HasSuffix(n, "_pic.png") || ct != "image/png" {
		t.Errorf("StoredName(pic.png) = %q, %q", n, ct)
	}
	n, ct = StoredName("noext", "image/png", false)
	if !strings.HasSuffix(n, "_noext.png") || ct != "image/png" {
		t.Errorf("StoredName(noext, image/png) = %q, %q", n, ct)
	}
	n, _ = StoredName("notes", "text/plain; charset=utf-8", true)
	if n != "notes.txt" {
		t.Errorf("preserved name = %q", n)
	}
	n, ct = StoredName("blob", "", true)
	if n != "blob" || ct != "" {
		t.Errorf("no type = %q, %q", n, ct)
	}
}

func TestPolicy(t *testing.T) {
	def := config.Defaults()
	p := Policy{Public: def.FileUploadPublic, Anonymous: def.FileUploadAnonymous, Authenticated: def.FileUploadAuthed, Extensions: def.FileExtensions}
	cases := []struct {
		c    Caller
		want string
	}{
		{Caller{Master: true}, ""},
		{Caller{User: true}, ""},
		{Caller{User: true, Anonymous: true}, "File upload by anonymous user is disabled."},
		{Caller{}, "File upload by public is disabled."},
	}
	for _, c := range cases {
		err := p.CheckCaller(c.c)
		if (err == nil) != (c.want == "") || (err != nil && (code(err) != 130 || err.(*parse.Error).Msg != c.want)) {
			t.Errorf("%+v: %v, want %q", c.c, err, c.want)
		}
	}
	p2 := Policy{Public: true, Authenticated: false}
	if err := p2.CheckCaller(Caller{User: true}); code(err) != 130 || !strings.Contains(err.Error(), "authenticated user") {
		t.Errorf("authenticated disabled: %v", err)
	}
	if err := p2.CheckCaller(Caller{}); err != nil {
		t.Errorf("public enabled: %v", err)
	}

	user := Caller{User: true}
	for _, c := range []struct {
		name, ct string
		ok       bool
	}{
		{"a.png", "", true}, {"a.PNG", "", true}, {"page.html", "", false}, {"page.HTM", "text/html", false},
		{"x.svg", "", false}, {"feed.xml", "", false}, {"noext", "text/html", false}, {"noext", "image/svg+xml", false},
		{"noext", "image/png", true}, {"noext", "", true}, {"archive.tar.gz", "", true},
	} {
		err := p.CheckExtension(user, c.name, c.ct)
		if (err == nil) != c.ok {
			t.Errorf("CheckExtension(%q, %q) = %v, want ok=%v", c.name, c.ct, err, c.ok)
		}
		if err != nil && code(err) != 130 {
			t.Errorf("code %d", code(err))
		}
	}
	if err := p.CheckExtension(Caller{Master: true}, "page.html", ""); err != nil {
		t.Errorf("master skips the allow-list: %v", err)
	}
	only := Policy{Extensions: []string{"^(jpe?g|png)$"}}
	if only.CheckExtension(user, "a.jpeg", "") != nil || only.CheckExtension(user, "a.gif", "") == nil {
		t.Error("regex allow-list")
	}
	if err := only.CheckExtension(user, "a.gif", ""); err.(*parse.Error).Msg != "File upload of extension gif is disabled." {
		t.Errorf("message: %v", err)
	}
	if code(CheckSize(11, 10)) != 129 || CheckSize(10, 10) != nil {
		t.Error("CheckSize")
	}
}

func TestTypes(t *testing.T) {
	for name, want := range map[string]string{"a.png": "image/png", "a.JPG": "image/jpeg", "a.txt": "text/plain", "a": ""} {
		if got := TypeFor(name); got != want {
			t.Errorf("TypeFor(%q) = %q, want %q", name, got, want)
		}
	}
	for ct, want := range map[string]string{"image/jpeg": "jpeg", "text/plain": "txt", "application/pdf": "pdf", "bogus": ""} {
		if got := ExtensionFor(ct); got != want {
			t.Errorf("ExtensionFor(%q) = %q, want %q", ct, got, want)
		}
	}
}
