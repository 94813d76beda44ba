package main

import (
	"encoding/json"

	"github.com/aws/aws-cdk-go/awscdk/v2/awssecretsmanager"
	"github.com/aws/constructs-go/constructs/v10"
	"github.com/aws/jsii-runtime-go"
)

// NewAppSecret creates the Parse application secret: a JSON object with the appId and a generated
// "masterKey". Optional keys (clientKey, javascriptKey, restAPIKey, dotNetKey, readOnlyMasterKey) can be
// added to the secret value after deployment; the functions treat an absent key as "not required". The
// functions get only the ARN (PARSE_SECRET_ARN) and read the value at start.
func NewAppSecret(scope constructs.Construct, cfg Config) awssecretsmanager.Secret {
	tmpl, _ := json.Marshal(map[string]string{"appId": cfg.AppID})
	return awssecretsmanager.NewSecret(scope, jsii.String("AppSecret"), &awssecretsmanager.SecretProps{
		Description: jsii.String("Parse keys for " + cfg.AppID + " (" + cfg.Stage + "): masterKey, optional client keys"),
		GenerateSecretString: &awssecretsmanager.SecretStringGenerator{
			SecretStringTemplate: jsii.String(string(tmpl)),
			GenerateStringKey:    jsii.String("masterKey"),
			ExcludePunctuation:   jsii.Bool(true),
			PasswordLength:       jsii.Number(48),
		},
		RemovalPolicy: removalPolicy(cfg),
	})
}
