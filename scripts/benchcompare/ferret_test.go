package main

import (
	"bytes"
	"context"
	"encoding/binary"
	"fmt"
	"io"
	"net"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo"
	"go.mongodb.org/mongo-driver/v2/mongo/options"
)

// frame is a wire message: its length (header included, int32 little-endian), then payload.
func frame(payload []byte) []byte {
	out := binary.LittleEndian.AppendUint32(nil, uint32(4+len(payload)))
	return append(out, payload...)
}

// readFrame reads one wire message and returns its payload.
func readFrame(r io.Reader) ([]byte, error) {
	var size [4]byte
	if _, err := io.ReadFull(r, size[:]); err != nil {
		return nil, err
	}
	p := make([]byte, binary.LittleEndian.Uint32(size[:])-4)
	_, err := io.ReadFull(r, p)
	return p, err
}

// bigReply is what the stand-in database answers to "big": larger than the proxy's read buffer, so
// that it reaches the proxy in many reads.
var bigReply = bytes.Repeat([]byte("0123456789abcdef"), 16<<10)

// standInDB answers each wire message with its payload upper-cased, and "big" with bigReply written
// in three parts.
func standInDB(t *testing.T) net.Listener {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ln.Close() })
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			go func() {
				defer c.Close()
				for {
					p, err := readFrame(c)
					if err != nil {
						return
					}
					if string(p) != "big" {
						_, _ = c.Write(frame(bytes.ToUpper(p)))
						continue
					}
					f := frame(bigReply)
					third := len(f) / 3
					for _, part := range [][]byte{f[:third], f[third : 2*third], f[2*third:]} {
						if _, err := c.Write(part); err != nil {
							return
						}
					}
				}
			}()
		}
	}()
	return ln
}

// The -db-delay proxy passes both directions through unchanged and holds each of the database's
// messages back once, however many reads it arrives in.
func TestDelayRepliesRelaysAndHoldsBack(t *testing.T) {
	db := standInDB(t)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	f := &ferretProc{uri: "mongodb://" + db.Addr().String() + "/"}
	const delay = 50 * time.Millisecond
	if err := f.delayReplies(ctx, "127.0.0.1", delay); err != nil {
		t.Fatal(err)
	}
	proxy := strings.TrimSuffix(strings.TrimPrefix(f.dbURI("x"), "mongodb://"), "/x")
	if proxy == db.Addr().String() {
		t.Fatalf("dbURI %s still names the database", f.dbURI("x"))
	}
	c, err := net.Dial("tcp", proxy)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	ask := func(msg string) ([]byte, time.Duration) {
		t.Helper()
		start := time.Now()
		if _, err := c.Write(frame([]byte(msg))); err != nil {
			t.Fatal(err)
		}
		got, err := readFrame(c)
		if err != nil {
			t.Fatal(err)
		}
		return got, time.Since(start)
	}
	for _, msg := range []string{"hello", "again"} {
		got, held := ask(msg)
		if string(got) != strings.ToUpper(msg) {
			t.Fatalf("relayed %q, want %q", got, strings.ToUpper(msg))
		}
		if held < delay {
			t.Fatalf("the reply came back after %v, before the %v delay", held, delay)
		}
	}
	// A reply in many reads is held back once: a delay per read would add up to 4 or more.
	got, held := ask("big")
	if !bytes.Equal(got, bigReply) {
		t.Fatalf("the big reply came back with %d bytes, want %d", len(got), len(bigReply))
	}
	if held < delay || held >= 3*delay {
		t.Fatalf("the big reply came back after %v: want one %v delay", held, delay)
	}
	// A client that stops sending still gets the answers on their way.
	if _, err := c.Write(frame([]byte("last"))); err != nil {
		t.Fatal(err)
	}
	if err := c.(*net.TCPConn).CloseWrite(); err != nil {
		t.Fatal(err)
	}
	if got, err := readFrame(c); err != nil || string(got) != "LAST" {
		t.Fatalf("after the client's half-close: %q, %v", got, err)
	}
}

// With -db-id-index, a target's tables on the shared FerretDB child get the _id index once it has
// seeded them: FerretDB's own plan for a find by _id then uses it. Without the flag they have none.
func TestDBIDIndexAfterSeed(t *testing.T) {
	for _, indexed := range []bool{false, true} {
		args := []string{"-smoke", "-no-parse", "-scenarios", scGet, "-concurrency", "1", "-out", filepath.Join(t.TempDir(), "x.json")}
		if indexed {
			args = append(args, "-db-id-index")
		}
		o, err := parseFlags(args)
		if err != nil {
			t.Fatal(err)
		}
		o.log = testWriter{t}
		ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		defer cancel()
		ferret := testFerret(ctx, t)
		rep := newReport(o)
		if err := runRaw(ctx, o, rep, ferret); err != nil {
			t.Fatal(err)
		}
		if len(rep.Results) != 1 || rep.Results[0].Errors > 0 || rep.Results[0].Ops == 0 {
			t.Fatalf("indexed=%v: results %+v", indexed, rep.Results)
		}
		if rep.Settings.DBIDIndex != indexed || strings.Contains(rep.Machine.Database, "-db-id-index") != indexed {
			t.Fatalf("indexed=%v: the report says %v, %q", indexed, rep.Settings.DBIDIndex, rep.Machine.Database)
		}
		c, err := mongo.Connect(options.Client().ApplyURI(ferret.dbURI("bench_raw")))
		if err != nil {
			t.Fatal(err)
		}
		defer c.Disconnect(context.Background())
		var plan bson.M
		err = c.Database("bench_raw").RunCommand(ctx, bson.D{{Key: "explain", Value: bson.D{
			{Key: "find", Value: benchClass}, {Key: "filter", Value: bson.D{{Key: "_id", Value: "x"}}}}}}).Decode(&plan)
		if err != nil {
			t.Fatal(err)
		}
		if got := strings.Contains(fmt.Sprint(plan["queryPlanner"]), "USING INDEX _ferretdb_pl_id_"); got != indexed {
			t.Fatalf("indexed=%v: FerretDB's plan for a find by _id: %v", indexed, plan["queryPlanner"])
		}
	}
}

// testFerret starts the database child for a test; it stops when the test ends.
func testFerret(ctx context.Context, t *testing.T) *ferretProc {
	t.Helper()
	f, err := startFerret(ctx, t.TempDir(), "127.0.0.1")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { f.stop(10 * time.Second) })
	return f
}
