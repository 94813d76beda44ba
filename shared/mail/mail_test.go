package mail

import (
	"context"
	"encoding/json"
	"os"
	"testing"
)

func TestOutboxWritesFiles(t *testing.T) {
	dir := t.TempDir()
	o := &Outbox{Dir: dir}
	if err := o.Send(context.Background(), Message{To: "a@b.c", Subject: "s", Text: "t"}); err != nil {
		t.Fatal(err)
	}
	ents, _ := os.ReadDir(dir)
	if len(ents) != 1 {
		t.Fatalf("outbox has %d files", len(ents))
	}
	b, _ := os.ReadFile(dir + "/" + ents[0].Name())
	var m Message
	if err := json.Unmarshal(b, &m); err != nil || m.To != "a@b.c" || m.Text != "t" {
		t.Fatalf("outbox file %s: %v", b, err)
	}
}
