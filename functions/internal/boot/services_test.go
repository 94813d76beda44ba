package boot

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"

	"github.com/parselambda/parselambda/shared/mail"
)

func TestMailer(t *testing.T) {
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
		case *mail.SES:
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
	// EMAIL_FROM (the CDK app's name) is the engine's MAIL_FROM.
	s, err := Load(context.Background(), envOf(map[string]string{"MASTER_KEY": "k", "MONGODB_URI": "mongodb://h", "EMAIL_FROM": "noreply@example.com"}), nil, nil)
	if err != nil || s.Config.MailFrom != "noreply@example.com" {
		t.Errorf("MailFrom %q, %v", s.Config.MailFrom, err)
	}
}
