package boot

import (
	"context"
	"encoding/json"
	"fmt"
	"net/url"
	"sort"
	"strconv"
	"strings"

	"github.com/parselambda/parselambda/shared/config"
)

// Database kinds (DB_KIND, set by the CDK app).
const (
	KindDocumentDB = "documentdb" // DB_SECRET_ARN holds DocumentDB's JSON credentials; TLS and retryWrites=false
	KindMongoDB    = "mongodb"    // DB_SECRET_ARN holds a connection string
)

// CADocumentDB is the DB_TLS_CA value that selects the embedded Amazon RDS/DocumentDB CA bundle.
const CADocumentDB = "documentdb"

// DefaultMaxPoolSize is MONGODB_MAX_POOL_SIZE's default: one function instance serves one request at a
// time, so a few connections suffice, and many instances share the database's connection limit.
const DefaultMaxPoolSize = 3

// Settings are everything a function container reads at cold start.
type Settings struct {
	Config config.Config // the engine's configuration, keys from PARSE_SECRET_ARN when set
	DB     DBSettings
	// Secrets tells where the keys came from ("env" or the secret's ARN), for the start-up log.
	KeysFrom, DBFrom string
}

// DBSettings say how to reach the database.
type DBSettings struct {
	URI         string // connection string (never logged: it may hold a password)
	Name        string // database name
	Kind        string // KindDocumentDB, KindMongoDB or "" (development)
	MaxPoolSize uint64 // MONGODB_MAX_POOL_SIZE
	TLSCA       string // DB_TLS_CA: "", CADocumentDB, or the path of a PEM bundle
}

// envAliases maps config.FromEnv's variable names to the names the CDK app (infra/functions.go) sets.
var envAliases = map[string]string{"DATABASE_NAME": "DB_NAME", "MAIL_FROM": "EMAIL_FROM"}

// appSecret is the JSON of PARSE_SECRET_ARN (Parse Server's option names).
type appSecret struct {
	AppID             string `json:"appId"`
	MasterKey         string `json:"masterKey"`
	ClientKey         string `json:"clientKey"`
	JavaScriptKey     string `json:"javascriptKey"`
	RESTAPIKey        string `json:"restAPIKey"`
	DotNetKey         string `json:"dotNetKey"`
	WindowsKey        string `json:"windowsKey"`
	ReadOnlyMasterKey string `json:"readOnlyMasterKey"`
}

var appSecretKeys = map[string]bool{"appId": true, "masterKey": true, "clientKey": true, "javascriptKey": true, "restAPIKey": true, "dotNetKey": true, "windowsKey": true, "readOnlyMasterKey": true}

// Load reads the configuration: environment variables (config.FromEnv, plus the CDK app's names), then
// the Parse keys from PARSE_SECRET_ARN and the database from DB_SECRET_ARN when those are set. Without
// them (local development) MASTER_KEY, MONGODB_URI and the other variables are used as they are.
// secrets is asked only for the ARNs that are set. Warnings (ignored secret keys) go to warn.
func Load(ctx context.Context, getenv func(string) string, secrets SecretSource, warn func(msg string, args ...any)) (Settings, error) {
	if warn == nil {
		warn = func(string, ...any) {}
	}
	env := func(k string) string { return strings.TrimSpace(getenv(k)) }
	// The CDK app's names for two of config.FromEnv's variables.
	aliased := func(k string) string {
		if alias, ok := envAliases[k]; ok && env(k) == "" {
			return env(alias)
		}
		return getenv(k)
	}
	cfg, err := config.FromEnv(aliased)
	if err != nil {
		return Settings{}, err
	}
	if mp := env("MOUNT_PATH"); mp != "" && "/"+strings.Trim(mp, "/") != cfg.MountPath {
		return Settings{}, fmt.Errorf("MOUNT_PATH %q does not match the path of SERVER_URL %q", mp, cfg.ServerURL)
	}
	s := Settings{Config: cfg, KeysFrom: "env", DBFrom: "env"}

	if arn := env("PARSE_SECRET_ARN"); arn != "" {
		if secrets == nil {
			return Settings{}, fmt.Errorf("PARSE_SECRET_ARN is set but no Secrets Manager client is available")
		}
		raw, err := secrets.SecretString(ctx, arn)
		if err != nil {
			return Settings{}, fmt.Errorf("PARSE_SECRET_ARN: %w", err)
		}
		if err := applyAppSecret(&s.Config, raw, env("APP_ID"), warn); err != nil {
			return Settings{}, fmt.Errorf("PARSE_SECRET_ARN %s: %w", arn, err)
		}
		s.KeysFrom = arn
	} else if env("MASTER_KEY") == "" && env("AWS_LAMBDA_FUNCTION_NAME") != "" {
		// config.Defaults has a well-known development master key; never serve it from a Lambda.
		return Settings{}, fmt.Errorf("no master key: set PARSE_SECRET_ARN (deployed) or MASTER_KEY (local runs)")
	}

	d := DBSettings{Kind: strings.ToLower(env("DB_KIND")), TLSCA: env("DB_TLS_CA"), MaxPoolSize: DefaultMaxPoolSize}
	switch d.Kind {
	case "", KindDocumentDB, KindMongoDB:
	default:
		return Settings{}, fmt.Errorf("DB_KIND=%q: want %q or %q", d.Kind, KindDocumentDB, KindMongoDB)
	}
	if d.Kind == KindDocumentDB && d.TLSCA == "" {
		d.TLSCA = CADocumentDB
	}
	if v := env("MONGODB_MAX_POOL_SIZE"); v != "" {
		n, err := strconv.ParseUint(v, 10, 16)
		if err != nil || n < 1 {
			return Settings{}, fmt.Errorf("MONGODB_MAX_POOL_SIZE=%q: want an integer >= 1", v)
		}
		d.MaxPoolSize = n
	}
	if arn := env("DB_SECRET_ARN"); arn != "" {
		if secrets == nil {
			return Settings{}, fmt.Errorf("DB_SECRET_ARN is set but no Secrets Manager client is available")
		}
		raw, err := secrets.SecretString(ctx, arn)
		if err != nil {
			return Settings{}, fmt.Errorf("DB_SECRET_ARN: %w", err)
		}
		if d.URI, err = uriFromDBSecret(d.Kind, raw); err != nil {
			return Settings{}, fmt.Errorf("DB_SECRET_ARN %s: %w", arn, err)
		}
		s.DBFrom = arn
	} else {
		d.URI = cfg.MongoURI
	}
	if d.URI == "" {
		return Settings{}, fmt.Errorf("no database: set DB_SECRET_ARN (deployed) or MONGODB_URI (local runs)")
	}
	s.Config.MongoURI = d.URI
	// The database name: DATABASE_NAME / DB_NAME, else the connection string's path, else "parse".
	d.Name = env("DATABASE_NAME")
	if d.Name == "" {
		d.Name = env("DB_NAME")
	}
	if d.Name == "" {
		if u, err := url.Parse(d.URI); err == nil {
			d.Name = strings.Trim(u.Path, "/")
		}
	}
	if d.Name == "" {
		d.Name = config.Defaults().DatabaseName
	}
	s.Config.DatabaseName = d.Name
	s.DB = d
	return s, nil
}

