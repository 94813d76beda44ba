package embeddb

import (
	"context"
	"database/sql"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo"
	"go.mongodb.org/mongo-driver/v2/mongo/options"
)

// ferretQuery is the statement FerretDB 1.24.2 issues for a find by _id (sqlite/collection.go Query:
// prepareSelectClause + " WHERE " + metadata.IDColumn + " = ?").
const ferretQuery = `SELECT _ferretdb_sjson FROM %q WHERE _ferretdb_sjson->'$._id' = ?`

func connect(t testing.TB, o *options.ClientOptions) *mongo.Client {
	t.Helper()
	c, err := mongo.Connect(o)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = c.Disconnect(context.Background()) })
	return c
}

// sqlitePlan reads, from the database file, the table of db.coll and the plan SQLite makes for
// FerretDB's _id query on it.
func sqlitePlan(t *testing.T, dir, db, coll string) (table, plan string) {
	t.Helper()
	sdb, err := sql.Open("sqlite", "file:"+filepath.Join(dir, db+".sqlite")+"?mode=ro&_pragma=busy_timeout(10000)")
	if err != nil {
		t.Fatal(err)
	}
	defer sdb.Close()
	if err := sdb.QueryRow(`SELECT table_name FROM "_ferretdb_collections" WHERE name = ?`, coll).Scan(&table); err != nil {
		t.Fatalf("table of %s.%s: %v", db, coll, err)
	}
	rows, err := sdb.Query("EXPLAIN QUERY PLAN "+fmt.Sprintf(ferretQuery, table), `"x"`)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var details []string
	for rows.Next() {
		var id, parent, notused int
		var detail string
		if err := rows.Scan(&id, &parent, &notused, &detail); err != nil {
			t.Fatal(err)
		}
		details = append(details, detail)
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	return table, strings.Join(details, "; ")
}

// ferretPlan asks FerretDB itself to explain a find by _id: it runs EXPLAIN QUERY PLAN on the very
// statement it would execute, so this checks the expression text against the real one.
func ferretPlan(t *testing.T, c *mongo.Client, db, coll string) string {
	t.Helper()
	// A real find by _id first: SQLite re-prepares a statement whose schema changed when it runs it,
	// but EXPLAIN does not run the statement, so a pooled connection that has not read the schema since
	// the index appeared would explain with the old schema.
	if err := c.Database(db).Collection(coll).FindOne(context.Background(), bson.M{"_id": "x"}).Err(); err != nil && err != mongo.ErrNoDocuments {
		t.Fatal(err)
	}
	var res bson.M
	err := c.Database(db).RunCommand(context.Background(), bson.D{
		{Key: "explain", Value: bson.D{{Key: "find", Value: coll}, {Key: "filter", Value: bson.D{{Key: "_id", Value: "x"}}}}},
	}).Decode(&res)
	if err != nil {
		t.Fatal(err)
	}
	return fmt.Sprint(res["queryPlanner"])
}

func assertIndexed(t *testing.T, dir string, c *mongo.Client, db, coll string) {
	t.Helper()
	table, plan := sqlitePlan(t, dir, db, coll)
	want := "USING INDEX " + idIndexPrefix + table
	if !strings.Contains(plan, want) {
		t.Fatalf("%s.%s: plan %q lacks %q", db, coll, plan, want)
	}
	if fp := ferretPlan(t, c, db, coll); !strings.Contains(fp, want) {
		t.Fatalf("%s.%s: FerretDB explain %q lacks %q", db, coll, fp, want)
	}
}

func TestIDIndex(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	db, err := Start(Options{Dir: dir})
	if err != nil {
		t.Fatal(err)
	}
	c := connect(t, db.ClientOptions())

	// Control: a client without the monitor creates a table that FerretDB scans.
	plain := connect(t, options.Client().ApplyURI(db.URI))
	if _, err := plain.Database("app").Collection("plain").InsertOne(ctx, bson.M{"_id": "a"}); err != nil {
		t.Fatal(err)
	}
	if _, plan := sqlitePlan(t, dir, "app", "plain"); !strings.HasPrefix(plan, "SCAN") || strings.Contains(plan, "INDEX") {
		t.Fatalf("control table: plan %q, want a full scan", plan)
	}

	// A new collection, created lazily by its first insert, is indexed before InsertMany returns.
	things := c.Database("app").Collection("things")
	if _, err := things.InsertMany(ctx, []any{bson.M{"_id": "a", "n": 1}, bson.M{"_id": "b", "n": 2}}); err != nil {
		t.Fatal(err)
	}
	assertIndexed(t, dir, c, "app", "things")
	// The same for upserts, findAndModify upserts and explicit creation.
	if _, err := c.Database("app").Collection("upserted").UpdateOne(ctx, bson.M{"_id": "u"}, bson.M{"$set": bson.M{"n": 1}}, options.UpdateOne().SetUpsert(true)); err != nil {
		t.Fatal(err)
	}
	assertIndexed(t, dir, c, "app", "upserted")
	if err := c.Database("app").Collection("fam").FindOneAndUpdate(ctx, bson.M{"_id": "f"}, bson.M{"$set": bson.M{"n": 1}}, options.FindOneAndUpdate().SetUpsert(true)).Err(); err != nil && err != mongo.ErrNoDocuments {
		t.Fatal(err)
	}
	assertIndexed(t, dir, c, "app", "fam")
	if err := c.Database("other").CreateCollection(ctx, "made"); err != nil {
		t.Fatal(err)
	}
	assertIndexed(t, dir, c, "other", "made")

	// The driver sees the same documents and the same unique _id.
	var got bson.M
	if err := things.FindOne(ctx, bson.M{"_id": "b"}).Decode(&got); err != nil || got["n"] != int32(2) {
		t.Fatalf("findOne: %v %v", got, err)
	}
	if _, err := things.InsertOne(ctx, bson.M{"_id": "a"}); !mongo.IsDuplicateKeyError(err) {
		t.Fatalf("duplicate _id: %v", err)
	}
	if r, err := things.UpdateOne(ctx, bson.M{"_id": "a"}, bson.M{"$set": bson.M{"n": 10}}); err != nil || r.ModifiedCount != 1 {
		t.Fatalf("update: %+v %v", r, err)
	}
	if r, err := things.DeleteOne(ctx, bson.M{"_id": "b"}); err != nil || r.DeletedCount != 1 {
		t.Fatalf("delete: %+v %v", r, err)
	}
	var ids []string
	cur, err := things.Find(ctx, bson.M{})
	if err != nil {
		t.Fatal(err)
	}
	var all []bson.M
	if err := cur.All(ctx, &all); err != nil {
		t.Fatal(err)
	}
	for _, d := range all {
		ids = append(ids, fmt.Sprint(d["_id"], "=", d["n"]))
	}
	if fmt.Sprint(ids) != "[a=10]" {
		t.Fatalf("documents %v", ids)
	}
	// Mongo's index list is FerretDB's: ours does not show.
	specs, err := things.Indexes().ListSpecifications(ctx)
	if err != nil || len(specs) != 1 || specs[0].Name != "_id_" {
		t.Fatalf("indexes %+v %v", specs, err)
	}

	// Drop + re-create: a new table, indexed again.
	oldTable, _ := sqlitePlan(t, dir, "app", "things")
	if err := things.Drop(ctx); err != nil {
		t.Fatal(err)
	}
	if _, err := things.InsertOne(ctx, bson.M{"_id": "c"}); err != nil {
		t.Fatal(err)
	}
	// FerretDB names the table from a hash of the collection's name, so the new table has the old
	// name: only forgetting the collection on drop gets it indexed again.
	if newTable, _ := sqlitePlan(t, dir, "app", "things"); newTable != oldTable {
		t.Logf("re-created collection: table %s, was %s", newTable, oldTable)
	}
	assertIndexed(t, dir, c, "app", "things")
	// dropDatabase + re-create.
	if err := c.Database("other").Drop(ctx); err != nil {
		t.Fatal(err)
	}
	if _, err := c.Database("other").Collection("made").InsertOne(ctx, bson.M{"_id": "m"}); err != nil {
		t.Fatal(err)
	}
	assertIndexed(t, dir, c, "other", "made")

	// Restart on the same folder: existing tables, including the control one, are indexed at Start.
	_ = c.Disconnect(ctx)
	_ = plain.Disconnect(ctx)
	db.Close()
	db2, err := Start(Options{Dir: dir})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(db2.Close) // after the client's disconnect (cleanups run last first)
	<-db2.Indexed()
	c2 := connect(t, db2.ClientOptions())
	for _, n := range []string{"things", "plain", "upserted", "fam"} {
		assertIndexed(t, dir, c2, "app", n)
	}
	if err := c2.Database("app").Collection("plain").FindOne(ctx, bson.M{"_id": "a"}).Err(); err != nil {
		t.Fatal(err)
	}
}

func TestClientOptionsOtherURI(t *testing.T) {
	o := ClientOptions("mongodb://127.0.0.1:1/")
	if o.Monitor != nil {
		t.Fatal("monitor on a URI that is not an embedded database")
	}
}

// BenchmarkFindOneByID: findOne by ObjectID _id on a 10k-document collection, without the index
// (skipIDIndex: FerretDB as shipped) and with it.
func BenchmarkFindOneByID(b *testing.B) {
	for _, withIndex := range []bool{false, true} {
		name := "noindex"
		if withIndex {
			name = "index"
		}
		ctx := context.Background()
		skipIDIndex = !withIndex
		db, err := Start(Options{Dir: b.TempDir()})
		if err != nil {
			b.Fatal(err)
		}
		c, err := mongo.Connect(db.ClientOptions())
		if err != nil {
			b.Fatal(err)
		}
		coll := c.Database("bench").Collection("docs")
		const n = 10000
		ids := make([]bson.ObjectID, n)
		docs := make([]any, 0, 1000)
		for i := range ids {
			ids[i] = bson.NewObjectID()
			docs = append(docs, bson.M{"_id": ids[i], "i": i, "name": fmt.Sprintf("object %d", i), "tags": []string{"a", "b"}})
			if len(docs) == cap(docs) {
				if _, err := coll.InsertMany(ctx, docs); err != nil {
					b.Fatal(err)
				}
				docs = docs[:0]
			}
		}
		skipIDIndex = false
		b.Run(name, func(b *testing.B) {
			for i := 0; i < b.N; i++ {
				var d bson.M
				if err := coll.FindOne(ctx, bson.M{"_id": ids[(i*7919)%n]}).Decode(&d); err != nil {
					b.Fatal(err)
				}
			}
		})
		_ = c.Disconnect(ctx)
		db.Close()
	}
}

// IndexFolder indexes the tables of a FerretDB whose clients do not carry the monitor (the benchmark's
// shared database, used by other processes), and says so when there is nothing to index.
func TestIndexFolder(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	db, err := Start(Options{Dir: dir})
	if err != nil {
		t.Fatal(err)
	}
	plain := connect(t, options.Client().ApplyURI(db.URI))
	for _, coll := range []string{"a", "b"} {
		if _, err := plain.Database("shared").Collection(coll).InsertOne(ctx, bson.M{"_id": "x"}); err != nil {
			t.Fatal(err)
		}
		if _, plan := sqlitePlan(t, dir, "shared", coll); strings.Contains(plan, "INDEX") {
			t.Fatalf("%s before IndexFolder: plan %q, want a full scan", coll, plan)
		}
	}
	n, err := IndexFolder(ctx, dir, "shared")
	if err != nil || n != 2 {
		t.Fatalf("IndexFolder = %d, %v; want 2 tables", n, err)
	}
	assertIndexed(t, dir, plain, "shared", "a")
	assertIndexed(t, dir, plain, "shared", "b")
	// Again: the indexes exist already, nothing fails.
	if n, err := IndexFolder(ctx, dir, "shared"); err != nil || n != 2 {
		t.Fatalf("IndexFolder again = %d, %v", n, err)
	}
	if _, err := IndexFolder(ctx, dir, "missing"); err == nil {
		t.Fatal("IndexFolder of a database without a file: no error")
	}
	if _, err := os.Stat(filepath.Join(dir, "missing.sqlite")); !os.IsNotExist(err) {
		t.Fatalf("IndexFolder created a database file: %v", err)
	}
}
