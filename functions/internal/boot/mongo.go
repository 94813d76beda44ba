package boot

import (
	"crypto/tls"
	"crypto/x509"
	"fmt"
	"os"
	"time"

	"go.mongodb.org/mongo-driver/v2/mongo"
	"go.mongodb.org/mongo-driver/v2/mongo/options"

	"github.com/parselambda/parselambda/functions/internal/docdbca"
)

// Driver timeouts: a database that cannot be reached fails a request well within API Gateway's 30 s.
const (
	connectTimeout         = 5 * time.Second
	serverSelectionTimeout = 10 * time.Second
)

// ClientOptions are the MongoDB driver options for a function: a small pool that opens connections on
// demand (minPoolSize 0), short timeouts, and for DocumentDB TLS verified against the embedded Amazon
// RDS CA bundle (or a PEM file named by DB_TLS_CA) and retryWrites=false.
func ClientOptions(d DBSettings, appName string) (*options.ClientOptions, error) {
	o := options.Client().ApplyURI(d.URI).
		SetAppName(appName).
		SetMaxPoolSize(d.MaxPoolSize).
		SetMinPoolSize(0).
		SetConnectTimeout(connectTimeout).
		SetServerSelectionTimeout(serverSelectionTimeout)
	if d.TLSCA != "" {
		pool, err := caPool(d.TLSCA)
		if err != nil {
			return nil, err
		}
		o.SetTLSConfig(&tls.Config{RootCAs: pool, MinVersion: tls.VersionTLS12})
	}
	if d.Kind == KindDocumentDB || d.TLSCA == CADocumentDB {
		o.SetRetryWrites(false) // DocumentDB does not support retryable writes
	}
	if err := o.Validate(); err != nil {
		return nil, fmt.Errorf("database options: %w", err)
	}
	return o, nil
}

func caPool(ca string) (*x509.CertPool, error) {
	if ca == CADocumentDB {
		pool, err := docdbca.Pool()
		if err != nil {
			return nil, fmt.Errorf("DB_TLS_CA=%s: %w", CADocumentDB, err)
		}
		return pool, nil
	}
	pem, err := os.ReadFile(ca)
	if err != nil {
		return nil, fmt.Errorf("DB_TLS_CA: want %q or the path of a PEM bundle: %w", CADocumentDB, err)
	}
	pool := x509.NewCertPool()
	if !pool.AppendCertsFromPEM(pem) {
		return nil, fmt.Errorf("DB_TLS_CA: %s holds no PEM certificate", ca)
	}
	return pool, nil
}

// Connect creates the container's MongoDB client. mongo.Connect blocks on no network I/O: it fails only
// on bad options, the server is selected at the first operation, and the driver's monitor dials the
// server in the background meanwhile (see TestConnectDoesNotBlock).
func Connect(o *options.ClientOptions) (*mongo.Client, error) {
	c, err := mongo.Connect(o)
	if err != nil {
		return nil, fmt.Errorf("database client: %w", err)
	}
	return c, nil
}
