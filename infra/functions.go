package main

import (
	"fmt"
	"os"
	"path/filepath"
	"strconv"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsec2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsiam"
	"github.com/aws/aws-cdk-go/awscdk/v2/awslambda"
	"github.com/aws/aws-cdk-go/awscdk/v2/awslogs"
	"github.com/aws/aws-cdk-go/awscdk/v2/awss3"
	"github.com/aws/aws-cdk-go/awscdk/v2/awssecretsmanager"
	"github.com/aws/constructs-go/constructs/v10"
	"github.com/aws/jsii-runtime-go"
	"github.com/parselambda/parselambda/shared/config"
	"github.com/parselambda/parselambda/shared/families"
)

// jobsFamily is the family whose function runs Cloud Code jobs (long timeout, schedule target).
const jobsFamily = "jobs"

// familyNames lists families.All's names in order.
func familyNames() []string {
	names := make([]string, len(families.All))
	for i, f := range families.All {
		names[i] = f.Name
	}
	return names
}

// Extra permissions per family, beyond reading the two secrets that every function gets. Cloud Code runs
// in the functions and jobs families, so they can send pushes and mail, store files and start jobs.
type familyGrant struct {
	files, push, email, invokeJobs bool
}

var familyGrants = map[string]familyGrant{
	"files":     {files: true},
	"push":      {push: true},
	"users":     {email: true}, // verification and password reset mail
	"functions": {files: true, push: true, email: true, invokeJobs: true},
	"jobs":      {files: true, push: true, email: true, invokeJobs: true}, // POST /jobs invokes itself asynchronously
}

// FunctionsProps is what NewFunctions wires into the functions.
type FunctionsProps struct {
	Config    Config
	Network   *Network
	Database  *Database
	AppSecret awssecretsmanager.ISecret
	Files     awss3.IBucket
	Messaging *Messaging
	ServerURL string
}

// Functions are the per-family Lambda functions.
type Functions struct {
	ByName map[string]awslambda.Function
	Names  []string // families.All order
}

// IFunctions returns ByName as IFunction values (for the API).
func (f *Functions) IFunctions() map[string]awslambda.IFunction {
	out := map[string]awslambda.IFunction{}
	for k, v := range f.ByName {
		out[k] = v
	}
	return out
}

// CheckAssets reports a family whose build/<name>/bootstrap is missing, before CDK fails less clearly.
func CheckAssets(cfg Config) error {
	for _, name := range familyNames() {
		p := filepath.Join(cfg.BuildDir, name, "bootstrap")
		if _, err := os.Stat(p); err != nil {
			return fmt.Errorf("missing %s: build the functions first (or create placeholders, see infra/infra.mk): %w", p, err)
		}
	}
	return nil
}

