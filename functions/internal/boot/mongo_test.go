package boot

import (
	"context"
	"net"
	"sync/atomic"
	"testing"
	"time"

	"go.mongodb.org/mongo-driver/v2/mongo"
)

// TestConnectDoesNotBlock verifies what cold start relies on: with driver v2, Connect does no network
// I/O on the caller's goroutine and succeeds even when no server answers. The driver's topology
// monitor does dial the server at once in the background (logged below), so the first request finds
// the server already discovered; pool connections for operations open on demand (minPoolSize 0).
func TestConnectDoesNotBlock(t *testing.T) {
	// A server that accepts TCP connections and never answers.
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	var accepted atomic.Int32
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			accepted.Add(1)
			defer c.Close()
		}
	}()
	start := time.Now()
	c, err := connect(DBSettings{URI: "mongodb://" + ln.Addr().String() + "/", MaxPoolSize: 3})
	took := time.Since(start)
	if err != nil {
		t.Fatalf("Connect: %v", err)
	}
	defer c.Disconnect(context.Background())
	if took > 500*time.Millisecond {
		t.Fatalf("Connect took %v: it should not wait for the server", took)
	}
	time.Sleep(200 * time.Millisecond)
	t.Logf("Connect returned in %v; the background monitor opened %d connection(s) within 200ms", took, accepted.Load())

	// Nothing listening at all: still no error from Connect.
	free, _ := net.Listen("tcp", "127.0.0.1:0")
	addr := free.Addr().String()
	free.Close()
	c2, err := connect(DBSettings{URI: "mongodb://" + addr + "/", MaxPoolSize: 3})
	if err != nil {
		t.Fatalf("Connect to a closed port: %v", err)
	}
	_ = c2.Disconnect(context.Background())
}

// connect is ClientOptions then Connect, as NewContainer does.
func connect(d DBSettings) (*mongo.Client, error) {
	o, err := ClientOptions(d, "test")
	if err != nil {
		return nil, err
	}
	return Connect(o)
}
