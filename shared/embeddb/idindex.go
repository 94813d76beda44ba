package embeddb

// FerretDB 1.24.2's SQLite backend never uses an index for _id lookups: it creates the unique _id
// index on `_ferretdb_sjson->"_id"` (metadata/registry.go, indexesCreate) but filters findOne, update
// and delete with `_ferretdb_sjson->'$._id' = ?` (metadata.IDColumn, used in sqlite/collection.go).
// SQLite uses an expression index only when the expression matches the query's exactly, so every
// lookup by _id parsed the JSON of every row. This file adds, to each collection's table, a plain
// index on exactly the query's expression:
//
//   - in the background from Start, for every table of every database file already in the folder (a
//     restart on old data; DB.Indexed tells when it is done);
//   - afterwards, from a driver CommandMonitor (ClientOptions): FerretDB creates tables lazily, on the
//     first insert, upsert, create or createIndexes of a collection, so once such a command has
//     succeeded the table of its collection is indexed, synchronously, before the driver returns.
//
// The index is invisible to the driver (FerretDB lists indexes from its own metadata, not from SQLite)
// and only speeds up the WHERE clause; results are the same. Any failure is logged at debug level and
// ignored: the query still works, only slower.

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"log/slog"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync"

	"go.mongodb.org/mongo-driver/v2/event"
	"go.mongodb.org/mongo-driver/v2/mongo/options"

	_ "modernc.org/sqlite" // the "sqlite" database/sql driver; FerretDB links it already
)

const (
	// idExpr is FerretDB's metadata.IDColumn: the exact expression of its WHERE clauses.
	idExpr = `_ferretdb_sjson->'$._id'`
	// idIndexPrefix names our index. FerretDB names its own indexes "<table>_<mongo index name>" and
	// prefixes with "_" any table whose name would start with "_ferretdb_", so no name of its can clash.
	idIndexPrefix = "_ferretdb_pl_id_"
	// metadataTable is FerretDB's per-database list of collections (registry.go metadataTableName).
	metadataTable = "_ferretdb_collections"
)

// skipIDIndex turns the index off, for the "before" numbers of BenchmarkFindOneByID.
var skipIDIndex bool

// running maps the URI of each started DB to its indexer, for ClientOptions(uri).
var running sync.Map // string → *idIndexer

// idIndexer creates the _id index in the SQLite files of one embedded FerretDB.
type idIndexer struct {
	dir     string
	log     *slog.Logger
	done    sync.Map // dbName + "\x00" + collection → struct{}: table indexed
	pending sync.Map // RequestID → []string{db, collection}: commands that may create a table
}

// ClientOptions returns the driver options to connect to d: its URI plus the command monitor that
// indexes the tables FerretDB creates. Use it instead of options.Client().ApplyURI(d.URI).
func (d *DB) ClientOptions() *options.ClientOptions {
	return ClientOptions(d.URI)
}

// ClientOptions returns options.Client().ApplyURI(uri), plus the command monitor of the embedded
// database when uri is the URI of one started by this process. Any other URI (a real MongoDB) gets
// the plain options.
func ClientOptions(uri string) *options.ClientOptions {
	o := options.Client().ApplyURI(uri)
	if v, ok := running.Load(uri); ok {
		o.SetMonitor(v.(*idIndexer).monitor())
	}
	return o
}

func newIDIndexer(dir string, log *slog.Logger) *idIndexer {
	return &idIndexer{dir: dir, log: log}
}

// monitor is the driver hook: Started remembers the commands that may create a table, Succeeded
// indexes it (the driver calls Succeeded before returning the result to its caller).
func (x *idIndexer) monitor() *event.CommandMonitor {
	return &event.CommandMonitor{
		Started: func(_ context.Context, e *event.CommandStartedEvent) {
			switch e.CommandName {
			case "insert", "update", "findAndModify", "create", "createIndexes":
				if coll, ok := e.Command.Lookup(e.CommandName).StringValueOK(); ok {
					if _, indexed := x.done.Load(e.DatabaseName + "\x00" + coll); indexed && e.CommandName != "create" {
						return // the usual case: a write to a collection already indexed
					}
					x.pending.Store(e.RequestID, [2]string{e.DatabaseName, coll})
				}
			case "drop":
				if coll, ok := e.Command.Lookup("drop").StringValueOK(); ok {
					x.pending.Store(e.RequestID, [2]string{e.DatabaseName, coll})
				}
			case "dropDatabase":
				x.pending.Store(e.RequestID, [2]string{e.DatabaseName, ""})
			case "renameCollection": // {renameCollection: "db.from", to: "db.to"} on admin
				from, _ := e.Command.Lookup("renameCollection").StringValueOK()
				to, _ := e.Command.Lookup("to").StringValueOK()
				x.pending.Store(e.RequestID, [2]string{from, to})
			}
		},
		Succeeded: func(ctx context.Context, e *event.CommandSucceededEvent) {
			v, ok := x.pending.LoadAndDelete(e.RequestID)
			if !ok {
				return
			}
			p := v.([2]string)
			switch e.CommandName {
			case "drop": // the table and its indexes are gone; a new collection gets a new table
				x.done.Delete(p[0] + "\x00" + p[1])
			case "dropDatabase":
				x.forgetDatabase(p[0])
			case "renameCollection":
				if db, coll, ok := strings.Cut(p[0], "."); ok {
					x.done.Delete(db + "\x00" + coll)
				}
				if db, coll, ok := strings.Cut(p[1], "."); ok {
					x.ensure(ctx, db, coll)
				}
			default:
				x.ensure(ctx, p[0], p[1])
			}
		},
		Failed: func(_ context.Context, e *event.CommandFailedEvent) {
			x.pending.Delete(e.RequestID)
		},
	}
}

