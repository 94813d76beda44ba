package boot_test

// Benchmarks of the Lambda request path without the database: an API Gateway HTTP API (v2) event
// through boot.HTTP (httpadapter.NewV2(handler).ProxyWithContext, what every function's main starts)
// and the engine's family handler to the response (issue #9).
// Run: go test -run '^$' -bench . -benchmem ./functions/internal/boot/

import (
	"context"
	"io"
	"log/slog"
	"testing"

	"github.com/aws/aws-lambda-go/events"
	"go.mongodb.org/mongo-driver/v2/mongo"
	"go.mongodb.org/mongo-driver/v2/mongo/options"

	"github.com/parselambda/parselambda/functions/internal/boot"
	"github.com/parselambda/parselambda/shared/config"
	"github.com/parselambda/parselambda/shared/query"
	"github.com/parselambda/parselambda/shared/rest"
)

// restHandler is the "rest" family's function as its Lambda serves it, over a database client that
// never connects (the benchmarked paths do not touch the database).
func restHandler(b *testing.B) boot.HTTPHandler {
	b.Helper()
	cfg := config.Defaults()
	cfg.AppID = "testapp"
	cfg.MasterKey = "bench-master"
	client, err := mongo.Connect(options.Client().ApplyURI("mongodb://127.0.0.1:9/?serverSelectionTimeoutMS=100&connect=direct"))
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { _ = client.Disconnect(context.Background()) })
	app := rest.New(rest.Options{
		Config: cfg,
		DB:     client.Database("bench"),
		Log:    slog.New(slog.NewTextHandler(io.Discard, nil)),
		Caps:   query.MongoDB,
	})
	return boot.HTTP(app, "rest")
}

// event is an API Gateway HTTP API (payload 2.0) request as the $default stage delivers it.
func event(method, path, appID string) events.APIGatewayV2HTTPRequest {
	return events.APIGatewayV2HTTPRequest{
		Version:  "2.0",
		RouteKey: "ANY " + path,
		RawPath:  path,
		Headers: map[string]string{
			"accept":                 "*/*",
			"host":                   "abc123defg.execute-api.us-east-1.amazonaws.com",
			"user-agent":             "parse-bench/1.0",
			"x-amzn-trace-id":        "Root=1-67890abc-0123456789abcdef01234561",
			"x-forwarded-for":        "203.0.113.10",
			"x-forwarded-port":       "443",
			"x-forwarded-proto":      "https",
			"x-parse-application-id": appID,
		},
		RequestContext: events.APIGatewayV2HTTPRequestContext{
			RouteKey:     "ANY " + path,
			AccountID:    "123456789012",
			Stage:        "$default",
			RequestID:    "Ab1Cd2Ef3Gh001=",
			APIID:        "abc123defg",
			DomainName:   "abc123defg.execute-api.us-east-1.amazonaws.com",
			DomainPrefix: "abc123defg",
			Time:         "25/Nov/2025:13:00:01 +0000",
			TimeEpoch:    1764075601000,
			HTTP: events.APIGatewayV2HTTPRequestContextHTTPDescription{
				Method: method, Path: path, Protocol: "HTTP/1.1", SourceIP: "203.0.113.10", UserAgent: "parse-bench/1.0",
			},
		},
	}
}

func benchEvent(b *testing.B, ev events.APIGatewayV2HTTPRequest, wantStatus int) {
	h := restHandler(b)
	ctx := context.Background()
	resp, err := h(ctx, ev)
	if err != nil || resp.StatusCode != wantStatus {
		b.Fatalf("first call: status %d (want %d), err %v, body %s", resp.StatusCode, wantStatus, err, resp.Body)
	}
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		resp, err := h(ctx, ev)
		if err != nil || resp.StatusCode != wantStatus {
			b.Fatalf("status %d, err %v", resp.StatusCode, err)
		}
	}
}

// BenchmarkLambdaHealth: GET /parse/health, 200.
func BenchmarkLambdaHealth(b *testing.B) {
	benchEvent(b, event("GET", "/parse/health", "testapp"), 200)
}

// BenchmarkLambdaWrongAppID: GET /parse/serverInfo with an unknown application id, 403.
func BenchmarkLambdaWrongAppID(b *testing.B) {
	benchEvent(b, event("GET", "/parse/serverInfo", "not-this-app"), 403)
}
