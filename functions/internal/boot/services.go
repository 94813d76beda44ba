package boot

import (
	"context"
	"log/slog"
	"strings"

	"github.com/aws/aws-sdk-go-v2/service/sesv2"

	"github.com/parselambda/parselambda/shared/mail"
)

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
		return &mail.SES{Client: sesv2.NewFromConfig(cfg), ConfigurationSet: env("SES_CONFIGURATION_SET")}, nil
	}
	if dir := env("OUTBOX_DIR"); dir != "" {
		return &mail.Outbox{Dir: dir, Log: log}, nil
	}
	return nil, nil
}
