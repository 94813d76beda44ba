// Package mail sends the app's emails (verification, password reset): Amazon SES in AWS (package
// shared/mail/ses), a local outbox folder for `make run`.
package mail

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"sync/atomic"
	"time"
)

// Message is one email.
type Message struct {
	To      string `json:"to"`
	From    string `json:"from"`
	Subject string `json:"subject"`
	Text    string `json:"text"`
}

// Sender delivers messages.
type Sender interface {
	Send(ctx context.Context, m Message) error
}

// Outbox writes each message as a JSON file in Dir and logs it, so a developer can open the link.
type Outbox struct {
	Dir string
	Log *slog.Logger
	seq atomic.Int64
}

var _ Sender = (*Outbox)(nil)

// Send writes the message.
func (o *Outbox) Send(ctx context.Context, m Message) error {
	if err := os.MkdirAll(o.Dir, 0o755); err != nil {
		return err
	}
	b, err := json.MarshalIndent(m, "", "  ")
	if err != nil {
		return err
	}
	name := filepath.Join(o.Dir, fmt.Sprintf("%s-%03d.json", time.Now().UTC().Format("20060102T150405.000"), o.seq.Add(1)))
	if err := os.WriteFile(name, b, 0o644); err != nil {
		return err
	}
	if o.Log != nil {
		o.Log.InfoContext(ctx, "mail written to the outbox", "file", name, "to", m.To, "subject", m.Subject, "text", m.Text)
	}
	return nil
}
