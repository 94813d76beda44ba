package embeddb

import (
	"context"
	"testing"

	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo"
	"go.mongodb.org/mongo-driver/v2/mongo/options"
)

func TestStartPing(t *testing.T) {
	db, err := Start(Options{Dir: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	c, err := mongo.Connect(options.Client().ApplyURI(db.URI))
	if err != nil {
		t.Fatal(err)
	}
	defer c.Disconnect(context.Background())
	if _, err := c.Database("x").Collection("y").InsertOne(context.Background(), bson.M{"_id": "a"}); err != nil {
		t.Fatal(err)
	}
	n, err := c.Database("x").Collection("y").CountDocuments(context.Background(), bson.M{})
	if err != nil || n != 1 {
		t.Fatalf("count %d %v", n, err)
	}
	if _, err := Start(Options{Dir: t.TempDir(), Addr: "10.0.0.1:0"}); err == nil {
		t.Fatal("non-loopback address accepted")
	}
}
