package main

import (
	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awss3"
	"github.com/aws/constructs-go/constructs/v10"
	"github.com/aws/jsii-runtime-go"
)

// removalPolicy is RETAIN for prod and DESTROY for dev.
func removalPolicy(cfg Config) awscdk.RemovalPolicy {
	if cfg.Prod() {
		return awscdk.RemovalPolicy_RETAIN
	}
	return awscdk.RemovalPolicy_DESTROY
}

// NewLogsBucket builds the bucket that receives S3 server access logs and VPC flow logs. Server access
// logging requires SSE-S3; delivery is granted by bucket policy (the serverAccessLogsUseBucketPolicy
// feature flag), so ACLs stay disabled.
func NewLogsBucket(scope constructs.Construct, cfg Config) awss3.Bucket {
	b := awss3.NewBucket(scope, jsii.String("LogsBucket"), &awss3.BucketProps{
		BlockPublicAccess: awss3.BlockPublicAccess_BLOCK_ALL(),
		Encryption:        awss3.BucketEncryption_S3_MANAGED,
		EnforceSSL:        jsii.Bool(true),
		ObjectOwnership:   awss3.ObjectOwnership_BUCKET_OWNER_ENFORCED,
		RemovalPolicy:     removalPolicy(cfg),
		AutoDeleteObjects: jsii.Bool(!cfg.Prod()),
		LifecycleRules: &[]*awss3.LifecycleRule{{
			Id:         jsii.String("expire-logs"),
			Expiration: awscdk.Duration_Days(jsii.Number(float64(max(cfg.LogRetentionDays, 1)))),
		}},
	})
	return b
}

// NewFilesBucket builds the private bucket behind the files function (Parse.File storage): no public
// access, TLS only, SSE-S3, access logs into logsBucket.
func NewFilesBucket(scope constructs.Construct, cfg Config, logsBucket awss3.IBucket) awss3.Bucket {
	rules := []*awss3.LifecycleRule{{
		Id:                                  jsii.String("abort-incomplete-uploads"),
		AbortIncompleteMultipartUploadAfter: awscdk.Duration_Days(jsii.Number(7)),
	}}
	if cfg.FilesVersioned {
		rules = append(rules, &awss3.LifecycleRule{
			Id:                          jsii.String("expire-old-versions"),
			NoncurrentVersionExpiration: awscdk.Duration_Days(jsii.Number(30)),
		})
	}
	origins := make([]*string, len(cfg.CorsOrigins))
	for i, o := range cfg.CorsOrigins {
		origins[i] = jsii.String(o)
	}
	return awss3.NewBucket(scope, jsii.String("FilesBucket"), &awss3.BucketProps{
		// Browsers PUT presigned uploads and GET presigned downloads straight from the bucket.
		Cors: &[]*awss3.CorsRule{{
			AllowedMethods: &[]awss3.HttpMethods{awss3.HttpMethods_PUT, awss3.HttpMethods_GET, awss3.HttpMethods_HEAD},
			AllowedOrigins: &origins,
			AllowedHeaders: &[]*string{jsii.String("*")},
			ExposedHeaders: &[]*string{jsii.String("ETag")},
			MaxAge:         jsii.Number(3600),
		}},
		BlockPublicAccess:      awss3.BlockPublicAccess_BLOCK_ALL(),
		Encryption:             awss3.BucketEncryption_S3_MANAGED,
		EnforceSSL:             jsii.Bool(true),
		MinimumTLSVersion:      jsii.Number(1.2),
		ObjectOwnership:        awss3.ObjectOwnership_BUCKET_OWNER_ENFORCED,
		Versioned:              jsii.Bool(cfg.FilesVersioned),
		ServerAccessLogsBucket: logsBucket,
		ServerAccessLogsPrefix: jsii.String("files-bucket/"),
		RemovalPolicy:          removalPolicy(cfg),
		AutoDeleteObjects:      jsii.Bool(!cfg.Prod()),
		LifecycleRules:         &rules,
	})
}
