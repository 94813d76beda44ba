package objects_test

// The controller on both of its write paths: SerializeWrites (the embedded database: per-object lock,
// ACL checked in the engine after a lookup by _id) and the MongoDB path (the ACL clause goes into the
// findOneAndUpdate / deleteOne filter). The REST tests only exercise the first on FerretDB.

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"sort"
	"sync"
	"testing"
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"

	"github.com/parselambda/parselambda/shared/apptest"
	"github.com/parselambda/parselambda/shared/auth"
	"github.com/parselambda/parselambda/shared/config"
	"github.com/parselambda/parselambda/shared/objects"
	"github.com/parselambda/parselambda/shared/parse"
	"github.com/parselambda/parselambda/shared/query"
	"github.com/parselambda/parselambda/shared/schema"
)

func controller(t *testing.T, serialize bool) *objects.Controller {
	t.Helper()
	_, caps := apptest.Client(t)
	db := apptest.DB(t)
	cfg := config.Defaults()
	cfg.AppID, cfg.MasterKey = "testapp", "testmaster"
	return &objects.Controller{DB: db, Schemas: schema.NewStore(db, time.Second), Config: cfg, Caps: caps, SerializeWrites: serialize,
		Log: slog.New(slog.NewTextHandler(io.Discard, nil))}
}

func codeOf(err error) int {
	var pe *parse.Error
	if errors.As(err, &pe) {
		return pe.Code
	}
	return 0
}

func noOpts() query.Options { return query.Options{Limit: -1} }

func TestControllerACLBothWritePaths(t *testing.T) {
	for _, serialize := range []bool{true, false} {
		t.Run(fmt.Sprintf("serialize=%v", serialize), func(t *testing.T) {
			t.Parallel()
			c := controller(t, serialize)
			ctx := context.Background()
			master := auth.Master()
			alice := &auth.Auth{UserID: "alice"}
			bob := &auth.Auth{UserID: "bob"}
			admin := &auth.Auth{UserID: "carol", Roles: []string{"role:Admin"}}
			anon := auth.Nobody()

			mk := func(acl map[string]any) string {
				t.Helper()
				body := map[string]any{"text": "orig"}
				if acl != nil {
					body["ACL"] = acl
				}
				out, err := c.Create(ctx, master, "Note", body)
				if err != nil {
					t.Fatal(err)
				}
				return out["objectId"].(string)
			}
			private := mk(map[string]any{"alice": map[string]any{"read": true, "write": true}})
			readOnly := mk(map[string]any{"*": map[string]any{"read": true}, "role:Admin": map[string]any{"write": true}})
			open := mk(nil)
			noWperm := mk(nil)
			if _, err := c.DB.Collection("Note").UpdateOne(ctx, bson.D{{Key: "_id", Value: noWperm}}, bson.D{{Key: "$set", Value: bson.D{{Key: "_rperm", Value: bson.A{"alice"}}}}}); err != nil {
				t.Fatal(err)
			}

			for _, w := range []struct {
				who  *auth.Auth
				id   string
				want int // 0: allowed, else the error code
			}{
				{anon, private, 101}, {bob, private, 101}, {admin, private, 101}, {alice, private, 0}, {master, private, 0},
				{anon, readOnly, 101}, {alice, readOnly, 101}, {admin, readOnly, 0},
				{anon, open, 0}, {bob, open, 0},
				{bob, noWperm, 0}, // _rperm without _wperm: anyone may write
				{anon, "missing123", 101},
			} {
				_, err := c.Update(ctx, w.who, "Note", w.id, map[string]any{"text": "changed"})
				if codeOf(err) != w.want || (w.want == 0 && err != nil) {
					t.Errorf("update of %s by %+v: %v, want code %d", w.id, w.who, err, w.want)
				}
			}
			var doc bson.M
			if err := c.DB.Collection("Note").FindOne(ctx, bson.D{{Key: "_id", Value: private}}).Decode(&doc); err != nil || doc["text"] != "changed" {
				t.Errorf("private note after alice's update: %v %v", doc, err)
			}

			for _, g := range []struct {
				who  *auth.Auth
				id   string
				want int
			}{
				{anon, private, 101}, {bob, private, 101}, {alice, private, 0}, {master, private, 0},
				{anon, readOnly, 0}, {bob, noWperm, 101}, {alice, noWperm, 0}, {anon, open, 0},
			} {
				_, err := c.Get(ctx, g.who, "Note", g.id, noOpts())
				if codeOf(err) != g.want || (g.want == 0 && err != nil) {
					t.Errorf("get of %s by %+v: %v, want code %d", g.id, g.who, err, g.want)
				}
			}

			seen := func(a *auth.Auth) []string {
				res, err := c.Find(ctx, a, "Note", noOpts())
				if err != nil {
					t.Fatal(err)
				}
				var out []string
				for _, r := range res.Results {
					out = append(out, r["objectId"].(string))
				}
				sort.Strings(out)
				return out
			}
			want := func(ids ...string) []string { sort.Strings(ids); return ids }
			if got := seen(anon); fmt.Sprint(got) != fmt.Sprint(want(readOnly, open)) {
				t.Errorf("anonymous find %v", got)
			}
			if got := seen(alice); fmt.Sprint(got) != fmt.Sprint(want(private, readOnly, open, noWperm)) {
				t.Errorf("alice's find %v", got)
			}

			for _, d := range []struct {
				who  *auth.Auth
				id   string
				want int
			}{
				{bob, private, 101}, {anon, readOnly, 101}, {alice, readOnly, 101}, {admin, readOnly, 0}, {alice, private, 0}, {alice, private, 101},
			} {
				err := c.Delete(ctx, d.who, "Note", d.id)
				if codeOf(err) != d.want || (d.want == 0 && err != nil) {
					t.Errorf("delete of %s by %+v: %v, want code %d", d.id, d.who, err, d.want)
				}
			}
			if n, _ := c.DB.Collection("Note").CountDocuments(ctx, bson.D{}); n != 2 {
				t.Errorf("%d notes left, want 2", n)
			}
		})
	}
}

