package main

import (
	"context"
	"fmt"
	"io"
	"net"
	"os"
	"os/signal"
	"strings"
	"syscall"
	"time"

	"github.com/parselambda/parselambda/shared/embeddb"
)

// The shared database runs in a child process of this program's own binary (so that its CPU is counted
// apart from the servers'): the binary re-executes itself with childEnv=childFerret. The floor server
// (floor.go) is a child the same way, with childEnv=childFloor.
const (
	childEnv    = "BENCHCOMPARE_CHILD"
	childFerret = "ferret"
	ferretDir   = "BENCHCOMPARE_FERRET_DIR"
	ferretAddr  = "BENCHCOMPARE_FERRET_ADDR"
)

// runChildIfAsked runs the child role named in the environment and reports whether it did.
func runChildIfAsked() bool {
	var err error
	switch role := os.Getenv(childEnv); role {
	case childFerret:
		err = ferretChild()
	case childFloor:
		err = floorChild()
	default:
		return false
	}
	if err != nil {
		fmt.Fprintf(os.Stderr, "benchcompare %s: %v\n", os.Getenv(childEnv), err)
		os.Exit(1)
	}
	return true
}

// ferretChild runs FerretDB 1.24.2 (SQLite) until SIGTERM/SIGINT, and prints "ready <uri>" once it listens.
func ferretChild() error {
	addr := os.Getenv(ferretAddr)
	if addr == "" {
		addr = "127.0.0.1:0"
	}
	db, err := embeddb.Start(embeddb.Options{Dir: os.Getenv(ferretDir), Addr: addr})
	if err != nil {
		return err
	}
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM, syscall.SIGINT)
	defer stop()
	fmt.Printf("ready %s\n", db.URI)
	<-ctx.Done()
	db.Close()
	return nil
}

// ferretProc is the shared FerretDB child process.
type ferretProc struct {
	*proc
	uri string // mongodb://127.0.0.1:PORT/
}

// startFerret starts the database child in dir, on host.
func startFerret(ctx context.Context, dir, host string) (*ferretProc, error) {
	if err := checkLoopback(host); err != nil {
		return nil, err
	}
	p, u, err := startSelfChild(ctx, "FerretDB", []string{childEnv + "=" + childFerret, ferretDir + "=" + dir, ferretAddr + "=" + host + ":0"}, 60*time.Second)
	if err != nil {
		return nil, err
	}
	if err := checkLoopbackURL(u); err != nil {
		p.stop(3 * time.Second)
		return nil, err
	}
	return &ferretProc{proc: p, uri: u}, nil
}

// delayReplies puts a proxy on host in front of the database and points dbURI at it: it passes what a
// client sends straight on, and holds each read of the database's answer back d before passing it
// on (-db-delay). It sleeps while it holds, so the wait costs neither side CPU: a server's CPU per
// request can be measured as a function of how long it waits for the database. It stops with ctx.
func (f *ferretProc) delayReplies(ctx context.Context, host string, d time.Duration) error {
	ln, err := net.Listen("tcp", net.JoinHostPort(host, "0"))
	if err != nil {
		return err
	}
	upstream := strings.TrimSuffix(strings.TrimPrefix(f.uri, "mongodb://"), "/")
	go func() { <-ctx.Done(); ln.Close() }()
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			go relayDelayed(c, upstream, d)
		}
	}()
	f.uri = "mongodb://" + ln.Addr().String() + "/"
	return nil
}

// relayDelayed connects client c to the database at upstream, delaying the database's side by d.
func relayDelayed(c net.Conn, upstream string, d time.Duration) {
	defer c.Close()
	u, err := net.Dial("tcp", upstream)
	if err != nil {
		return
	}
	defer u.Close()
	go func() {
		_, _ = io.Copy(u, c)
		u.Close()
	}()
	buf := make([]byte, 256<<10)
	for {
		n, err := u.Read(buf)
		if n > 0 {
			time.Sleep(d)
			if _, werr := c.Write(buf[:n]); werr != nil {
				return
			}
		}
		if err != nil {
			return
		}
	}
}

// dbURI is the connection string of database name on this FerretDB.
func (f *ferretProc) dbURI(name string) string {
	return strings.TrimRight(f.uri, "/") + "/" + name
}
