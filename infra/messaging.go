package main

import (
	"encoding/json"
	"strings"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsiam"
	"github.com/aws/aws-cdk-go/awscdk/v2/awskms"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsses"
	"github.com/aws/aws-cdk-go/awscdk/v2/awssns"
	"github.com/aws/constructs-go/constructs/v10"
	"github.com/aws/jsii-runtime-go"
)

// Messaging is push (SNS) and email (SES).
type Messaging struct {
	// PushTopic is for fan-out pushes (topic subscriptions, push status events). Device pushes go to
	// platform endpoints created under the platform applications.
	PushTopic awssns.Topic
	// PlatformApps maps a name ("ios", "android", ...) to an SNS platform application ARN. CloudFormation
	// has no platform application resource, so they are created outside the stack and passed in.
	PlatformApps map[string]string
	// EmailIdentity is the SES identity for senderEmail, nil without one.
	EmailIdentity awsses.EmailIdentity
	SenderEmail   string
}

// NewMessaging builds the push topic (SSE with the AWS-managed SNS key, TLS only) and the SES email
// identity for senderEmail.
func NewMessaging(scope constructs.Construct, cfg Config) *Messaging {
	m := &Messaging{PlatformApps: cfg.PushPlatformApplications, SenderEmail: cfg.SenderEmail}
	m.PushTopic = awssns.NewTopic(scope, jsii.String("PushTopic"), &awssns.TopicProps{
		DisplayName: jsii.String("Parse push " + cfg.AppID),
		MasterKey:   awskms.Alias_FromAliasName(scope, jsii.String("SnsManagedKey"), jsii.String("alias/aws/sns")),
		EnforceSSL:  jsii.Bool(true),
	})
	if cfg.SenderEmail != "" {
		m.EmailIdentity = awsses.NewEmailIdentity(scope, jsii.String("SenderIdentity"), &awsses.EmailIdentityProps{
			Identity: awsses.Identity_Email(jsii.String(cfg.SenderEmail)),
		})
	}
	return m
}

// PlatformAppsJSON is the PUSH_PLATFORM_APPLICATIONS env value.
func (m *Messaging) PlatformAppsJSON() string {
	if len(m.PlatformApps) == 0 {
		return "{}"
	}
	b, _ := json.Marshal(m.PlatformApps)
	return string(b)
}

// GrantPush lets grantee publish to the push topic and manage endpoints of the platform applications:
// create endpoints under the applications, and publish to / read / update / delete those endpoints.
func (m *Messaging) GrantPush(grantee awsiam.IGrantable) {
	// sns:Publish written out instead of Topic.GrantPublish: that would add kms:GenerateDataKey*/Decrypt on
	// key/* for the imported alias, which the AWS-managed aws/sns key does not need (its key policy admits
	// every principal of the account calling through SNS).
	grantee.GrantPrincipal().AddToPrincipalPolicy(awsiam.NewPolicyStatement(&awsiam.PolicyStatementProps{
		Sid:       jsii.String("PublishPushTopic"),
		Actions:   jsii.Strings("sns:Publish"),
		Resources: &[]*string{m.PushTopic.TopicArn()},
	}))
	if len(m.PlatformApps) == 0 {
		return
	}
	var apps, endpoints []*string
	for _, k := range sortedKeys(m.PlatformApps) {
		arn := m.PlatformApps[k]
		apps = append(apps, jsii.String(arn))
		// arn:aws:sns:region:acct:app/APNS/name -> arn:aws:sns:region:acct:endpoint/APNS/name/*
		endpoints = append(endpoints, jsii.String(strings.Replace(arn, ":app/", ":endpoint/", 1)+"/*"))
	}
	grantee.GrantPrincipal().AddToPrincipalPolicy(awsiam.NewPolicyStatement(&awsiam.PolicyStatementProps{
		Sid:       jsii.String("PushPlatformApplications"),
		Actions:   jsii.Strings("sns:CreatePlatformEndpoint", "sns:GetPlatformApplicationAttributes", "sns:ListEndpointsByPlatformApplication"),
		Resources: &apps,
	}))
	grantee.GrantPrincipal().AddToPrincipalPolicy(awsiam.NewPolicyStatement(&awsiam.PolicyStatementProps{
		Sid:       jsii.String("PushPlatformEndpoints"),
		Actions:   jsii.Strings("sns:Publish", "sns:GetEndpointAttributes", "sns:SetEndpointAttributes", "sns:DeleteEndpoint"),
		Resources: &endpoints,
	}))
}

// GrantEmail lets grantee send mail as the sender identity (scoped to that identity's ARN).
func (m *Messaging) GrantEmail(grantee awsiam.IGrantable) {
	if m.EmailIdentity == nil {
		return
	}
	arn := awscdk.Stack_Of(m.EmailIdentity).FormatArn(&awscdk.ArnComponents{
		Service:      jsii.String("ses"),
		Resource:     jsii.String("identity"),
		ResourceName: m.EmailIdentity.EmailIdentityName(),
	})
	grantee.GrantPrincipal().AddToPrincipalPolicy(awsiam.NewPolicyStatement(&awsiam.PolicyStatementProps{
		Sid:       jsii.String("SendAsSenderIdentity"),
		Actions:   jsii.Strings("ses:SendEmail", "ses:SendRawEmail"),
		Resources: jsii.Strings(*arn),
	}))
}
