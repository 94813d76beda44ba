// Package boot is the Lambda glue that every function in functions/ shares: it reads the configuration
// (environment variables and Secrets Manager) once per container, builds the MongoDB client and the
// engine, adapts API Gateway HTTP API (payload 2.0) events to the engine's http.Handler, and closes the
// client on SIGTERM. The engine itself (shared/) knows nothing of Lambda.
//
// A function's main is three lines:
//
//	c := boot.Init("classes")
//	lambda.StartWithOptions(boot.HTTP(c.Engine, "classes"), lambda.WithEnableSIGTERM(c.Close))
package boot

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"net/http"
	"os"
	"strings"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-lambda-go/lambdacontext"
	"github.com/awslabs/aws-lambda-go-api-proxy/httpadapter"
	"go.mongodb.org/mongo-driver/v2/mongo"
	"go.mongodb.org/mongo-driver/v2/mongo/options"

	cloudcode "github.com/parselambda/parselambda/shared/app"
	"github.com/parselambda/parselambda/shared/config"
	"github.com/parselambda/parselambda/shared/jobs"
	"github.com/parselambda/parselambda/shared/query"
	"github.com/parselambda/parselambda/shared/rest"
)

// Container is what one function instance builds at cold start and keeps until it is shut down.
type Container struct {
	Family   string
	Settings Settings
	Log      *slog.Logger
	Client   *mongo.Client
	Engine   *rest.App
}

// Init builds the container for family from the process environment and Secrets Manager. On failure
// it reports the init error to the Lambda Runtime API and exits, as a runtime does.
func Init(family string) *Container {
	// GOGC=400, a soft limit of 75% of the function's memory and GOMAXPROCS=1, unless the environment
	// sets GOGC/GOMEMLIMIT/GOMAXPROCS.
	config.TuneRuntime(os.Getenv)
	awsCfg := LazyAWSConfig()
	c, err := NewContainer(context.Background(), family, os.Getenv, DefaultSecretsManager(awsCfg), awsCfg)
	if err != nil {
		Fatal(family, err)
	}
	return c
}

// NewContainer loads the settings, creates the MongoDB client (no blocking network I/O), the mail
// sender, the file store and the engine. Only a development database of unknown kind (no DB_KIND) costs a round trip,
// to detect FerretDB.
func NewContainer(ctx context.Context, family string, getenv func(string) string, secrets SecretSource, awsCfg AWSConfigFunc) (*Container, error) {
	log := NewLogger(getenv).With("family", family)
	s, err := Load(ctx, getenv, secrets, log.Warn)
	if err != nil {
		return nil, err
	}
	svc, err := NewServices(ctx, getenv, s.Config, awsCfg, log)
	if err != nil {
		return nil, err
	}
	var caps query.Caps
	capsSet := strings.TrimSpace(getenv("DB_CAPS")) // replaces DB_KIND's capabilities and the probe
	if capsSet != "" {
		if caps, err = query.ParseCaps(capsSet); err != nil {
			return nil, fmt.Errorf("DB_CAPS: %w", err)
		}
	}
	opts, err := ClientOptions(s.DB, "parselambda-"+family)
	if err != nil {
		return nil, err
	}
	client, err := Connect(opts)
	if err != nil {
		return nil, err
	}
	if capsSet == "" {
		caps = Caps(ctx, s.DB.Kind, client)
	}
	c := &Container{
		Family:   family,
		Settings: s,
		Log:      log,
		Client:   client,
		Engine:   Engine(s.Config, Database{DB: client.Database(s.DB.Name), Caps: caps, Client: opts}, svc, log),
	}
	log.Info("cold start", "appId", s.Config.AppID, "keys", s.KeysFrom, "db", s.DBFrom, "dbKind", s.DB.Kind,
		"database", s.DB.Name, "maxPoolSize", s.DB.MaxPoolSize, "tlsCA", s.DB.TLSCA, "caps", capsName(caps),
		"mail", mailName(svc.Mail), "files", filesName(svc.Files))
	return c, nil
}

// Close disconnects the MongoDB client; Lambda calls it (through lambda.WithEnableSIGTERM) when it shuts
// the container down, and gives it a few hundred milliseconds.
func (c *Container) Close() {
	ctx, cancel := context.WithTimeout(context.Background(), 400*time.Millisecond)
	defer cancel()
	if err := c.Client.Disconnect(ctx); err != nil {
		c.Log.Warn("shutdown: closing the MongoDB client", "err", err)
		return
	}
	c.Log.Info("shutdown: MongoDB client closed")
}

