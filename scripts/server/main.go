// Command server runs the whole Parse API on localhost: `make run`.
//
// With MONGODB_URI unset it starts FerretDB 1.24.2 embedded (SQLite files in DATA_DIR, default
// ./.data, so a restart keeps the data). With MONGODB_URI set it uses that MongoDB.
package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/signal"
	"path/filepath"
	"syscall"
	"time"

	"go.mongodb.org/mongo-driver/v2/mongo"

	cloudcode "github.com/parselambda/parselambda/shared/app"
	"github.com/parselambda/parselambda/shared/config"
	"github.com/parselambda/parselambda/shared/embeddb"
	"github.com/parselambda/parselambda/shared/files"
	"github.com/parselambda/parselambda/shared/jobs"
	"github.com/parselambda/parselambda/shared/mail"
	"github.com/parselambda/parselambda/shared/query"
	"github.com/parselambda/parselambda/shared/rest"
)

func main() {
	if err := run(); err != nil {
		fmt.Fprintln(os.Stderr, "server:", err)
		os.Exit(1)
	}
}

func run() error {
	config.TuneRuntime(os.Getenv) // GOGC=400 and a soft memory limit unless the environment sets them
	log := slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelInfo}))
	cfg, err := config.FromEnv(os.Getenv)
	if err != nil {
		return err
	}
	addr := os.Getenv("LISTEN_ADDR")
	if addr == "" {
		port := os.Getenv("PORT")
		if port == "" {
			port = "1337"
		}
		addr = "127.0.0.1:" + port
	}
	uri := cfg.MongoURI
	embedded := uri == ""
	if embedded {
		dir := os.Getenv("DATA_DIR")
		if dir == "" {
			dir = ".data"
		}
		db, err := embeddb.Start(embeddb.Options{Dir: dir, Addr: os.Getenv("EMBEDDED_DB_ADDR")})
		if err != nil {
			return err
		}
		defer db.Close()
		uri = db.URI
		log.Info("embedded FerretDB 1.24.2 (SQLite)", "dir", dir, "uri", uri)
	}
	clientOpts := embeddb.ClientOptions(uri) // + the _id index monitor when embedded
	client, err := mongo.Connect(clientOpts)
	if err != nil {
		return fmt.Errorf("connect to the database: %w", err)
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	defer client.Disconnect(context.Background())
	var caps query.Caps
	if v := os.Getenv("DB_CAPS"); v != "" { // replaces the probe
		if caps, err = query.ParseCaps(v); err != nil {
			return fmt.Errorf("DB_CAPS: %w", err)
		}
	} else {
		caps = rest.DetectCaps(ctx, client)
	}
	outbox := os.Getenv("OUTBOX_DIR")
	if outbox == "" {
		dir := os.Getenv("DATA_DIR")
		if dir == "" {
			dir = ".data"
		}
		outbox = filepath.Join(dir, "outbox")
	}
	dataDir := os.Getenv("DATA_DIR")
	if dataDir == "" {
		dataDir = ".data"
	}
	fileStore, err := files.Open(ctx, cfg, filepath.Join(dataDir, "files"))
	if err != nil {
		return err
	}
	maint, err := jobs.MaintenanceFromEnv(os.Getenv)
	if err != nil {
		return err
	}
	app := rest.New(rest.Options{
		Maintenance:     maint,
		Files:           fileStore,
		Config:          cfg,
		DB:              client.Database(cfg.DatabaseName),
		Log:             log,
		Caps:            caps,
		SerializeWrites: caps.Name != "",
		Insert:          rest.Inserter(caps, clientOpts),
		SessionCacheTTL: 5 * time.Second,
		Mail:            &mail.Outbox{Dir: outbox, Log: log},
		// The app's Cloud Code (shared/app); POST /jobs runs jobs in goroutines of this process.
		Cloud: cloudcode.Cloud(),
	})
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return err
	}
	if _, err := runSchedules(ctx, app, maint, log); err != nil {
		return err
	}
	if pa := os.Getenv("PPROF_ADDR"); pa != "" {
		if err := servePprof(pa); err != nil {
			return err
		}
		log.Info("pprof", "url", "http://"+pa+"/debug/pprof/")
	}
	srv := &http.Server{Handler: app.Handler(), ReadHeaderTimeout: 10 * time.Second}
	fmt.Printf("parselambda ready\n  serverURL: http://%s%s\n  appId:     %s\n  masterKey: %s\n  database:  %s (%s)\n",
		ln.Addr(), cfg.MountPath, cfg.AppID, cfg.MasterKey, cfg.DatabaseName, dbKind(embedded, caps.Name))
	go func() {
		<-ctx.Done()
		shut, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		_ = srv.Shutdown(shut)
	}()
	if err := srv.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	return nil
}

func dbKind(embedded bool, name string) string {
	if embedded {
		return "embedded " + name
	}
	if name != "" {
		return name
	}
	return "MONGODB_URI"
}