// NewFunctions creates one function per family in families.All: provided.al2023 on arm64, handler
// bootstrap, code from <buildDir>/<name>, in the app subnets with the functions' security group, its own
// log group, reserved concurrency (so the sum of function instances times the connection pool stays
// within the database's connection limit) and only the grants its family needs. Secrets are passed by
// ARN, never by value.
func NewFunctions(scope constructs.Construct, p FunctionsProps) *Functions {
	cfg := p.Config
	common := map[string]*string{
		"APP_ID":                     jsii.String(cfg.AppID),
		"STAGE":                      jsii.String(cfg.Stage),
		"SERVER_URL":                 jsii.String(p.ServerURL),
		"MOUNT_PATH":                 jsii.String(MountPath),
		"PARSE_SECRET_ARN":           p.AppSecret.SecretArn(),
		"DB_KIND":                    jsii.String(p.Database.Kind),
		"DB_SECRET_ARN":              p.Database.Secret.SecretArn(),
		"DB_NAME":                    jsii.String(cfg.DBName),
		"MONGODB_MAX_POOL_SIZE":      jsii.String(strconv.Itoa(cfg.MaxPoolSize)),
		"FILES_BUCKET":               p.Files.BucketName(),
		"PUSH_TOPIC_ARN":             p.Messaging.PushTopic.TopicArn(),
		"PUSH_PLATFORM_APPLICATIONS": jsii.String(p.Messaging.PlatformAppsJSON()),
		// Read by the Go runtime at start only: keeps its monitor thread out of the sleep-and-wake
		// cycle around every database wait (up to a quarter of a create's CPU; shared/config/runtime.go).
		"GODEBUG": jsii.String(config.LambdaGODEBUG),
	}
	if p.Database.Kind == DBKindDocumentDB {
		common["DB_TLS_CA"] = jsii.String("documentdb")
	}
	if cfg.SenderEmail != "" {
		common["EMAIL_FROM"] = jsii.String(cfg.SenderEmail)
	}

	out := &Functions{ByName: map[string]awslambda.Function{}, Names: familyNames()}
	// The jobs function first, so the others can name it in JOBS_FUNCTION_NAME.
	order := append([]string{jobsFamily}, without(out.Names, jobsFamily)...)
	for _, name := range order {
		if _, ok := families.ByName(name); !ok {
			continue // no jobs family in the table
		}
		env := map[string]*string{"PARSE_FAMILY": jsii.String(name)}
		for k, v := range common {
			env[k] = v
		}
		timeout := cfg.APITimeoutSeconds
		if name == jobsFamily {
			timeout = cfg.JobsTimeoutSeconds
			env["MAINTENANCE_JOBS"] = jsii.String(strconv.FormatBool(cfg.MaintenanceJobs))
			env["JOB_STATUS_KEEP_DAYS"] = jsii.String(strconv.Itoa(cfg.JobStatusKeepDays))
		} else if jobs, ok := out.ByName[jobsFamily]; ok {
			env["JOBS_FUNCTION_NAME"] = jobs.FunctionName()
		}
		var reserved *float64
		if cfg.ReservedConcurrency > 0 {
			reserved = jsii.Number(float64(cfg.ReservedConcurrency))
		}
		logs := awslogs.NewLogGroup(scope, jsii.String("Logs-"+name), &awslogs.LogGroupProps{
			Retention:     cfg.LogRetention(),
			RemovalPolicy: removalPolicy(cfg),
		})
		fn := awslambda.NewFunction(scope, jsii.String("Fn-"+name), &awslambda.FunctionProps{
			Description:                  jsii.String("Parse " + name + " endpoints (" + cfg.AppID + ", " + cfg.Stage + ")"),
			Runtime:                      awslambda.Runtime_PROVIDED_AL2023(),
			Architecture:                 awslambda.Architecture_ARM_64(),
			Handler:                      jsii.String("bootstrap"),
			Code:                         awslambda.Code_FromAsset(jsii.String(filepath.Join(cfg.BuildDir, name)), nil),
			MemorySize:                   jsii.Number(float64(cfg.MemorySize)),
			Timeout:                      awscdk.Duration_Seconds(jsii.Number(float64(timeout))),
			ReservedConcurrentExecutions: reserved,
			Vpc:                          p.Network.Vpc,
			VpcSubnets:                   p.Network.FunctionSubnets,
			SecurityGroups:               &[]awsec2.ISecurityGroup{p.Network.FunctionsSG},
			Environment:                  &env,
			LogGroup:                     logs,
		})
		p.AppSecret.GrantRead(fn, nil)
		p.Database.Secret.GrantRead(fn, nil)

		g := familyGrants[name]
		if g.files {
			p.Files.GrantReadWrite(fn, nil)
		}
		if g.push {
			p.Messaging.GrantPush(fn)
		}
		if g.email {
			p.Messaging.GrantEmail(fn)
		}
		if g.invokeJobs {
			if name == jobsFamily {
				// A separate policy, not the role's default policy: the function depends on its default
				// policy, so naming the function's own ARN there would be a dependency cycle.
				awsiam.NewPolicy(scope, jsii.String("JobsSelfInvoke"), &awsiam.PolicyProps{
					Roles: &[]awsiam.IRole{fn.Role()},
					Statements: &[]awsiam.PolicyStatement{awsiam.NewPolicyStatement(&awsiam.PolicyStatementProps{
						Actions:   jsii.Strings("lambda:InvokeFunction"),
						Resources: &[]*string{fn.FunctionArn()},
					})},
				})
			} else if jobs, ok := out.ByName[jobsFamily]; ok {
				jobs.GrantInvoke(fn)
			}
		}
		out.ByName[name] = fn
	}
	return out
}

func without(list []string, drop string) []string {
	var out []string
	for _, s := range list {
		if s != drop {
			out = append(out, s)
		}
	}
	return out
}
