// Package rest is the HTTP face of the engine: the Parse REST protocol (headers, the JS SDK's
// POST-with-_method bodies, CORS, the {code,error} envelope), one http.Handler per endpoint family and
// one that mounts them all under the mount path.
package rest

import (
	"context"
	"html/template"
	"io"
	"log/slog"
	"net/http"
	"regexp"
	"strings"
	"time"

	"go.mongodb.org/mongo-driver/v2/mongo"
	"go.mongodb.org/mongo-driver/v2/mongo/options"

	"github.com/parselambda/parselambda/shared/authproviders"
	"github.com/parselambda/parselambda/shared/cloud"
	"github.com/parselambda/parselambda/shared/cloud/engine"
	"github.com/parselambda/parselambda/shared/config"
	"github.com/parselambda/parselambda/shared/dbwrite"
	"github.com/parselambda/parselambda/shared/families"
	"github.com/parselambda/parselambda/shared/files"
	"github.com/parselambda/parselambda/shared/jobs"
	"github.com/parselambda/parselambda/shared/mail"
	"github.com/parselambda/parselambda/shared/objects"
	"github.com/parselambda/parselambda/shared/query"
	"github.com/parselambda/parselambda/shared/schema"
	"github.com/parselambda/parselambda/shared/session"
	"github.com/parselambda/parselambda/shared/users"
)

// Options build an App.
type Options struct {
	Config config.Config
	DB     *mongo.Database
	Log    *slog.Logger
	// Caps describes the database; see DetectCaps.
	Caps query.Caps
	// SerializeWrites: see objects.Controller.
	SerializeWrites bool
	// Insert writes new objects and sessions; Inserter(Caps, the client's options) builds it. The zero
	// value inserts through the driver.
	Insert dbwrite.Inserter
	// SchemaTTL bounds how stale the schema cache may be (default 5 s, as Parse Server's cacheTTL).
	SchemaTTL time.Duration
	// SessionCacheTTL is how long a resolved session token is reused in this process (Parse Server's
	// cacheTTL, 5 s); 0 turns the cache off.
	SessionCacheTTL time.Duration
	// Mail sends verification and password-reset emails; nil disables those flows.
	Mail mail.Sender
	// Cloud is the app's Cloud Code (shared/app's registry); nil serves none (webhooks still work).
	Cloud *cloud.Registry
	// JobStarter starts jobs asynchronously (a Lambda invoke in AWS); nil runs them in goroutines.
	JobStarter jobs.Starter
	// Maintenance configures the built-in maintenance job (jobs.MaintenanceFromEnv).
	Maintenance jobs.Maintenance
	// WebhookKey is sent to webhooks as X-Parse-Webhook-Key; WebhookClient calls them (nil: default).
	WebhookKey    string
	WebhookClient *http.Client
	// Files stores Parse files (nil: uploads answer 130, downloads 404).
	Files files.Store
	// FileURL, when set, is the URL of a stored file in objects and upload answers; by default the
	// FILES_URL_MODE of the config: <serverURL>/files/<appId>/<name>, direct or presigned S3 URLs.
	FileURL func(name string) string
	// Events receives analytics events as CloudWatch EMF lines (default os.Stdout).
	Events io.Writer
}

// App is the engine for one Parse app.
type App struct {
	cfg      config.Config
	db       *mongo.Database
	log      *slog.Logger
	schemas  *schema.Store
	objects  *objects.Controller
	routes   []route
	auth     *authResolver
	sessions *session.Store
	users    *users.Service
	pages    map[string]*template.Template
	ext      *extras

	// Cloud Code (cloud.go).
	cloud      *engine.Host
	jobs       *jobs.Runner
	jobStarter jobs.Starter
}

