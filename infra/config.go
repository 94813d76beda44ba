package main

import (
	"encoding/json"
	"fmt"
	"regexp"
	"sort"
	"strconv"
	"strings"

	"github.com/aws/aws-cdk-go/awscdk/v2/awslogs"
	"github.com/aws/constructs-go/constructs/v10"
)

// Stage names accepted by the `stage` context key.
const (
	StageDev  = "dev"
	StageProd = "prod"
)

// Config is everything the app reads from CDK context (`-c key=value` or cdk.json "context"). Every field
// has a default, so `cdk synth` with no context builds a small dev deployment.
type Config struct {
	Stage string // dev | prod
	AppID string // Parse application id (APP_ID)

	BuildDir string // folder holding <family>/bootstrap, relative to the working directory (repo root for cdk)

	// Network.
	NAT         bool     // nat=true: public subnets + NAT gateway(s), functions in PRIVATE_WITH_EGRESS
	NATGateways int      // natGateways (only with nat=true), default 1
	Endpoints   []string // endpoints: interface endpoint service names; nil = default set (see network.go)

	// Database.
	DBInstanceClass   string // dbInstanceClass, e.g. db.t4g.medium
	DBInstances       int    // dbInstances
	DBName            string // dbName: database name inside the cluster
	DBBackupDays      int    // dbBackupDays
	DBMaxConnections  int    // dbMaxConnections per instance; default known for t3/t4g.medium, else 0 (unchecked)
	MongoURISecretArn string // mongoUriSecretArn: existing MongoDB; no DocumentDB cluster when set

	// Functions.
	ReservedConcurrency int // reservedConcurrency per function; 0 = no reservation
	MemorySize          int // memorySize in MB
	APITimeoutSeconds   int // apiTimeout (API Gateway HTTP APIs cut off at 30 s)
	JobsTimeoutSeconds  int // jobsTimeout
	MaxPoolSize         int // mongoMaxPoolSize -> MONGODB_MAX_POOL_SIZE

	// API.
	RateLimit      float64  // rateLimit (requests per second, default stage)
	BurstLimit     int      // burstLimit
	CorsOrigins    []string // corsOrigins (JSON list or comma separated); default ["*"]
	DomainName     string   // domainName (custom domain), needs certificateArn
	CertificateArn string   // certificateArn (ACM, same region as the API)

	// Files.
	FilesVersioned bool // filesVersioned

	// Messaging.
	SenderEmail              string            // senderEmail: SES email identity for verification / reset mails
	PushPlatformApplications map[string]string // pushPlatformApplications: {"ios": "arn:aws:sns:...:app/APNS/x", ...}
	AlarmEmail               string            // alarmEmail: subscribed to the alarms topic

	// Operations.
	LogRetentionDays int           // logRetentionDays for CloudWatch log groups
	JobSchedules     []JobSchedule // jobSchedules: [{"name":..,"expression":"cron(..)","timeZone":".."}]
	// MaintenanceJobs (maintenanceJobs, default true) schedules the built-in daily maintenance job;
	// JobStatusKeepDays (jobStatusKeepDays, default 30) is how long it keeps _JobStatus/_PushStatus rows.
	MaintenanceJobs   bool
	JobStatusKeepDays int
}

// Prod reports whether this is a production stage (retain data, deletion protection).
func (c Config) Prod() bool { return c.Stage == StageProd }

// ExternalMongo reports whether an existing MongoDB is used instead of a DocumentDB cluster.
func (c Config) ExternalMongo() bool { return c.MongoURISecretArn != "" }

// LogRetention maps LogRetentionDays onto the CloudWatch enum.
func (c Config) LogRetention() awslogs.RetentionDays {
	return retentionDays[c.LogRetentionDays]
}

