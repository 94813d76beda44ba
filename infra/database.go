package main

import (
	"fmt"
	"regexp"
	"strings"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsdocdb"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsec2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awssecretsmanager"
	"github.com/aws/constructs-go/constructs/v10"
	"github.com/aws/jsii-runtime-go"
)

// Database kinds, passed to the functions as DB_KIND.
const (
	// DBKindDocumentDB: DB_SECRET_ARN holds the JSON DocumentDB writes (username, password, host, port,
	// ...); connect with TLS (DB_TLS_CA=documentdb, the Amazon RDS CA bundle) and retryWrites=false.
	DBKindDocumentDB = "documentdb"
	// DBKindMongoDB: DB_SECRET_ARN holds a MongoDB connection string.
	DBKindMongoDB = "mongodb"
)

// DocumentDB's default (and only for MongoDB drivers conventional) port.
const dbPort = 27017

// Database is where the functions' data lives and how they find it.
type Database struct {
	Kind          string
	Secret        awssecretsmanager.ISecret
	Cluster       awsdocdb.DatabaseCluster // nil with an external MongoDB
	SecurityGroup awsec2.SecurityGroup     // nil with an external MongoDB
}

// NewDatabase creates an encrypted, TLS-only DocumentDB cluster in the isolated subnets whose security
// group admits only the functions on 27017, with generated master credentials in Secrets Manager; or,
// with mongoUriSecretArn, references the existing secret and creates no cluster.
func NewDatabase(scope constructs.Construct, cfg Config, net *Network) *Database {
	if cfg.ExternalMongo() {
		var secret awssecretsmanager.ISecret
		if completeSecretArn.MatchString(cfg.MongoURISecretArn) {
			secret = awssecretsmanager.Secret_FromSecretCompleteArn(scope, jsii.String("MongoUriSecret"), jsii.String(cfg.MongoURISecretArn))
		} else {
			secret = awssecretsmanager.Secret_FromSecretPartialArn(scope, jsii.String("MongoUriSecret"), jsii.String(cfg.MongoURISecretArn))
		}
		if !cfg.NAT {
			awscdk.Annotations_Of(scope).AddWarningV2(jsii.String("parselambda:external-mongo-no-egress"), jsii.String(
				"mongoUriSecretArn is set but nat=false: the functions have no internet egress, so the MongoDB "+
					"server must be reachable inside the VPC (peering / PrivateLink), or deploy with -c nat=true"))
		}
		return &Database{Kind: DBKindMongoDB, Secret: secret}
	}

	sg := awsec2.NewSecurityGroup(scope, jsii.String("DatabaseSG"), &awsec2.SecurityGroupProps{
		Vpc:              net.Vpc,
		Description:      jsii.String("DocumentDB: MongoDB protocol from the Parse functions only"),
		AllowAllOutbound: jsii.Bool(false),
	})
	sg.AddIngressRule(net.FunctionsSG, awsec2.Port_Tcp(jsii.Number(dbPort)), jsii.String("MongoDB from the functions"), nil)

	params := awsdocdb.NewClusterParameterGroup(scope, jsii.String("DatabaseParams"), &awsdocdb.ClusterParameterGroupProps{
		Family:      jsii.String("docdb5.0"),
		Description: jsii.String("Parse on DocumentDB: TLS required, audit and profiler logs on"),
		Parameters: &map[string]*string{
			"tls":                   jsii.String("enabled"),
			"audit_logs":            jsii.String("enabled"),
			"profiler":              jsii.String("enabled"),
			"profiler_threshold_ms": jsii.String("200"),
		},
	})

	rp := removalPolicy(cfg)
	cluster := awsdocdb.NewDatabaseCluster(scope, jsii.String("Database"), &awsdocdb.DatabaseClusterProps{
		Vpc:                            net.Vpc,
		VpcSubnets:                     net.DBSubnets,
		SecurityGroup:                  sg,
		EngineVersion:                  jsii.String("5.0.0"),
		ParameterGroup:                 params,
		MasterUser:                     &awsdocdb.Login{Username: jsii.String("parseadmin")},
		InstanceType:                   awsec2.NewInstanceType(jsii.String(strings.TrimPrefix(cfg.DBInstanceClass, "db."))),
		Instances:                      jsii.Number(float64(cfg.DBInstances)),
		Port:                           jsii.Number(dbPort),
		StorageEncrypted:               jsii.Bool(true),
		Backup:                         &awsdocdb.BackupProps{Retention: awscdk.Duration_Days(jsii.Number(float64(cfg.DBBackupDays)))},
		ExportAuditLogsToCloudWatch:    jsii.Bool(true),
		ExportProfilerLogsToCloudWatch: jsii.Bool(true),
		CloudWatchLogsRetention:        cfg.LogRetention(),
		CopyTagsToSnapshot:             jsii.Bool(true),
		DeletionProtection:             jsii.Bool(cfg.Prod()),
		RemovalPolicy:                  rp,
		InstanceRemovalPolicy:          rp,
		SecurityGroupRemovalPolicy:     rp,
	})

	// The generated credentials live as long as the cluster (prod: retained with it).
	cluster.Node().FindChild(jsii.String("Secret")).Node().DefaultChild().(awscdk.CfnResource).ApplyRemovalPolicy(rp, nil)

	if limit := cfg.DBMaxConnections; limit > 0 {
		perInstance := cfg.MaxPoolSize + 2 // pool + the driver's two monitoring connections
		if cfg.ReservedConcurrency == 0 {
			awscdk.Annotations_Of(scope).AddWarningV2(jsii.String("parselambda:db-connections-unbounded"), jsii.String(fmt.Sprintf(
				"reservedConcurrency=0: function concurrency is unbounded, so DocumentDB connections (max %d per instance on %s) can be exhausted",
				limit, cfg.DBInstanceClass)))
		} else if need := len(familyNames()) * cfg.ReservedConcurrency * perInstance; need > limit {
			awscdk.Annotations_Of(scope).AddWarningV2(jsii.String("parselambda:db-connections"), jsii.String(fmt.Sprintf(
				"up to %d functions x %d concurrency x %d connections = %d DocumentDB connections, more than the %d a %s instance allows; lower reservedConcurrency or mongoMaxPoolSize, or use a larger dbInstanceClass",
				len(familyNames()), cfg.ReservedConcurrency, perInstance, need, limit, cfg.DBInstanceClass)))
		}
	}

	return &Database{Kind: DBKindDocumentDB, Secret: cluster.Secret(), Cluster: cluster, SecurityGroup: sg}
}

// completeSecretArn matches a secret ARN that ends in Secrets Manager's six-character suffix.
var completeSecretArn = regexp.MustCompile(`:secret:.+-[A-Za-z0-9]{6}$`)

// docdbMaxConnections is DocumentDB's connection limit per instance for the smallest classes; for other
// classes give dbMaxConnections to get the connection budget check and alarm.
var docdbMaxConnections = map[string]int{
	"db.t3.medium":  500,
	"db.t4g.medium": 500,
}
