package apptest

import (
	"context"
	"sync"

	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/event"
)

// Insert is one insert command a client sent.
type Insert struct {
	// ByCommand: the engine built the command and sent it with RunCommand (dbwrite.Inserter), which
	// sends it as built (insert, documents, …); the driver's own InsertOne/InsertMany put the documents
	// in a separate section, after ordered.
	ByCommand bool
	// WriteConcern is the command's writeConcern field (nil: none).
	WriteConcern bson.Raw
}

// Inserts records the insert commands of a client, by collection: pass Monitor() to
// options.ClientOptions.SetMonitor.
type Inserts struct {
	mu   sync.Mutex
	seen map[string][]Insert
}

// Monitor is the command monitor that records.
func (r *Inserts) Monitor() *event.CommandMonitor {
	return &event.CommandMonitor{Started: func(_ context.Context, e *event.CommandStartedEvent) {
		if e.CommandName != "insert" {
			return
		}
		coll, _ := e.Command.Lookup("insert").StringValueOK()
		keys, _ := e.Command.Elements()
		wc, _ := e.Command.Lookup("writeConcern").DocumentOK()
		r.mu.Lock()
		defer r.mu.Unlock()
		if r.seen == nil {
			r.seen = map[string][]Insert{}
		}
		r.seen[coll] = append(r.seen[coll], Insert{ByCommand: len(keys) > 1 && keys[1].Key() == "documents", WriteConcern: wc})
	}}
}

// Of returns the inserts into coll so far.
func (r *Inserts) Of(coll string) []Insert {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]Insert(nil), r.seen[coll]...)
}
