// Package config reads the server's settings from environment variables, with Parse Server's defaults.
package config

import (
	"fmt"
	"math"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"time"
)

// Config is everything the engine needs to know about the app it serves.
type Config struct {
	AppID     string // APP_ID
	MasterKey string // MASTER_KEY
	// Client keys: enforced only when at least one is set.
	RESTAPIKey    string // REST_API_KEY
	JavaScriptKey string // JAVASCRIPT_KEY
	ClientKey     string // CLIENT_KEY
	WindowsKey    string // WINDOWS_KEY

	ServerURL string // SERVER_URL, e.g. http://localhost:1337/parse
	MountPath string // derived from ServerURL's path (default /parse)

	MongoURI     string // MONGODB_URI (empty: the local server embeds FerretDB)
	DatabaseName string // DATABASE_NAME (default: the URI's database, else "parse")

	DefaultLimit             int   // DEFAULT_LIMIT (100)
	MaxLimit                 int   // MAX_LIMIT (0: no maximum)
	EngineMaxScan            int   // ENGINE_MAX_SCAN (100000): candidates a query evaluated in the engine may read (0: no cap)
	AllowClientClassCreation bool  // ALLOW_CLIENT_CLASS_CREATION (false)
	MaxBodyBytes             int64 // MAX_BODY_SIZE (20mb)
	BatchLimit               int   // BATCH_LIMIT (50)
	AllowOrigin              string

	// Sessions and users (Parse Server's option names in brackets).
	SessionLength                time.Duration // SESSION_LENGTH seconds (sessionLength, 1 year)
	ExpireInactiveSessions       bool          // EXPIRE_INACTIVE_SESSIONS (true: sessions get expiresAt)
	ExtendSessionOnUse           bool          // EXTEND_SESSION_ON_USE (false)
	RevokeSessionOnPasswordReset bool          // REVOKE_SESSION_ON_PASSWORD_RESET (true)
	EnableAnonymousUsers         bool          // ENABLE_ANONYMOUS_USERS (true)

	// Emails and the public pages.
	AppName                         string        // APP_NAME (parselambda)
	PublicServerURL                 string        // PUBLIC_SERVER_URL (SERVER_URL)
	MailFrom                        string        // MAIL_FROM (no-reply@localhost)
	VerifyUserEmails                bool          // VERIFY_USER_EMAILS (false)
	PreventLoginWithUnverifiedEmail bool          // PREVENT_LOGIN_WITH_UNVERIFIED_EMAIL (false)
	EmailVerifyTokenValidity        time.Duration // EMAIL_VERIFY_TOKEN_VALIDITY seconds (0: no expiry)
	PasswordResetTokenValidity      time.Duration // PASSWORD_RESET_TOKEN_VALIDITY seconds (0: no expiry)
	PagesDir                        string        // PAGES_DIR: a folder of templates replacing the built-in pages

	// Files (Parse Server's maxUploadSize, fileUpload.*, preserveFileName; the S3 adapter's directAccess).
	FilesBucket         string        // FILES_BUCKET: the S3 bucket (empty: a local folder, DATA_DIR/files)
	FilesPrefix         string        // FILES_PREFIX: key prefix inside the bucket ("")
	FilesURLMode        string        // FILES_URL_MODE: proxy (default: /files/<appId>/<name>), direct or presigned
	FilesBaseURL        string        // FILES_BASE_URL: base of direct URLs (CDN or public bucket; default the bucket's URL)
	FilesPresignTTL     time.Duration // FILES_PRESIGN_TTL seconds (900): presigned upload and download URLs
	FilesProxyMaxBytes  int64         // FILES_PROXY_MAX_SIZE (5mb): larger proxied downloads redirect to a presigned URL
	FileMaxBytes        int64         // FILE_MAX_SIZE (20mb, maxUploadSize): uploads through the API
	FileUploadMaxBytes  int64         // FILE_UPLOAD_MAX_SIZE (5gb): presigned uploads straight to S3
	FileUploadPublic    bool          // FILE_UPLOAD_PUBLIC (false: fileUpload.enableForPublic)
	FileUploadAnonymous bool          // FILE_UPLOAD_ANONYMOUS (false: fileUpload.enableForAnonymousUser)
	FileUploadAuthed    bool          // FILE_UPLOAD_AUTHENTICATED (true: fileUpload.enableForAuthenticatedUser)
	FileExtensions      []string      // FILE_EXTENSIONS: comma list; "*", an extension, a regex, "!ext" denies
	PreserveFileName    bool          // PRESERVE_FILE_NAME (false: names get a 32-hex prefix)
	FilesCacheControl   string        // FILES_CACHE_CONTROL ("public, max-age=86400") on downloads

	// Idempotency (Parse Server's idempotencyOptions).
	IdempotencyPaths  []string      // IDEMPOTENCY_PATHS: comma list of path regexes, e.g. "classes/.*,functions/.*" (off)
	IdempotencyTTL    time.Duration // IDEMPOTENCY_TTL seconds (300)
	IdempotencyRepeat string        // IDEMPOTENCY_REPEAT: "replay" (the first answer again) or "error" (159) (replay)

	// Cloud Code.
	WebhookKey string // WEBHOOK_KEY: sent to webhooks as X-Parse-Webhook-Key (Parse Server's webhookKey)

	// Account lockout and password policy (both off by default, as in Parse Server).
	LockoutThreshold     int           // ACCOUNT_LOCKOUT_THRESHOLD (0: off)
	LockoutDuration      time.Duration // ACCOUNT_LOCKOUT_DURATION minutes (5)
	LockoutUnlockOnReset bool          // ACCOUNT_LOCKOUT_UNLOCK_ON_PASSWORD_RESET (false)
	PasswordPattern      string        // PASSWORD_POLICY_PATTERN (a Go regexp; empty: any)
	PasswordPatternError string        // PASSWORD_POLICY_VALIDATION_ERROR
	PasswordNoUsername   bool          // PASSWORD_POLICY_DO_NOT_ALLOW_USERNAME (false)
	PasswordMaxAge       time.Duration // PASSWORD_POLICY_MAX_AGE days (0: none)
	PasswordMaxHistory   int           // PASSWORD_POLICY_MAX_HISTORY (0: none, at most 20)

	// Auth providers: each is off unless its client/app ids are set. The URLs default to the
	// providers' own endpoints and exist so tests can use local stand-ins.
	AppleClientIDs   []string // AUTH_APPLE_CLIENT_IDS (comma list)
	AppleKeysURL     string   // AUTH_APPLE_KEYS_URL
	GoogleClientIDs  []string // AUTH_GOOGLE_CLIENT_IDS
	GoogleKeysURL    string   // AUTH_GOOGLE_KEYS_URL
	FacebookAppIDs   []string // AUTH_FACEBOOK_APP_IDS
	FacebookGraphURL string   // AUTH_FACEBOOK_GRAPH_URL
}

