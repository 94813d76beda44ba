package main

import (
	"bytes"
	"context"
	"io"
	"net"
	"strings"
	"testing"
	"time"
)

// The -db-delay proxy passes both directions through unchanged and holds the server's side back.
func TestDelayRepliesRelaysAndHoldsBack(t *testing.T) {
	// A stand-in database that answers each read with its bytes upper-cased.
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			go func() {
				defer c.Close()
				buf := make([]byte, 1024)
				for {
					n, err := c.Read(buf)
					if n > 0 {
						_, _ = c.Write(bytes.ToUpper(buf[:n]))
					}
					if err != nil {
						return
					}
				}
			}()
		}
	}()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	f := &ferretProc{uri: "mongodb://" + ln.Addr().String() + "/"}
	const delay = 40 * time.Millisecond
	if err := f.delayReplies(ctx, "127.0.0.1", delay); err != nil {
		t.Fatal(err)
	}
	proxy := strings.TrimSuffix(strings.TrimPrefix(f.dbURI("x"), "mongodb://"), "/x")
	if proxy == ln.Addr().String() {
		t.Fatalf("dbURI %s still names the database", f.dbURI("x"))
	}
	c, err := net.Dial("tcp", proxy)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	for _, msg := range []string{"hello", "again"} {
		start := time.Now()
		if _, err := c.Write([]byte(msg)); err != nil {
			t.Fatal(err)
		}
		got := make([]byte, len(msg))
		if _, err := io.ReadFull(c, got); err != nil {
			t.Fatal(err)
		}
		if string(got) != strings.ToUpper(msg) {
			t.Fatalf("relayed %q, want %q", got, strings.ToUpper(msg))
		}
		if held := time.Since(start); held < delay {
			t.Fatalf("the reply came back after %v, before the %v delay", held, delay)
		}
	}
}
