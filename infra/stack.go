package main

import (
	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awss3"
	"github.com/aws/aws-cdk-go/awscdk/v2/awssecretsmanager"
	"github.com/aws/constructs-go/constructs/v10"
	"github.com/aws/jsii-runtime-go"
)

// ParseStack is the whole deployment, with handles on its parts for tests and outputs.
type ParseStack struct {
	Stack      awscdk.Stack
	Config     Config
	Network    *Network
	Database   *Database
	Files      awss3.Bucket
	Logs       awss3.Bucket
	Api        *Api
	Functions  *Functions
	Messaging  *Messaging
	Monitoring *Monitoring
	AppSecret  awssecretsmanager.Secret
}

// StackName is the stack's name for a config: <appId>-<stage>.
func StackName(cfg Config) string { return cfg.AppID + "-" + cfg.Stage }

// NewParseStack builds the stack from its parts and applies the nag suppressions.
func NewParseStack(scope constructs.Construct, cfg Config, props *awscdk.StackProps) *ParseStack {
	if props == nil {
		props = &awscdk.StackProps{}
	}
	if props.Description == nil {
		props.Description = jsii.String("Parse Server on AWS Lambda (" + cfg.AppID + ", " + cfg.Stage + ")")
	}
	stack := awscdk.NewStack(scope, jsii.String(StackName(cfg)), props)
	awscdk.Tags_Of(stack).Add(jsii.String("app"), jsii.String(cfg.AppID), nil)
	awscdk.Tags_Of(stack).Add(jsii.String("stage"), jsii.String(cfg.Stage), nil)

	s := &ParseStack{Stack: stack, Config: cfg}
	s.Logs = NewLogsBucket(stack, cfg)
	s.Network = NewNetwork(stack, cfg, s.Logs)
	s.Database = NewDatabase(stack, cfg, s.Network)
	appSecret := NewAppSecret(stack, cfg)
	s.AppSecret = appSecret
	s.Files = NewFilesBucket(stack, cfg, s.Logs)
	s.Messaging = NewMessaging(stack, cfg)
	s.Api = NewApi(stack, cfg)
	s.Functions = NewFunctions(stack, FunctionsProps{
		Config:    cfg,
		Network:   s.Network,
		Database:  s.Database,
		AppSecret: appSecret,
		Files:     s.Files,
		Messaging: s.Messaging,
		ServerURL: s.Api.ParseURL,
	})
	s.Api.AddFamilyRoutes(s.Functions.IFunctions())
	NewJobScheduleGroup(stack, cfg)
	if jobs, ok := s.Functions.ByName[jobsFamily]; ok && len(cfg.JobSchedules) > 0 {
		AddJobSchedules(stack, jobs, cfg.JobSchedules)
	}
	s.Monitoring = NewMonitoring(stack, MonitoringProps{Config: cfg, Api: s.Api, Functions: s.Functions, Database: s.Database})

	out := func(id, value, desc string) {
		awscdk.NewCfnOutput(stack, jsii.String(id), &awscdk.CfnOutputProps{Value: jsii.String(value), Description: jsii.String(desc)})
	}
	out("ParseServerURL", s.Api.ParseURL, "Parse serverURL (API URL + parse)")
	out("ApiEndpoint", *s.Api.HttpApi.ApiEndpoint(), "HTTP API default endpoint")
	if s.Api.Domain != nil {
		out("CustomDomainTarget", *s.Api.Domain.RegionalDomainName(), "point a CNAME/alias for domainName here")
	}
	out("AppSecretArn", *appSecret.SecretArn(), "Parse keys (masterKey) secret")
	out("DbSecretArn", *s.Database.Secret.SecretArn(), "database credentials / connection string secret")
	if c := s.Database.Cluster; c != nil {
		out("DbEndpoint", *c.ClusterEndpoint().SocketAddress(), "DocumentDB cluster endpoint")
	}
	out("FilesBucketName", *s.Files.BucketName(), "Parse files bucket")
	out("PushTopicArn", *s.Messaging.PushTopic.TopicArn(), "push topic")
	out("AlarmTopicArn", *s.Monitoring.AlarmTopic.TopicArn(), "alarm notifications")

	AddNagSuppressions(s)
	return s
}