// Defaults returns the configuration with every default applied and no keys.
func Defaults() Config {
	return Config{
		AppID:         "parselambda",
		MasterKey:     "parselambda-master",
		ServerURL:     "http://localhost:1337/parse",
		MountPath:     "/parse",
		DatabaseName:  "parse",
		DefaultLimit:  100,
		EngineMaxScan: 100000,
		MaxBodyBytes:  20 << 20,
		BatchLimit:    50,
		AllowOrigin:   "*",

		SessionLength:                365 * 24 * time.Hour,
		ExpireInactiveSessions:       true,
		RevokeSessionOnPasswordReset: true,
		EnableAnonymousUsers:         true,
		AppName:                      "parselambda",
		MailFrom:                     "no-reply@localhost",
		LockoutDuration:              5 * time.Minute,

		FilesURLMode:       "proxy",
		FilesPresignTTL:    15 * time.Minute,
		FilesProxyMaxBytes: 5 << 20,
		FileMaxBytes:       20 << 20,
		FileUploadMaxBytes: 5 << 30,
		FileUploadAuthed:   true,
		FileExtensions:     DefaultFileExtensions,
		FilesCacheControl:  "public, max-age=86400",
		IdempotencyTTL:     300 * time.Second,
		IdempotencyRepeat:  "replay",
	}
}

