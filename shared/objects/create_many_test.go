package objects_test

import (
	"context"
	"fmt"
	"testing"

	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo"
	"go.mongodb.org/mongo-driver/v2/mongo/options"

	"github.com/parselambda/parselambda/shared/auth"
	"github.com/parselambda/parselambda/shared/objects"
)

// CreateMany on the controller: per-object answers and errors in order, schema additions in order,
// duplicate keys mapped per object, relation rows written after the insert.
func TestCreateMany(t *testing.T) {
	for _, mode := range []struct{ serialize, byCommand bool }{{true, true}, {true, false}, {false, false}} {
		serialize := mode.serialize
		t.Run(fmt.Sprintf("serialize=%v,insertByCommand=%v", serialize, mode.byCommand), func(t *testing.T) {
			t.Parallel()
			c := controller(t, serialize)
			c.Insert.ByCommand = mode.byCommand
			ctx := context.Background()
			master := auth.Master()
			if got := c.CreateMany(ctx, master, "Thing", nil); len(got) != 0 {
				t.Fatalf("no bodies: %v", got)
			}
			seed, err := c.Create(ctx, master, "Thing", map[string]any{"code": "seed", "a": 0})
			if err != nil {
				t.Fatal(err)
			}
			if _, err := c.DB.Collection("Thing").Indexes().CreateOne(ctx, mongo.IndexModel{Keys: bson.D{{Key: "code", Value: 1}}, Options: options.Index().SetUnique(true)}); err != nil {
				t.Fatal(err)
			}
			rel := map[string]any{"__op": "AddRelation", "objects": []any{map[string]any{"__type": "Pointer", "className": "Thing", "objectId": seed["objectId"]}}}
			res := c.CreateMany(ctx, master, "Thing", []map[string]any{
				{"a": 1, "code": "x"},
				{"a": "one"},               // 111: a is a Number
				{"b": true, "code": "x"},   // 137: duplicate code
				{"b": "no"},                // 111: b was added as a Boolean by the body before
				{"objectId": "abcdefghij"}, // 105
				{"rel": rel, "a": 2},
				nil,
			})
			want := []int{0, 111, 137, 111, 105, 0, 0}
			if len(res) != len(want) {
				t.Fatalf("%d results", len(res))
			}
			for i, r := range res {
				if got := codeOf(r.Err); got != want[i] || (r.Err == nil) != (r.Object != nil) {
					t.Errorf("result %d: %v %v, want code %d", i, r.Object, r.Err, want[i])
				}
				if r.Err != nil && want[i] == 0 {
					t.Errorf("result %d: %v", i, r.Err)
				}
			}
			if n, _ := c.DB.Collection("Thing").CountDocuments(ctx, bson.D{}); n != 4 {
				t.Errorf("Thing holds %d objects, want 4", n)
			}
			for _, i := range []int{0, 5, 6} {
				id := res[i].Object["objectId"].(string)
				obj, err := c.Get(ctx, master, "Thing", id, noOpts())
				if err != nil {
					t.Fatalf("get %d: %v", i, err)
				}
				if obj["createdAt"] != res[i].Object["createdAt"] {
					t.Errorf("createdAt %v, answered %v", obj["createdAt"], res[i].Object["createdAt"])
				}
			}
			n, _ := c.DB.Collection("_Join:rel:Thing").CountDocuments(ctx, bson.D{{Key: "owningId", Value: res[5].Object["objectId"]}, {Key: "relatedId", Value: seed["objectId"]}})
			if n != 1 {
				t.Errorf("relation rows: %d", n)
			}
			// An access rule of the class fails every object alike.
			for i, r := range c.CreateMany(ctx, auth.Nobody(), "_JobStatus", []map[string]any{{"a": 1}, {"a": 2}}) {
				if codeOf(r.Err) != 119 {
					t.Errorf("master-only class, result %d: %v", i, r.Err)
				}
			}
			if !c.CanCreateMany(ctx, "Thing") {
				t.Error("CanCreateMany without triggers")
			}
			c.Triggers = saveTriggers{}
			if c.CanCreateMany(ctx, "Thing") || !c.CanCreateMany(objects.WithoutTriggers(ctx), "Thing") {
				t.Error("CanCreateMany with a beforeSave")
			}
		})
	}
}

// saveTriggers has a beforeSave on every class that changes nothing.
type saveTriggers struct{ objects.Triggers }

func (saveTriggers) Has(_ context.Context, kind objects.TriggerKind, _ string) bool {
	return kind == objects.TriggerBeforeSave
}