// TestControllerSerializedIncrements: on the embedded database concurrent $inc lose writes unless the
// controller serializes them (SerializeWrites).
func TestControllerSerializedIncrements(t *testing.T) {
	t.Parallel()
	c := controller(t, true)
	ctx := context.Background()
	out, err := c.Create(ctx, auth.Master(), "Counter", map[string]any{"n": 0})
	if err != nil {
		t.Fatal(err)
	}
	id := out["objectId"].(string)
	const workers, each = 6, 5
	var wg sync.WaitGroup
	errs := make(chan error, workers*each)
	for w := 0; w < workers; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; i < each; i++ {
				if _, err := c.Update(ctx, auth.Nobody(), "Counter", id, map[string]any{"n": map[string]any{"__op": "Increment", "amount": 1}}); err != nil {
					errs <- err
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	obj, err := c.Get(ctx, auth.Master(), "Counter", id, noOpts())
	if err != nil {
		t.Fatal(err)
	}
	if fmt.Sprint(obj["n"]) != fmt.Sprint(workers*each) {
		t.Errorf("n = %v, want %d", obj["n"], workers*each)
	}
}

func TestControllerUpdateAnswer(t *testing.T) {
	t.Parallel()
	c := controller(t, true)
	ctx := context.Background()
	fixed := time.Date(2024, 1, 2, 3, 4, 5, 678_000_000, time.UTC)
	c.Now = func() time.Time { return fixed }
	out, err := c.Create(ctx, auth.Master(), "Game", map[string]any{"score": 1, "tags": []any{"a"}})
	if err != nil {
		t.Fatal(err)
	}
	if out["createdAt"] != "2024-01-02T03:04:05.678Z" {
		t.Errorf("createdAt %v", out["createdAt"])
	}
	up, err := c.Update(ctx, auth.Master(), "Game", out["objectId"].(string), map[string]any{
		"score": map[string]any{"__op": "Increment", "amount": 2}, "tags": map[string]any{"__op": "Add", "objects": []any{"b"}}, "name": "x",
	})
	if err != nil {
		t.Fatal(err)
	}
	if up["updatedAt"] != "2024-01-02T03:04:05.678Z" {
		t.Errorf("updatedAt %v", up["updatedAt"])
	}
	if fmt.Sprint(up["score"]) != "3" || fmt.Sprint(up["tags"]) != "[a b]" {
		t.Errorf("operator results %v", up)
	}
	if _, ok := up["name"]; ok {
		t.Errorf("a plain set is echoed: %v", up)
	}
}