// FromEnv reads the configuration through getenv (os.Getenv in programs, a map in tests).
func FromEnv(getenv func(string) string) (Config, error) {
	c := Defaults()
	str := func(key string, dst *string) {
		if v := strings.TrimSpace(getenv(key)); v != "" {
			*dst = v
		}
	}
	str("APP_ID", &c.AppID)
	str("MASTER_KEY", &c.MasterKey)
	str("REST_API_KEY", &c.RESTAPIKey)
	str("JAVASCRIPT_KEY", &c.JavaScriptKey)
	str("CLIENT_KEY", &c.ClientKey)
	str("WINDOWS_KEY", &c.WindowsKey)
	str("SERVER_URL", &c.ServerURL)
	str("MONGODB_URI", &c.MongoURI)
	str("ALLOW_ORIGIN", &c.AllowOrigin)
	str("WEBHOOK_KEY", &c.WebhookKey)

	u, err := url.Parse(c.ServerURL)
	if err != nil || u.Scheme == "" || u.Host == "" {
		return c, fmt.Errorf("SERVER_URL %q is not an absolute URL", c.ServerURL)
	}
	c.MountPath = "/" + strings.Trim(u.Path, "/")
	if c.MountPath == "/" {
		return c, fmt.Errorf("SERVER_URL %q needs a mount path such as /parse", c.ServerURL)
	}
	if c.MongoURI != "" {
		if mu, err := url.Parse(c.MongoURI); err == nil && strings.Trim(mu.Path, "/") != "" {
			c.DatabaseName = strings.Trim(mu.Path, "/")
		}
	}
	str("DATABASE_NAME", &c.DatabaseName)
	if c.PublicServerURL == "" {
		c.PublicServerURL = c.ServerURL
	}

	e := envReader{getenv: getenv}
	e.integer("DEFAULT_LIMIT", &c.DefaultLimit, 1, math.MaxInt)
	e.integer("MAX_LIMIT", &c.MaxLimit, 0, math.MaxInt)
	e.integer("BATCH_LIMIT", &c.BatchLimit, 1, math.MaxInt)
	e.integer("ENGINE_MAX_SCAN", &c.EngineMaxScan, 0, math.MaxInt)
	e.boolean("ALLOW_CLIENT_CLASS_CREATION", &c.AllowClientClassCreation)
	e.boolean("EXPIRE_INACTIVE_SESSIONS", &c.ExpireInactiveSessions)
	e.boolean("EXTEND_SESSION_ON_USE", &c.ExtendSessionOnUse)
	e.boolean("REVOKE_SESSION_ON_PASSWORD_RESET", &c.RevokeSessionOnPasswordReset)
	e.boolean("ENABLE_ANONYMOUS_USERS", &c.EnableAnonymousUsers)
	e.duration("SESSION_LENGTH", &c.SessionLength, time.Second, 1)

	str("APP_NAME", &c.AppName)
	str("PUBLIC_SERVER_URL", &c.PublicServerURL)
	str("MAIL_FROM", &c.MailFrom)
	str("PAGES_DIR", &c.PagesDir)
	e.boolean("VERIFY_USER_EMAILS", &c.VerifyUserEmails)
	e.boolean("PREVENT_LOGIN_WITH_UNVERIFIED_EMAIL", &c.PreventLoginWithUnverifiedEmail)
	e.duration("EMAIL_VERIFY_TOKEN_VALIDITY", &c.EmailVerifyTokenValidity, time.Second, 0)
	e.duration("PASSWORD_RESET_TOKEN_VALIDITY", &c.PasswordResetTokenValidity, time.Second, 0)

	e.list("AUTH_APPLE_CLIENT_IDS", &c.AppleClientIDs)
	e.list("AUTH_GOOGLE_CLIENT_IDS", &c.GoogleClientIDs)
	e.list("AUTH_FACEBOOK_APP_IDS", &c.FacebookAppIDs)
	str("AUTH_APPLE_KEYS_URL", &c.AppleKeysURL)
	str("AUTH_GOOGLE_KEYS_URL", &c.GoogleKeysURL)
	str("AUTH_FACEBOOK_GRAPH_URL", &c.FacebookGraphURL)

	str("PASSWORD_POLICY_PATTERN", &c.PasswordPattern)
	str("PASSWORD_POLICY_VALIDATION_ERROR", &c.PasswordPatternError)
	if c.PasswordPattern != "" {
		if _, err := regexp.Compile(c.PasswordPattern); err != nil {
			return c, fmt.Errorf("PASSWORD_POLICY_PATTERN: %v", err)
		}
	}
	e.integer("ACCOUNT_LOCKOUT_THRESHOLD", &c.LockoutThreshold, 0, 999)
	e.integer("PASSWORD_POLICY_MAX_HISTORY", &c.PasswordMaxHistory, 0, 20)
	e.duration("ACCOUNT_LOCKOUT_DURATION", &c.LockoutDuration, time.Minute, 0)
	e.duration("PASSWORD_POLICY_MAX_AGE", &c.PasswordMaxAge, 24*time.Hour, 0)
	e.boolean("ACCOUNT_LOCKOUT_UNLOCK_ON_PASSWORD_RESET", &c.LockoutUnlockOnReset)
	e.boolean("PASSWORD_POLICY_DO_NOT_ALLOW_USERNAME", &c.PasswordNoUsername)
	if e.err != nil {
		return c, e.err
	}
	if v := strings.TrimSpace(getenv("MAX_BODY_SIZE")); v != "" {
		n, err := ParseSize(v)
		if err != nil {
			return c, fmt.Errorf("MAX_BODY_SIZE=%q: %v", v, err)
		}
		c.MaxBodyBytes = n
	}
	if err := c.filesAndIdempotencyFromEnv(getenv); err != nil {
		return c, err
	}
	return c, nil
}

