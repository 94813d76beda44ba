package main

import (
	"context"
	"fmt"
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

// dbURI is the connection string of database name on this FerretDB.
func (f *ferretProc) dbURI(name string) string {
	return strings.TrimRight(f.uri, "/") + "/" + name
}