// New builds the engine over a connected database.
func New(o Options) *App {
	if o.Log == nil {
		o.Log = slog.Default()
	}
	if o.SchemaTTL == 0 {
		o.SchemaTTL = 5 * time.Second
	}
	a := &App{cfg: o.Config, db: o.DB, log: o.Log}
	a.schemas = schema.NewStore(o.DB, o.SchemaTTL)
	a.objects = &objects.Controller{DB: o.DB, Schemas: a.schemas, Config: o.Config, Caps: o.Caps, Log: o.Log, SerializeWrites: o.SerializeWrites, Insert: o.Insert}
	a.sessions = &session.Store{DB: o.DB, Insert: o.Insert, Rules: session.Rules{
		Length:           o.Config.SessionLength,
		ExpireInactive:   o.Config.ExpireInactiveSessions,
		ExtendOnUse:      o.Config.ExtendSessionOnUse,
		RevokeOnPassword: o.Config.RevokeSessionOnPasswordReset,
	}}
	public := o.Config.PublicServerURL
	if public == "" {
		public = o.Config.ServerURL
	}
	a.users = &users.Service{DB: o.DB, Objects: a.objects, Sessions: a.sessions, EnableAnonymous: o.Config.EnableAnonymousUsers,
		Emails: &users.Emails{Sender: o.Mail, AppName: o.Config.AppName, AppID: o.Config.AppID, PublicServerURL: public, From: o.Config.MailFrom,
			VerifyUserEmails: o.Config.VerifyUserEmails, PreventLoginUnverified: o.Config.PreventLoginWithUnverifiedEmail,
			VerifyTokenValidity: o.Config.EmailVerifyTokenValidity, ResetTokenValidity: o.Config.PasswordResetTokenValidity}}
	a.users.Providers = map[string]authproviders.Provider{}
	if len(o.Config.AppleClientIDs) > 0 {
		a.users.Providers["apple"] = authproviders.NewApple(o.Config.AppleKeysURL, o.Config.AppleClientIDs)
	}
	if len(o.Config.GoogleClientIDs) > 0 {
		a.users.Providers["google"] = authproviders.NewGoogle(o.Config.GoogleKeysURL, o.Config.GoogleClientIDs)
	}
	if len(o.Config.FacebookAppIDs) > 0 {
		a.users.Providers["facebook"] = &authproviders.Facebook{GraphURL: o.Config.FacebookGraphURL, AppIDs: o.Config.FacebookAppIDs}
	}
	a.users.Lockout = users.Lockout{Threshold: o.Config.LockoutThreshold, Duration: o.Config.LockoutDuration, UnlockOnPasswordReset: o.Config.LockoutUnlockOnReset}
	a.users.Policy = users.Policy{ValidationError: o.Config.PasswordPatternError, DoNotAllowUsername: o.Config.PasswordNoUsername,
		MaxAge: o.Config.PasswordMaxAge, MaxHistory: o.Config.PasswordMaxHistory}
	if o.Config.PasswordPattern != "" {
		a.users.Policy.Pattern, _ = regexp.Compile(o.Config.PasswordPattern) // checked by config.FromEnv
	}
	pages, err := loadPages(o.Config.PagesDir)
	if err != nil {
		o.Log.Error("page templates in PAGES_DIR do not parse; using the built-in pages", "err", err)
		pages, _ = loadPages("")
	}
	a.pages = pages
	a.auth = &authResolver{db: o.DB, sessions: a.sessions, ttl: o.SessionCacheTTL}
	a.initExtras(o)
	a.initCloud(o)
	a.routes = a.buildRoutes()
	return a
}

// Handler serves every family under the mount path.
func (a *App) Handler() http.Handler {
	return a.serve(nil)
}

// FamilyHandler serves one family (for its Lambda function). Paths of other families answer 404.
func (a *App) FamilyHandler(name string) http.Handler {
	f, ok := families.ByName(name)
	if !ok {
		panic("unknown family " + name) // a programming error in a main package, caught by its test
	}
	allowed := map[string]bool{}
	for _, p := range f.Prefixes {
		allowed[p] = true
	}
	return a.serve(allowed)
}

// Ping checks the database.
func (a *App) Ping(ctx context.Context) error {
	return a.db.Client().Ping(ctx, nil)
}

// DetectCaps asks the server what it is: FerretDB reports ferretdbVersion in buildInfo.
func DetectCaps(ctx context.Context, c *mongo.Client) query.Caps {
	var info struct {
		Version         string `bson:"version"`
		FerretDBVersion string `bson:"ferretdbVersion"`
	}
	err := c.Database("admin").RunCommand(ctx, map[string]any{"buildInfo": 1}).Decode(&info)
	if err == nil && info.FerretDBVersion != "" {
		name := "FerretDB"
		if info.FerretDBVersion != "unknown" {
			name += " " + info.FerretDBVersion
		}
		return query.Caps{Name: name}
	}
	return query.MongoDB
}

// Inserter is how the engine inserts through a client built with o (nil: the driver's defaults), on a
// database caps describes. New objects and sessions go as insert commands the engine sends itself
// (dbwrite.Inserter.ByCommand) only where the driver would not retry the write either (FerretDB, a
// standalone server, or a client with retryWrites=false, as DocumentDB requires), and only for
// acknowledged writes, whose errors the command's reply gives object by object. The commands carry the
// client's write concern.
func Inserter(caps query.Caps, o *options.ClientOptions) dbwrite.Inserter {
	if o == nil || o.WriteConcern != nil && !o.WriteConcern.Acknowledged() {
		return dbwrite.Inserter{}
	}
	return dbwrite.Inserter{
		ByCommand:    caps.Name != "" || o.RetryWrites != nil && !*o.RetryWrites,
		WriteConcern: o.WriteConcern,
	}
}

func firstSegment(p string) string {
	p = strings.TrimPrefix(p, "/")
	seg, _, _ := strings.Cut(p, "/")
	return seg
}
