#!/usr/bin/env bash
# End-to-end tests of the Parse data API, with the Parse JS SDK (parse/node) and `node --test`.
#
# Usage: PARSE_SERVER_URL=http://127.0.0.1:1338/parse PARSE_APP_ID=oracle PARSE_MASTER_KEY=oraclemaster \
#          scripts/e2e/run.sh [extra node --test args, e.g. test/query.test.js or --test-name-pattern=ACL]
# Env:   PARSE_SERVER_URL, PARSE_APP_ID, PARSE_MASTER_KEY (required); PARSE_JS_KEY (optional);
#        E2E_KEEP_DATA=1 keeps the classes the run created (they are dropped by default).
# Exit code: non-zero if any test fails.
set -euo pipefail
cd "$(dirname "$0")"
: "${PARSE_SERVER_URL:?set PARSE_SERVER_URL, e.g. http://127.0.0.1:1338/parse}"
: "${PARSE_APP_ID:?set PARSE_APP_ID}"
: "${PARSE_MASTER_KEY:?set PARSE_MASTER_KEY}"
export PARSE_SERVER_URL PARSE_APP_ID PARSE_MASTER_KEY
[ -n "${PARSE_JS_KEY:-}" ] && export PARSE_JS_KEY
if [ ! -d node_modules/parse ]; then
  npm ci --no-audit --no-fund >&2
fi
if [ "$#" -gt 0 ] && [[ "${*: -1}" == *.js ]]; then
  exec node --test "$@"
fi
exec node --test "$@" test/*.test.js
