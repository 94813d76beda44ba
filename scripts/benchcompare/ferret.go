package main

import (
	"bufio"
	"context"
	"encoding/binary"
	"fmt"
	"io"
	"net"
	"net/url"
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
	dir string // its SQLite folder
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
	return &ferretProc{proc: p, uri: u, dir: dir}, nil
}

// delayReplies puts a proxy on host in front of the database and points dbURI at it (-db-delay): it
// passes what a client sends straight on, and holds each message of the database's back d before
// passing it on whole. It sleeps while it holds, so the wait costs neither side CPU: a server's CPU per
// request can be measured as a function of how long it waits for the database. The proxy stops
// accepting connections when ctx ends; each relay ends when either side closes.
func (f *ferretProc) delayReplies(ctx context.Context, host string, d time.Duration) error {
	u, err := url.Parse(f.uri)
	if err != nil || u.Host == "" {
		return fmt.Errorf("-db-delay: database URI %q: %v", f.uri, err)
	}
	ln, err := net.Listen("tcp", net.JoinHostPort(host, "0"))
	if err != nil {
		return err
	}
	go func() { <-ctx.Done(); ln.Close() }()
	go func() {
		defer ln.Close()
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			go relayDelayed(c, u.Host, d)
		}
	}()
	f.uri = "mongodb://" + ln.Addr().String() + "/"
	return nil
}

// maxWireMessage bounds a message of the MongoDB wire protocol the proxy accepts (the servers' own
// limit is 48 MB).
const maxWireMessage = 64 << 20

// relayDelayed connects client c to the database at upstream. What the client sends goes on as it
// comes; what the database sends is cut into wire messages (each starts with its length, an int32
// little-endian, header included), and each goes on whole, d after it has fully arrived.
func relayDelayed(c net.Conn, upstream string, d time.Duration) {
	defer c.Close()
	u, err := net.Dial("tcp", upstream)
	if err != nil {
		return
	}
	defer u.Close()
	go func() {
		_, _ = io.Copy(u, c)
		// The client is done sending: pass that on, and keep relaying the answers still coming.
		if tc, ok := u.(*net.TCPConn); ok {
			_ = tc.CloseWrite()
		} else {
			u.Close()
		}
	}()
	r := bufio.NewReaderSize(u, 64<<10)
	var msg []byte
	for {
		var size [4]byte
		if _, err := io.ReadFull(r, size[:]); err != nil {
			return
		}
		n := int(binary.LittleEndian.Uint32(size[:]))
		if n < len(size) || n > maxWireMessage {
			return
		}
		if cap(msg) < n {
			msg = make([]byte, n)
		}
		msg = msg[:n]
		copy(msg, size[:])
		if _, err := io.ReadFull(r, msg[len(size):]); err != nil {
			return
		}
		time.Sleep(d)
		if _, err := c.Write(msg); err != nil {
			return
		}
	}
}

// dbURI is the connection string of database name on this FerretDB.
func (f *ferretProc) dbURI(name string) string {
	return strings.TrimRight(f.uri, "/") + "/" + name
}