func (x *idIndexer) forgetDatabase(db string) {
	x.done.Range(func(k, _ any) bool {
		if strings.HasPrefix(k.(string), db+"\x00") {
			x.done.Delete(k)
		}
		return true
	})
}

// ensure indexes the table of db.coll once; later calls cost a map look-up.
func (x *idIndexer) ensure(ctx context.Context, db, coll string) {
	if skipIDIndex || db == "" || coll == "" {
		return
	}
	key := db + "\x00" + coll
	if _, ok := x.done.Load(key); ok {
		return
	}
	if x.indexDatabase(ctx, db, coll) {
		x.done.Store(key, struct{}{})
	}
}

// indexAll indexes every table of every database file in the folder (in the background after Start).
func (x *idIndexer) indexAll(ctx context.Context) {
	if skipIDIndex {
		return
	}
	files, err := filepath.Glob(filepath.Join(x.dir, "*.sqlite"))
	if err != nil {
		x.log.Debug("embeddb: list database files", "error", err)
		return
	}
	for _, f := range files {
		x.indexDatabase(ctx, strings.TrimSuffix(filepath.Base(f), ".sqlite"), "")
	}
}

// indexDatabase creates the index on the table of collection coll of database db, or on every table
// of db when coll is "". It reports whether the index of coll now exists; failures are logged.
func (x *idIndexer) indexDatabase(ctx context.Context, db, coll string) bool {
	n, found, err := indexTables(ctx, x.dir, db, coll, func(name string) { x.done.Store(db+"\x00"+name, struct{}{}) })
	if err != nil {
		x.log.Debug("embeddb: _id index", "db", db, "collection", coll, "error", err)
	}
	return coll == "" || found && n > 0
}

// IndexFolder gives every table of database db in dir (the folder of a FerretDB 1.24 SQLite run by
// another process, such as the benchmark's shared database) the _id index the embedded database keeps
// itself (above), and answers how many tables have it. Use it only on a database whose tables are not
// being created or dropped meanwhile.
func IndexFolder(ctx context.Context, dir, db string) (int, error) {
	n, _, err := indexTables(ctx, dir, db, "", func(string) {})
	return n, err
}

// indexTables creates the index on the table of collection coll of database db in dir, or on every
// table of db when coll is "", calling indexed with the name of each collection whose table has it.
// It answers how many tables have it and whether coll was found.
func indexTables(ctx context.Context, dir, db, coll string, indexed func(name string)) (n int, found bool, err error) {
	path := filepath.Join(dir, db+".sqlite")
	if _, err := os.Stat(path); err != nil { // never create a file: FerretDB would list a database
		return 0, false, fmt.Errorf("no database file: %w", err)
	}
	// mode=rw: open an existing file only. FerretDB keeps the files in WAL mode (persistent) and waits
	// 10 s on a lock; so do we.
	dsn := (&url.URL{Scheme: "file", Path: path, RawQuery: "mode=rw&_pragma=busy_timeout(10000)"}).String()
	sdb, err := sql.Open("sqlite", dsn)
	if err != nil {
		return 0, false, fmt.Errorf("open database file: %w", err)
	}
	// A pool per call, closed at once: FerretDB deletes the file on dropDatabase, and a connection
	// kept open would go on writing to the deleted file.
	defer sdb.Close()
	sdb.SetMaxOpenConns(1)

	q := fmt.Sprintf("SELECT name, table_name FROM %q", metadataTable)
	var args []any
	if coll != "" {
		q += " WHERE name = ?"
		args = append(args, coll)
	}
	rows, err := sdb.QueryContext(ctx, q, args...)
	if err != nil {
		return 0, false, fmt.Errorf("read collections: %w", err)
	}
	var tables [][2]string
	for rows.Next() {
		var name, table string
		if err := rows.Scan(&name, &table); err != nil {
			rows.Close()
			return 0, false, fmt.Errorf("read collections: %w", err)
		}
		tables = append(tables, [2]string{name, table})
	}
	err = rows.Err()
	rows.Close()
	if err != nil {
		return 0, false, fmt.Errorf("read collections: %w", err)
	}
	var errs []error
	for _, t := range tables {
		if t[0] == coll {
			found = true
		}
		if _, err := sdb.ExecContext(ctx, idIndexSQL(t[1])); err != nil {
			errs = append(errs, fmt.Errorf("collection %s: %w", t[0], err))
			continue
		}
		indexed(t[0])
		n++
	}
	return n, found, errors.Join(errs...)
}

// idIndexSQL is the statement that indexes table on FerretDB's _id expression.
func idIndexSQL(table string) string {
	return fmt.Sprintf("CREATE INDEX IF NOT EXISTS %q ON %q (%s)", idIndexPrefix+table, table, idExpr)
}
