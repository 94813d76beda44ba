package boot

import (
	"context"
	"fmt"
	"sync"

	"github.com/aws/aws-sdk-go-v2/aws"
	awsconfig "github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"
)

// SecretSource returns a secret's string value by ARN (or name).
type SecretSource interface {
	SecretString(ctx context.Context, id string) (string, error)
}

// GetSecretValueAPI is the one Secrets Manager call the functions make (*secretsmanager.Client).
type GetSecretValueAPI interface {
	GetSecretValue(ctx context.Context, in *secretsmanager.GetSecretValueInput, optFns ...func(*secretsmanager.Options)) (*secretsmanager.GetSecretValueOutput, error)
}

// SecretsManager reads secrets from AWS Secrets Manager and keeps each value for the life of the
// container: it is read at cold start only, so a rotated key reaches the functions as their containers
// are replaced (or on a redeploy).
type SecretsManager struct {
	mu        sync.Mutex
	client    GetSecretValueAPI
	newClient func(context.Context) (GetSecretValueAPI, error)
	cache     map[string]string
}

// NewSecretsManager reads through client.
func NewSecretsManager(client GetSecretValueAPI) *SecretsManager {
	return &SecretsManager{client: client, cache: map[string]string{}}
}

// AWSConfigFunc returns the AWS SDK configuration.
type AWSConfigFunc func(context.Context) (aws.Config, error)

// LazyAWSConfig loads the SDK's default configuration (region and credentials from the Lambda
// environment, endpoints from AWS_ENDPOINT_URL_<SERVICE> when set) once, on first use, so a function
// that needs no AWS client does no AWS set-up at all.
func LazyAWSConfig() AWSConfigFunc {
	var once sync.Once
	var cfg aws.Config
	var err error
	return func(ctx context.Context) (aws.Config, error) {
		once.Do(func() {
			cfg, err = awsconfig.LoadDefaultConfig(ctx)
			if err != nil {
				err = fmt.Errorf("AWS configuration: %w", err)
			}
		})
		return cfg, err
	}
}

// DefaultSecretsManager builds the SDK client from awsCfg on the first read only.
func DefaultSecretsManager(awsCfg AWSConfigFunc) *SecretsManager {
	return &SecretsManager{cache: map[string]string{}, newClient: func(ctx context.Context) (GetSecretValueAPI, error) {
		cfg, err := awsCfg(ctx)
		if err != nil {
			return nil, err
		}
		return secretsmanager.NewFromConfig(cfg), nil
	}}
}

// SecretString returns the secret's current string value (SecretString, else SecretBinary as text).
func (s *SecretsManager) SecretString(ctx context.Context, id string) (string, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if v, ok := s.cache[id]; ok {
		return v, nil
	}
	if s.client == nil {
		if s.newClient == nil {
			return "", fmt.Errorf("no Secrets Manager client")
		}
		c, err := s.newClient(ctx)
		if err != nil {
			return "", err
		}
		s.client = c
	}
	out, err := s.client.GetSecretValue(ctx, &secretsmanager.GetSecretValueInput{SecretId: &id})
	if err != nil {
		return "", fmt.Errorf("read secret %s: %w", id, err)
	}
	var v string
	switch {
	case out.SecretString != nil:
		v = *out.SecretString
	case out.SecretBinary != nil:
		v = string(out.SecretBinary)
	default:
		return "", fmt.Errorf("secret %s has no value", id)
	}
	s.cache[id] = v
	return v, nil
}