var retentionDays = map[int]awslogs.RetentionDays{
	1: awslogs.RetentionDays_ONE_DAY, 3: awslogs.RetentionDays_THREE_DAYS, 5: awslogs.RetentionDays_FIVE_DAYS,
	7: awslogs.RetentionDays_ONE_WEEK, 14: awslogs.RetentionDays_TWO_WEEKS, 30: awslogs.RetentionDays_ONE_MONTH,
	60: awslogs.RetentionDays_TWO_MONTHS, 90: awslogs.RetentionDays_THREE_MONTHS, 120: awslogs.RetentionDays_FOUR_MONTHS,
	150: awslogs.RetentionDays_FIVE_MONTHS, 180: awslogs.RetentionDays_SIX_MONTHS, 365: awslogs.RetentionDays_ONE_YEAR,
	400: awslogs.RetentionDays_THIRTEEN_MONTHS, 545: awslogs.RetentionDays_EIGHTEEN_MONTHS,
	731: awslogs.RetentionDays_TWO_YEARS, 1827: awslogs.RetentionDays_FIVE_YEARS, 3653: awslogs.RetentionDays_TEN_YEARS,
}

// ConfigFromContext reads and validates the context of node (normally the App).
func ConfigFromContext(node constructs.Node) (Config, error) {
	r := ctxReader{node: node}
	c := Config{
		Stage:    r.str("stage", StageDev),
		AppID:    r.str("appId", "parselambda"),
		BuildDir: r.str("buildDir", "build"),

		NAT:         r.boolean("nat", false),
		NATGateways: r.integer("natGateways", 1),
		Endpoints:   r.list("endpoints"),

		DBInstanceClass:   r.str("dbInstanceClass", "db.t4g.medium"),
		DBInstances:       r.integer("dbInstances", 1),
		DBName:            r.str("dbName", "parse"),
		MongoURISecretArn: r.str("mongoUriSecretArn", ""),

		ReservedConcurrency: r.integer("reservedConcurrency", 5),
		MemorySize:          r.integer("memorySize", 512),
		APITimeoutSeconds:   r.integer("apiTimeout", 30),
		JobsTimeoutSeconds:  r.integer("jobsTimeout", 900),
		MaxPoolSize:         r.integer("mongoMaxPoolSize", 3),

		RateLimit:      r.float("rateLimit", 100),
		BurstLimit:     r.integer("burstLimit", 200),
		CorsOrigins:    r.list("corsOrigins"),
		DomainName:     r.str("domainName", ""),
		CertificateArn: r.str("certificateArn", ""),

		FilesVersioned: r.boolean("filesVersioned", false),

		SenderEmail:              r.str("senderEmail", ""),
		PushPlatformApplications: r.stringMap("pushPlatformApplications"),
		AlarmEmail:               r.str("alarmEmail", ""),

		MaintenanceJobs:   r.boolean("maintenanceJobs", true),
		JobStatusKeepDays: r.integer("jobStatusKeepDays", 30),
	}
	defBackup, defRetention := 7, 30
	if c.Stage == StageProd {
		defBackup, defRetention = 14, 365
	}
	c.DBBackupDays = r.integer("dbBackupDays", defBackup)
	c.DBMaxConnections = r.integer("dbMaxConnections", docdbMaxConnections[c.DBInstanceClass])
	c.LogRetentionDays = r.integer("logRetentionDays", defRetention)
	if len(c.CorsOrigins) == 0 {
		c.CorsOrigins = []string{"*"}
	}
	if raw := r.raw("jobSchedules"); raw != nil {
		var js []JobSchedule
		if err := decodeJSONish(raw, &js); err != nil {
			r.errs = append(r.errs, fmt.Sprintf("jobSchedules: %v", err))
		}
		c.JobSchedules = js
	}
	c.JobSchedules = MergeJobSchedules(CodeJobSchedules(c.MaintenanceJobs), c.JobSchedules)
	if err := r.err(); err != nil {
		return c, err
	}
	return c, c.validate()
}