// ParseSize reads sizes such as "20mb", "512kb", "1048576".
func ParseSize(s string) (int64, error) {
	s = strings.ToLower(strings.TrimSpace(s))
	mult := int64(1)
	for _, suf := range []struct {
		s string
		m int64
	}{{"gb", 1 << 30}, {"mb", 1 << 20}, {"kb", 1 << 10}, {"b", 1}} {
		if strings.HasSuffix(s, suf.s) {
			mult = suf.m
			s = strings.TrimSpace(strings.TrimSuffix(s, suf.s))
			break
		}
	}
	n, err := strconv.ParseInt(s, 10, 64)
	if err != nil || n <= 0 {
		return 0, fmt.Errorf("want a positive size such as 20mb")
	}
	return n * mult, nil
}

// ClientKeysConfigured tells whether requests must carry one of the client keys.
func (c Config) ClientKeysConfigured() bool {
	return c.RESTAPIKey != "" || c.JavaScriptKey != "" || c.ClientKey != "" || c.WindowsKey != ""
}

// envReader reads typed settings, keeping the first error.
type envReader struct {
	getenv func(string) string
	err    error
}

func (e *envReader) value(key string) string { return strings.TrimSpace(e.getenv(key)) }

func (e *envReader) fail(format string, args ...any) {
	if e.err == nil {
		e.err = fmt.Errorf(format, args...)
	}
}

func (e *envReader) boolean(key string, dst *bool) {
	if v := e.value(key); v != "" {
		x, err := strconv.ParseBool(v)
		if err != nil {
			e.fail("%s=%q: want true or false", key, v)
			return
		}
		*dst = x
	}
}

func (e *envReader) integer(key string, dst *int, min, max int) {
	if v := e.value(key); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < min || n > max {
			if max == math.MaxInt {
				e.fail("%s=%q: want an integer >= %d", key, v, min)
			} else {
				e.fail("%s=%q: want an integer from %d to %d", key, v, min, max)
			}
			return
		}
		*dst = n
	}
}

// duration reads a whole number of units (at least min).
func (e *envReader) duration(key string, dst *time.Duration, unit time.Duration, min int) {
	var n int
	if e.value(key) == "" {
		return
	}
	e.integer(key, &n, min, math.MaxInt)
	if e.err == nil {
		*dst = time.Duration(n) * unit
	}
}

func (e *envReader) list(key string, dst *[]string) {
	for _, part := range strings.Split(e.getenv(key), ",") {
		if part = strings.TrimSpace(part); part != "" {
			*dst = append(*dst, part)
		}
	}
}
