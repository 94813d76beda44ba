package main

import (
	"strings"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/constructs-go/constructs/v10"
	"github.com/aws/jsii-runtime-go"
	"github.com/cdklabs/cdk-nag-go/cdknag/v2"
)

// sup is one cdk-nag suppression; appliesTo narrows a granular rule to the listed findings.
func sup(id, reason string, appliesTo ...string) *cdknag.NagPackSuppression {
	s := &cdknag.NagPackSuppression{Id: jsii.String(id), Reason: jsii.String(reason)}
	if len(appliesTo) > 0 {
		a := make([]interface{}, len(appliesTo))
		for i, v := range appliesTo {
			a[i] = v
		}
		s.AppliesTo = &a
	}
	return s
}

func suppress(construct any, s ...*cdknag.NagPackSuppression) {
	cdknag.NagSuppressions_AddResourceSuppressions(construct, &s, jsii.Bool(true))
}

// logicalIDOf is the template logical id of a construct's default resource.
func logicalIDOf(stack awscdk.Stack, c interface{ Node() constructs.Node }) string {
	return *stack.GetLogicalId(c.Node().DefaultChild().(awscdk.CfnElement))
}

const (
	lambdaBasicPolicy = "Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole"
	lambdaVpcPolicy   = "Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AWSLambdaVPCAccessExecutionRole"
	// logRetentionID is CDK's singleton id for the function that sets log retention of service-created
	// log groups (here: DocumentDB's audit and profiler exports).
	logRetentionID = "LogRetentionaae0aa3c5b4d4f87b02d85b201efdd8a"
)

// AddNagSuppressions records, each with its reason, the AwsSolutions findings this design accepts.
// Everything else the pack reports is fixed in the constructs.
func AddNagSuppressions(s *ParseStack) {
	stack := s.Stack

	suppress(s.Api.HttpApi, sup("AwsSolutions-APIG4",
		"Parse authenticates every request itself (X-Parse-Application-Id and keys, session tokens, ACLs and class-level "+
			"permissions, evaluated in the functions); the REST API is public by design and an API Gateway authorizer "+
			"cannot express Parse's protocol."))

	bucketObjects := "Resource::<" + logicalIDOf(stack, s.Files) + ".Arn>/*"
	for _, name := range s.Functions.Names {
		fn := s.Functions.ByName[name]
		sups := []*cdknag.NagPackSuppression{sup("AwsSolutions-IAM4",
			"AWSLambdaBasicExecutionRole (write to the function's log group) and AWSLambdaVPCAccessExecutionRole "+
				"(create/delete the function's ENIs, which IAM only allows on Resource *) are the AWS-maintained minimal "+
				"policies for a Lambda function in a VPC.",
			lambdaBasicPolicy, lambdaVpcPolicy)}
		g := familyGrants[name]
		var wild []string
		if g.files {
			wild = append(wild, "Action::s3:Abort*", "Action::s3:DeleteObject*", "Action::s3:GetBucket*",
				"Action::s3:GetObject*", "Action::s3:List*", bucketObjects)
		}
		if g.push {
			for _, k := range sortedKeys(s.Messaging.PlatformApps) {
				wild = append(wild, "Resource::"+strings.Replace(s.Messaging.PlatformApps[k], ":app/", ":endpoint/", 1)+"/*")
			}
		}
		if g.invokeJobs && name != jobsFamily {
			if jobs, ok := s.Functions.ByName[jobsFamily]; ok {
				wild = append(wild, "Resource::<"+logicalIDOf(stack, jobs)+".Arn>:*")
			}
		}
		if len(wild) > 0 {
			sups = append(sups, sup("AwsSolutions-IAM5",
				"Wildcards confined to this app's resources: object-level access to every key of the files bucket "+
					"(Parse file names are generated per upload) with CDK's grantReadWrite action groups; device "+
					"endpoints under the configured SNS platform applications (created per installation at run time, "+
					"so their ARNs are unknown at deploy time); the jobs function and its versions (grantInvoke).",
				wild...))
		}
		suppress(fn.Role(), sups...)
	}

	suppress(s.AppSecret, sup("AwsSolutions-SMG4",
		"The Parse master key is a long-lived credential shared with operators and tools (Dashboard, CLI); rotating "+
			"it automatically would lock them out. Rotate it deliberately by updating the secret."))

	if db := s.Database.Cluster; db != nil {
		suppress(db, sup("AwsSolutions-DOC2",
			"27017 is the MongoDB port the drivers and the spec expect; the cluster is unreachable except from the "+
				"functions' security group inside isolated subnets, so a non-standard port adds no protection."),
			sup("AwsSolutions-DOC3",
				"The master credentials are generated into Secrets Manager (Database/Secret) and the cluster reads them "+
					"via a {{resolve:secretsmanager}} reference, which cdk-nag cannot evaluate."),
			sup("AwsSolutions-DOC5",
				"Audit and profiler logs (the only export types DocumentDB has) are exported to CloudWatch, and "+
					"audit_logs=enabled records authenticate/createIndex/dropCollection events; the rule checks for "+
					"export names that DocumentDB does not accept.",
				"LogExport::authenticate", "LogExport::createIndex", "LogExport::dropCollection"),
			// The generated master secret is the cluster's child Database/Secret.
			sup("AwsSolutions-SMG4",
				"Automatic rotation needs a rotation Lambda with its own ingress into the database security group (which "+
					"admits only the functions) and would invalidate the pooled connections of running functions; the "+
					"master password is rotated deliberately during maintenance."))
	}
	if lr := stack.Node().TryFindChild(jsii.String(logRetentionID)); lr != nil {
		suppress(lr, sup("AwsSolutions-IAM4",
			"CDK's log-retention helper function only sets retention on DocumentDB's exported log groups; "+
				"AWSLambdaBasicExecutionRole is the AWS-maintained policy for its own logs.", lambdaBasicPolicy),
			sup("AwsSolutions-IAM5",
				"CDK's log-retention helper must call logs:PutRetentionPolicy/DeleteRetentionPolicy on log groups "+
					"DocumentDB creates at run time, whose names are not known at synth time.", "Resource::*"))
	}
}