var (
	secretArnRe      = regexp.MustCompile(`^arn:aws[a-z-]*:secretsmanager:[a-z0-9-]+:\d{12}:secret:.+`)
	platformAppArnRe = regexp.MustCompile(`^arn:aws[a-z-]*:sns:[a-z0-9-]+:\d{12}:app/[A-Z_]+/.+`)
	certArnRe        = regexp.MustCompile(`^arn:aws[a-z-]*:acm:[a-z0-9-]+:\d{12}:certificate/.+`)
)

func (c Config) validate() error {
	var errs []string
	add := func(f string, a ...any) { errs = append(errs, fmt.Sprintf(f, a...)) }
	if c.Stage != StageDev && c.Stage != StageProd {
		add("stage must be %q or %q, got %q", StageDev, StageProd, c.Stage)
	}
	if c.AppID == "" {
		add("appId must not be empty")
	}
	if c.BuildDir == "" {
		add("buildDir must not be empty")
	}
	if c.NAT && (c.NATGateways < 1 || c.NATGateways > 2) {
		add("natGateways must be 1 or 2, got %d", c.NATGateways)
	}
	for _, e := range c.Endpoints {
		if _, ok := endpointServices[e]; !ok {
			add("endpoints: unknown service %q (known: %s)", e, strings.Join(knownEndpoints(), ", "))
		}
	}
	if !strings.HasPrefix(c.DBInstanceClass, "db.") {
		add("dbInstanceClass must look like db.t4g.medium, got %q", c.DBInstanceClass)
	}
	if c.DBInstances < 1 || c.DBInstances > 16 {
		add("dbInstances must be 1..16, got %d", c.DBInstances)
	}
	if c.DBBackupDays < 1 || c.DBBackupDays > 35 {
		add("dbBackupDays must be 1..35, got %d", c.DBBackupDays)
	}
	if c.MongoURISecretArn != "" && !secretArnRe.MatchString(c.MongoURISecretArn) {
		add("mongoUriSecretArn is not a Secrets Manager secret ARN: %q", c.MongoURISecretArn)
	}
	if c.ReservedConcurrency < 0 {
		add("reservedConcurrency must be >= 0, got %d", c.ReservedConcurrency)
	}
	if c.MemorySize < 128 || c.MemorySize > 10240 {
		add("memorySize must be 128..10240, got %d", c.MemorySize)
	}
	if c.APITimeoutSeconds < 1 || c.APITimeoutSeconds > 30 {
		add("apiTimeout must be 1..30 seconds (HTTP API limit), got %d", c.APITimeoutSeconds)
	}
	if c.JobsTimeoutSeconds < 1 || c.JobsTimeoutSeconds > 900 {
		add("jobsTimeout must be 1..900 seconds, got %d", c.JobsTimeoutSeconds)
	}
	if c.MaxPoolSize < 1 {
		add("mongoMaxPoolSize must be >= 1, got %d", c.MaxPoolSize)
	}
	if c.RateLimit <= 0 || c.BurstLimit <= 0 {
		add("rateLimit and burstLimit must be > 0")
	}
	if (c.DomainName == "") != (c.CertificateArn == "") {
		add("domainName and certificateArn must be given together")
	}
	if c.CertificateArn != "" && !certArnRe.MatchString(c.CertificateArn) {
		add("certificateArn is not an ACM certificate ARN: %q", c.CertificateArn)
	}
	for k, v := range c.PushPlatformApplications {
		if !platformAppArnRe.MatchString(v) {
			add("pushPlatformApplications[%s] is not an SNS platform application ARN: %q", k, v)
		}
	}
	if c.SenderEmail != "" && !strings.Contains(c.SenderEmail, "@") {
		add("senderEmail must be an email address, got %q", c.SenderEmail)
	}
	if _, ok := retentionDays[c.LogRetentionDays]; !ok {
		add("logRetentionDays %d is not a CloudWatch retention value", c.LogRetentionDays)
	}
	seen := map[string]bool{}
	if c.JobStatusKeepDays < 1 {
		add("jobStatusKeepDays must be at least 1, got %d", c.JobStatusKeepDays)
	}
	for _, j := range c.JobSchedules {
		if err := j.validate(); err != nil {
			add("jobSchedules: %v", err)
		}
		if seen[j.Name] {
			add("jobSchedules: duplicate job %q", j.Name)
		}
		seen[j.Name] = true
	}
	if len(errs) > 0 {
		return fmt.Errorf("invalid context: %s", strings.Join(errs, "; "))
	}
	return nil
}

