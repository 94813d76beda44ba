package boot

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"path/filepath"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"

	"github.com/parselambda/parselambda/shared/config"
	"github.com/parselambda/parselambda/shared/files"
	"github.com/parselambda/parselambda/shared/mail"
	"github.com/parselambda/parselambda/shared/mail/ses"
)

func TestServices(t *testing.T) {
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	loads := 0
	awsCfg := func(context.Context) (aws.Config, error) {
		loads++
		return aws.Config{Region: "us-east-1"}, nil
	}
	for _, tc := range []struct {
		env  map[string]string
		want string
	}{
		{map[string]string{}, "none"},
		{map[string]string{"OUTBOX_DIR": t.TempDir()}, "outbox"},
		{map[string]string{"EMAIL_FROM": "noreply@example.com"}, "ses"},
		{map[string]string{"MAIL_FROM": "noreply@example.com", "OUTBOX_DIR": "/tmp/x"}, "ses"},
	} {
		m, err := Mailer(context.Background(), envOf(tc.env), awsCfg, log)
		if err != nil {
			t.Fatal(err)
		}
		got := "none"
		switch m.(type) {
		case *ses.Sender:
			got = "ses"
		case *mail.Outbox:
			got = "outbox"
		}
		if got != tc.want {
			t.Errorf("%v: got %s, want %s", tc.env, got, tc.want)
		}
	}
	if loads != 2 {
		t.Errorf("AWS configuration loaded %d times, want only for the 2 SES cases", loads)
	}
	failing := func(context.Context) (aws.Config, error) { return aws.Config{}, errors.New("no region") }
	if _, err := Mailer(context.Background(), envOf(map[string]string{"EMAIL_FROM": "a@b.c"}), failing, log); err == nil {
		t.Error("an AWS configuration error was swallowed")
	}
	// The file store: FILES_DIR for local runs, FILES_BUCKET (S3) as deployed, else none.
	cfg := config.Defaults()
	svc, err := NewServices(context.Background(), envOf(map[string]string{"FILES_DIR": t.TempDir()}), cfg, awsCfg, log)
	if _, ok := svc.Files.(*files.DirStore); err != nil || !ok {
		t.Errorf("FILES_DIR: %T %v", svc.Files, err)
	}
	cfg.FilesBucket = "parselambda-dev-files"
	t.Setenv("AWS_REGION", "us-east-1")
	t.Setenv("AWS_CONFIG_FILE", filepath.Join(t.TempDir(), "none"))
	t.Setenv("AWS_SHARED_CREDENTIALS_FILE", filepath.Join(t.TempDir(), "none"))
	svc, err = NewServices(context.Background(), envOf(nil), cfg, awsCfg, log)
	if _, ok := svc.Files.(*files.S3Store); err != nil || !ok {
		t.Errorf("FILES_BUCKET: %T %v", svc.Files, err)
	}
	if svc, err = NewServices(context.Background(), envOf(nil), config.Defaults(), awsCfg, log); err != nil || svc.Files != nil || svc.Mail != nil {
		t.Errorf("nothing configured: %+v %v", svc, err)
	}

	// EMAIL_FROM (the CDK app's name) is the engine's MAIL_FROM.
	s, err := Load(context.Background(), envOf(map[string]string{"MASTER_KEY": "k", "MONGODB_URI": "mongodb://h", "EMAIL_FROM": "noreply@example.com"}), nil, nil)
	if err != nil || s.Config.MailFrom != "noreply@example.com" {
		t.Errorf("MailFrom %q, %v", s.Config.MailFrom, err)
	}
}
