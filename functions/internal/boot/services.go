package boot

import (
	"context"
	"log/slog"
	"strings"

	"github.com/aws/aws-sdk-go-v2/service/sesv2"

	"github.com/parselambda/parselambda/shared/config"
	"github.com/parselambda/parselambda/shared/files"
	"github.com/parselambda/parselambda/shared/mail"
	"github.com/parselambda/parselambda/shared/mail/ses"
)

// Services are the engine's outside services, built once per container without network I/O.
type Services struct {
	Mail    mail.Sender         // nil: verification and password-reset mail are off
	Files   files.Store         // nil: uploads answer 130
	FileURL func(string) string // nil: the config's default (proxy URLs)
}

// NewServices builds the mail sender (Mailer) and the file store: the S3 bucket FILES_BUCKET (as the
// CDK app sets it; region and credentials from the Lambda environment), else the folder FILES_DIR
// (local runs), else none.
func NewServices(ctx context.Context, getenv func(string) string, cfg config.Config, awsCfg AWSConfigFunc, log *slog.Logger) (Services, error) {
	var s Services
	var err error
	if s.Mail, err = Mailer(ctx, getenv, awsCfg, log); err != nil {
		return Services{}, err
	}
	dir := strings.TrimSpace(getenv("FILES_DIR"))
	if cfg.FilesBucket != "" || dir != "" {
		if s.Files, err = files.Open(ctx, cfg, dir); err != nil {
			return Services{}, err
		}
		s.FileURL = files.URLFunc(cfg, s.Files)
	}
	return s, nil
}

// Mailer picks the engine's mail sender (verification and password-reset emails): Amazon SES when a
// sender address is configured (EMAIL_FROM, as the CDK app sets it, or MAIL_FROM), else a local outbox
// folder when OUTBOX_DIR is set, else none (those flows are off). The SES client is built from awsCfg
// without any network I/O.
func Mailer(ctx context.Context, getenv func(string) string, awsCfg AWSConfigFunc, log *slog.Logger) (mail.Sender, error) {
	env := func(k string) string { return strings.TrimSpace(getenv(k)) }
	if env("EMAIL_FROM") != "" || env("MAIL_FROM") != "" {
		cfg, err := awsCfg(ctx)
		if err != nil {
			return nil, err
		}
		return &ses.Sender{Client: sesv2.NewFromConfig(cfg), ConfigurationSet: env("SES_CONFIGURATION_SET")}, nil
	}
	if dir := env("OUTBOX_DIR"); dir != "" {
		return &mail.Outbox{Dir: dir, Log: log}, nil
	}
	return nil, nil
}

func mailName(m mail.Sender) string {
	switch m.(type) {
	case nil:
		return "off"
	case *ses.Sender:
		return "ses"
	case *mail.Outbox:
		return "outbox"
	}
	return "custom"
}

func filesName(s files.Store) string {
	switch s.(type) {
	case nil:
		return "off"
	case *files.S3Store:
		return "s3"
	case *files.DirStore:
		return "dir"
	}
	return "custom"
}