// ctxReader reads typed values from context, which holds strings when given with -c and JSON values
// when given in cdk.json or App props.
type ctxReader struct {
	node constructs.Node
	errs []string
}

func (r *ctxReader) raw(key string) any {
	v := r.node.TryGetContext(&key)
	if v == nil {
		return nil
	}
	if s, ok := v.(string); ok && s == "" {
		return nil
	}
	return v
}

func (r *ctxReader) str(key, def string) string {
	switch v := r.raw(key).(type) {
	case nil:
		return def
	case string:
		return v
	default:
		return fmt.Sprint(v)
	}
}

func (r *ctxReader) boolean(key string, def bool) bool {
	switch v := r.raw(key).(type) {
	case nil:
		return def
	case bool:
		return v
	case string:
		b, err := strconv.ParseBool(v)
		if err != nil {
			r.errs = append(r.errs, fmt.Sprintf("%s: want true/false, got %q", key, v))
			return def
		}
		return b
	default:
		r.errs = append(r.errs, fmt.Sprintf("%s: want a boolean, got %v", key, v))
		return def
	}
}

func (r *ctxReader) float(key string, def float64) float64 {
	switch v := r.raw(key).(type) {
	case nil:
		return def
	case float64:
		return v
	case string:
		f, err := strconv.ParseFloat(v, 64)
		if err != nil {
			r.errs = append(r.errs, fmt.Sprintf("%s: want a number, got %q", key, v))
			return def
		}
		return f
	default:
		r.errs = append(r.errs, fmt.Sprintf("%s: want a number, got %v", key, v))
		return def
	}
}

func (r *ctxReader) integer(key string, def int) int {
	f := r.float(key, float64(def))
	if f != float64(int(f)) {
		r.errs = append(r.errs, fmt.Sprintf("%s: want an integer, got %v", key, f))
		return def
	}
	return int(f)
}

// list accepts a JSON array, a JSON array in a string, or a comma separated string.
func (r *ctxReader) list(key string) []string {
	v := r.raw(key)
	if v == nil {
		return nil
	}
	if s, ok := v.(string); ok && !strings.HasPrefix(strings.TrimSpace(s), "[") {
		var out []string
		for _, p := range strings.Split(s, ",") {
			if p = strings.TrimSpace(p); p != "" {
				out = append(out, p)
			}
		}
		return out
	}
	var out []string
	if err := decodeJSONish(v, &out); err != nil {
		r.errs = append(r.errs, fmt.Sprintf("%s: %v", key, err))
	}
	return out
}

func (r *ctxReader) stringMap(key string) map[string]string {
	v := r.raw(key)
	if v == nil {
		return nil
	}
	var out map[string]string
	if err := decodeJSONish(v, &out); err != nil {
		r.errs = append(r.errs, fmt.Sprintf("%s: %v", key, err))
	}
	return out
}

func (r *ctxReader) err() error {
	if len(r.errs) == 0 {
		return nil
	}
	return fmt.Errorf("invalid context: %s", strings.Join(r.errs, "; "))
}

// decodeJSONish decodes v (a JSON string, or an already decoded JSON value) into out.
func decodeJSONish(v any, out any) error {
	var b []byte
	if s, ok := v.(string); ok {
		b = []byte(s)
	} else {
		var err error
		if b, err = json.Marshal(v); err != nil {
			return err
		}
	}
	return json.Unmarshal(b, out)
}

// sortedKeys returns the keys of m in order, for deterministic templates.
func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}
