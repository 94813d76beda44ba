// Package ses sends the app's emails through Amazon SES (API v2). It is its own package so that
// what does not send through SES (the local server, `make run`) does not link the SES SDK.
package ses

import (
	"context"
	"fmt"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sesv2"
	"github.com/aws/aws-sdk-go-v2/service/sesv2/types"

	"github.com/parselambda/parselambda/shared/mail"
)

// Sender sends through Amazon SES (API v2).
type Sender struct {
	Client *sesv2.Client
	// ConfigurationSet is optional.
	ConfigurationSet string
}

var _ mail.Sender = (*Sender)(nil)

// Send sends m as a simple text email.
func (s *Sender) Send(ctx context.Context, m mail.Message) error {
	in := &sesv2.SendEmailInput{
		FromEmailAddress: aws.String(m.From),
		Destination:      &types.Destination{ToAddresses: []string{m.To}},
		Content: &types.EmailContent{Simple: &types.Message{
			Subject: &types.Content{Data: aws.String(m.Subject), Charset: aws.String("UTF-8")},
			Body:    &types.Body{Text: &types.Content{Data: aws.String(m.Text), Charset: aws.String("UTF-8")}},
		}},
	}
	if s.ConfigurationSet != "" {
		in.ConfigurationSetName = aws.String(s.ConfigurationSet)
	}
	_, err := s.Client.SendEmail(ctx, in)
	if err != nil {
		return fmt.Errorf("ses send: %w", err)
	}
	return nil
}
