// Package embeddb runs FerretDB 1.24.2 with its SQLite backend inside the process: a real MongoDB
// wire-protocol endpoint for the local server and the tests. Lambda functions never import it.
package embeddb

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net"
	"os"
	"path/filepath"
	"time"

	"github.com/FerretDB/FerretDB/ferretdb"
)

// DB is a running embedded FerretDB.
type DB struct {
	URI     string
	idx     *idIndexer // _id index on each collection's table (idindex.go)
	cancel  context.CancelFunc
	done    chan struct{}
	indexed chan struct{} // closed when the tables found at Start are indexed
}

// Options configure Start.
type Options struct {
	Dir    string       // folder of the SQLite files (created if missing)
	Addr   string       // loopback TCP address; default 127.0.0.1:0
	Logger *slog.Logger // FerretDB's own log; default discards
}

// Start launches FerretDB and waits until it accepts connections.
func Start(opts Options) (*DB, error) {
	if opts.Addr == "" {
		opts.Addr = "127.0.0.1:0"
	}
	host, _, err := net.SplitHostPort(opts.Addr)
	if err != nil {
		return nil, fmt.Errorf("embedded database address %q: %w", opts.Addr, err)
	}
	if ip := net.ParseIP(host); host != "localhost" && (ip == nil || !ip.IsLoopback()) {
		return nil, fmt.Errorf("embedded database must listen on loopback, not %q", opts.Addr)
	}
	dir, err := filepath.Abs(opts.Dir)
	if err != nil {
		return nil, err
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, err
	}
	logger := opts.Logger
	if logger == nil {
		logger = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	idx := newIDIndexer(dir, logger)
	f, err := ferretdb.New(&ferretdb.Config{
		Listener:  ferretdb.ListenerConfig{TCP: opts.Addr},
		Handler:   "sqlite",
		SQLiteURL: "file:" + dir + "/",
		Logger:    logger,
	})
	if err != nil {
		return nil, fmt.Errorf("start embedded FerretDB: %w", err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	db := &DB{idx: idx, cancel: cancel, done: make(chan struct{}), indexed: make(chan struct{})}
	go func() {
		defer close(db.done)
		f.Run(ctx)
	}()
	db.URI = f.MongoDBURI()
	u := db.URI
	// Wait for the listener: MongoDBURI is known once Run has bound it.
	deadline := time.Now().Add(10 * time.Second)
	for {
		if addr := hostOf(u); addr != "" {
			if c, err := net.DialTimeout("tcp", addr, 200*time.Millisecond); err == nil {
				c.Close()
				break
			}
		}
		if time.Now().After(deadline) {
			cancel()
			return nil, fmt.Errorf("embedded FerretDB did not start listening")
		}
		time.Sleep(2 * time.Millisecond)
		u = f.MongoDBURI()
		db.URI = u
	}
	running.Store(db.URI, idx)
	// The tables of an existing folder get their _id index in the background: the database answers
	// at once (a cold start does not wait for it), and only more slowly until then.
	go func() {
		defer close(db.indexed)
		idx.indexAll(ctx)
	}()
	return db, nil
}

// Indexed is closed once the tables found at Start have their _id index (idindex.go).
func (d *DB) Indexed() <-chan struct{} { return d.indexed }

func hostOf(uri string) string {
	// mongodb://127.0.0.1:PORT/
	const p = "mongodb://"
	if len(uri) <= len(p) {
		return ""
	}
	rest := uri[len(p):]
	for i := 0; i < len(rest); i++ {
		if rest[i] == '/' || rest[i] == '?' {
			rest = rest[:i]
			break
		}
	}
	if _, port, err := net.SplitHostPort(rest); err != nil || port == "0" {
		return ""
	}
	return rest
}

// Close stops FerretDB and waits for it.
func (d *DB) Close() {
	running.CompareAndDelete(d.URI, d.idx)
	d.cancel()
	<-d.indexed
	<-d.done
}