// Caps describes the database to the engine. DocumentDB and MongoDB (DB_KIND set, as deployed) are
// known without asking (DocumentDB's geo and text differ from MongoDB's: see query.DocumentDB);
// otherwise the server is asked whether it is FerretDB.
func Caps(ctx context.Context, kind string, client *mongo.Client) query.Caps {
	switch kind {
	case KindDocumentDB:
		return query.DocumentDB
	case KindMongoDB:
		return query.MongoDB
	}
	ctx, cancel := context.WithTimeout(ctx, serverSelectionTimeout)
	defer cancel()
	return rest.DetectCaps(ctx, client)
}

func capsName(c query.Caps) string {
	if c.Name != "" {
		return c.Name
	}
	return "MongoDB"
}

// Database is what the engine is told of its database: the handle, what the server evaluates, and the
// options its client was built with (write concern, retryWrites; nil: the driver's defaults, creates
// through the driver).
type Database struct {
	DB     *mongo.Database
	Caps   query.Caps
	Client *options.ClientOptions
}

// Engine builds the engine over db as the local server does: writes serialized on FerretDB, resolved
// session tokens reused for 5 s in the container (Parse Server's cacheTTL).
func Engine(cfg config.Config, db Database, svc Services, log *slog.Logger) *rest.App {
	caps := db.Caps
	// The built-in maintenance job: MAINTENANCE_JOBS=false, JOB_STATUS_KEEP_DAYS.
	maint, err := jobs.MaintenanceFromEnv(os.Getenv)
	if err != nil {
		log.Error("maintenance job settings ignored", "err", err.Error())
	}
	return rest.New(rest.Options{
		Maintenance:     maint,
		Config:          cfg,
		DB:              db.DB,
		Log:             log,
		Caps:            caps,
		SerializeWrites: caps.Name != "",
		Insert:          rest.Inserter(caps, db.Client),
		SessionCacheTTL: 5 * time.Second,
		Cloud:           cloudcode.Cloud(),
		Mail:            svc.Mail,
		Files:           svc.Files,
		FileURL:         svc.FileURL,
	})
}

// HTTPHandler is a Lambda handler for API Gateway HTTP API (payload format 2.0) events.
type HTTPHandler = func(context.Context, events.APIGatewayV2HTTPRequest) (events.APIGatewayV2HTTPResponse, error)

// HTTP serves one family of the engine to API Gateway: httpadapter.NewV2 turns the event into an
// http.Request (decoding base64 bodies) and the handler's answer into the response; ProxyWithContext
// passes the invocation's context (and so its deadline) to the engine.
func HTTP(app *rest.App, family string) HTTPHandler {
	h := app.FamilyHandler(family)
	// The engine logs internal errors with the request id: use the invocation's, so a log line leads
	// to its Lambda invocation.
	withID := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if lc, ok := lambdacontext.FromContext(r.Context()); ok && lc.AwsRequestID != "" {
			r.Header.Set("X-Request-Id", lc.AwsRequestID)
		}
		h.ServeHTTP(w, r)
	})
	return httpadapter.NewV2(withID).ProxyWithContext
}

// NewLogger logs JSON lines to stdout (CloudWatch) at LOG_LEVEL, else AWS_LAMBDA_LOG_LEVEL, else info.
func NewLogger(getenv func(string) string) *slog.Logger {
	level := slog.LevelInfo
	for _, k := range []string{"LOG_LEVEL", "AWS_LAMBDA_LOG_LEVEL"} {
		if v := strings.TrimSpace(getenv(k)); v != "" {
			_ = level.UnmarshalText([]byte(strings.ToLower(v)))
			break
		}
	}
	return slog.New(slog.NewJSONHandler(os.Stdout, &slog.HandlerOptions{Level: level}))
}

// Fatal logs a cold-start failure, reports it to the Runtime API (POST /runtime/init/error, so Lambda
// shows the reason rather than a bare exit) and exits.
func Fatal(family string, err error) {
	slog.New(slog.NewJSONHandler(os.Stdout, nil)).Error("cold start failed", "family", family, "err", err.Error())
	if api := os.Getenv("AWS_LAMBDA_RUNTIME_API"); api != "" {
		body, _ := json.Marshal(map[string]string{"errorMessage": err.Error(), "errorType": "InitError"})
		req, rerr := http.NewRequest(http.MethodPost, "http://"+api+"/2018-06-01/runtime/init/error", bytes.NewReader(body))
		if rerr == nil {
			req.Header.Set("Lambda-Runtime-Function-Error-Type", "Runtime.InitError")
			req.Header.Set("Content-Type", "application/json")
			client := &http.Client{Timeout: 2 * time.Second, Transport: &http.Transport{Proxy: nil}}
			if resp, perr := client.Do(req); perr == nil {
				resp.Body.Close()
			}
		}
	}
	fmt.Fprintln(os.Stderr, family+": cold start failed:", err)
	os.Exit(1)
}