func applyAppSecret(cfg *config.Config, raw string, envAppID string, warn func(string, ...any)) error {
	var all map[string]any
	if err := json.Unmarshal([]byte(raw), &all); err != nil {
		return fmt.Errorf("the secret is not a JSON object with masterKey (and optional appId, clientKey, javascriptKey, restAPIKey, dotNetKey)")
	}
	var sec appSecret
	if err := json.Unmarshal([]byte(raw), &sec); err != nil {
		return fmt.Errorf("the secret's keys must be strings")
	}
	var unknown []string
	for k := range all {
		if !appSecretKeys[k] {
			unknown = append(unknown, k)
		}
	}
	if len(unknown) > 0 {
		sort.Strings(unknown)
		warn("Parse secret: ignoring unknown keys", "keys", unknown)
	}
	if sec.ReadOnlyMasterKey != "" {
		warn("Parse secret: readOnlyMasterKey is not supported yet and is ignored")
	}
	if sec.MasterKey == "" {
		return fmt.Errorf("the secret has no masterKey")
	}
	if sec.AppID != "" {
		if envAppID != "" && envAppID != sec.AppID {
			return fmt.Errorf("the secret's appId does not match APP_ID %q", envAppID)
		}
		cfg.AppID = sec.AppID
	}
	cfg.MasterKey = sec.MasterKey
	cfg.ClientKey = sec.ClientKey
	cfg.JavaScriptKey = sec.JavaScriptKey
	cfg.RESTAPIKey = sec.RESTAPIKey
	cfg.WindowsKey = sec.WindowsKey
	if sec.DotNetKey != "" {
		cfg.WindowsKey = sec.DotNetKey // Parse Server's dotNetKey is checked against X-Parse-Windows-Key
	}
	return nil
}

// dbSecret is the JSON that DocumentDB (and RDS) write into a cluster's generated secret, or an object
// holding a connection string.
type dbSecret struct {
	URI      string          `json:"uri"`
	Username string          `json:"username"`
	Password string          `json:"password"`
	Host     string          `json:"host"`
	Port     json.RawMessage `json:"port"` // a number in DocumentDB's secret; a string is accepted
}

// uriFromDBSecret turns the database secret into a connection string: a mongodb:// string as it is, a
// JSON object with "uri", or DocumentDB's {"username","password","host","port",...}. Errors never
// quote the secret.
func uriFromDBSecret(kind, raw string) (string, error) {
	raw = strings.TrimSpace(raw)
	if strings.HasPrefix(raw, "mongodb://") || strings.HasPrefix(raw, "mongodb+srv://") {
		return raw, nil
	}
	var sec dbSecret
	if err := json.Unmarshal([]byte(raw), &sec); err != nil {
		return "", fmt.Errorf("the secret is neither a mongodb:// connection string nor a JSON object")
	}
	if sec.URI != "" {
		if !strings.HasPrefix(sec.URI, "mongodb://") && !strings.HasPrefix(sec.URI, "mongodb+srv://") {
			return "", fmt.Errorf("the secret's uri is not a mongodb:// connection string")
		}
		return sec.URI, nil
	}
	if sec.Host == "" || sec.Username == "" || sec.Password == "" {
		return "", fmt.Errorf("the secret has neither uri nor username, password and host")
	}
	port := strings.Trim(string(sec.Port), `"`)
	if port == "" || port == "null" {
		port = "27017"
	}
	if _, err := strconv.ParseUint(port, 10, 16); err != nil {
		return "", fmt.Errorf("the secret's port is not a port number")
	}
	u := url.URL{Scheme: "mongodb", User: url.UserPassword(sec.Username, sec.Password), Host: sec.Host + ":" + port, Path: "/"}
	if kind == KindDocumentDB {
		// AWS's recommended DocumentDB options: TLS, the cluster's replica set, no retryable writes
		// (DocumentDB does not support them). The CA comes from DB_TLS_CA (see ClientOptions).
		u.RawQuery = "tls=true&replicaSet=rs0&retryWrites=false"
	}
	return u.String(), nil
}
