package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"time"
)

// The reference server: the real Parse Server from npm, with Express.
const (
	parseServerVersion = "7.3.0"
	expressVersion     = "4.21.0"
)

// errNoNode says the comparison with Parse Server cannot run here.
var errNoNode = errors.New("node and npm are needed to run Parse Server")

// parseInstall is a folder with parse-server and express installed, and the generated start script.
type parseInstall struct {
	dir       string
	nodeFlags []string
	node      string // node --version
	bcrypt    string // the bcrypt implementation Parse Server loads
}

// ensureParse installs parse-server@7.3.0 and express into dir with npm (once; later runs reuse it) and
// writes the start script.
func ensureParse(ctx context.Context, dir string, logf func(string, ...any)) (*parseInstall, error) {
	node, err := exec.LookPath("node")
	if err != nil {
		return nil, fmt.Errorf("%w: node not found on PATH", errNoNode)
	}
	npm, err := exec.LookPath("npm")
	if err != nil {
		return nil, fmt.Errorf("%w: npm not found on PATH", errNoNode)
	}
	v, err := exec.CommandContext(ctx, node, "--version").Output()
	if err != nil {
		return nil, fmt.Errorf("%w: node --version: %v", errNoNode, err)
	}
	pi := &parseInstall{dir: dir, node: strings.TrimSpace(string(v))}
	// Node >= 20.19 loads ES modules from require(), which breaks parse-server 7.3's dependencies.
	var maj, minor int
	fmt.Sscanf(strings.TrimPrefix(pi.node, "v"), "%d.%d", &maj, &minor)
	if maj < 18 {
		return nil, fmt.Errorf("%w: node %s is too old for parse-server %s (18 or later)", errNoNode, pi.node, parseServerVersion)
	}
	if maj > 20 || maj == 20 && minor >= 19 {
		pi.nodeFlags = []string{"--no-experimental-require-module"}
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, err
	}
	if installedVersion(filepath.Join(dir, "node_modules", "parse-server")) != parseServerVersion ||
		installedVersion(filepath.Join(dir, "node_modules", "express")) != expressVersion {
		pkg := fmt.Sprintf(`{"name":"benchcompare-parse-server","private":true,"dependencies":{"parse-server":%q,"express":%q}}`+"\n", parseServerVersion, expressVersion)
		if err := os.WriteFile(filepath.Join(dir, "package.json"), []byte(pkg), 0o644); err != nil {
			return nil, err
		}
		logf("installing parse-server@%s and express@%s with npm into %s (about a minute, once)", parseServerVersion, expressVersion, dir)
		ictx, cancel := context.WithTimeout(ctx, 10*time.Minute)
		defer cancel()
		cmd := exec.CommandContext(ictx, npm, "install", "--no-audit", "--no-fund", "--omit=dev", "--loglevel=error")
		cmd.Dir = dir
		if out, err := cmd.CombinedOutput(); err != nil {
			s := strings.TrimSpace(string(out))
			if len(s) > 2000 {
				s = "…" + s[len(s)-2000:]
			}
			return nil, fmt.Errorf("%w: npm install failed: %v\n%s", errNoNode, err, s)
		}
	}
	for name, text := range map[string]string{parseScriptName: parseScript, bcryptScriptName: bcryptScript} {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(text), 0o644); err != nil {
			return nil, err
		}
	}
	return pi, nil
}

func installedVersion(pkgDir string) string {
	b, err := os.ReadFile(filepath.Join(pkgDir, "package.json"))
	if err != nil {
		return ""
	}
	var p struct {
		Version string `json:"version"`
	}
	_ = json.Unmarshal(b, &p)
	return p.Version
}

// startParse starts Parse Server on addr (loopback) over databaseURI, and waits for /health.
func (pi *parseInstall) start(ctx context.Context, addr, databaseURI, appID, masterKey string, wait bool) (*proc, error) {
	host, port, err := splitLoopback(addr)
	if err != nil {
		return nil, err
	}
	if err := checkLoopbackURL(databaseURI); err != nil {
		return nil, err
	}
	logs := filepath.Join(pi.dir, "logs")
	env := []string{
		"BENCH_HOST=" + host, "BENCH_PORT=" + port, "BENCH_DATABASE_URI=" + databaseURI,
		"BENCH_APP_ID=" + appID, "BENCH_MASTER_KEY=" + masterKey, "BENCH_LOGS=" + logs,
		"NODE_ENV=production",
	}
	argv := append([]string{"node"}, pi.nodeFlags...)
	argv = append(argv, parseScriptName)
	p, err := startProc("Parse Server", pi.dir, env, nil, argv...)
	if err != nil {
		return nil, err
	}
	if !wait {
		return p, nil
	}
	d, _ := newRESTDriver("http://"+addr+"/parse", appID, masterKey)
	if err := p.waitFor(ctx, 90*time.Second, func() bool { return d.healthy(ctx) }); err != nil {
		p.stop(5 * time.Second)
		return nil, err
	}
	return p, nil
}

// BcryptTime is the cost of one password hash and one check (cost 10) in one implementation.
type BcryptTime struct {
	Impl      string  `json:"impl"`
	HashMs    float64 `json:"hashMs"`
	CompareMs float64 `json:"compareMs"`
	// SpreadMs is max − min over all the timed hashes and compares (the same work at cost 10): how
	// much one bcrypt operation's CPU moves from one to the next on this machine.
	SpreadMs float64 `json:"spreadMs"`
}

// bcryptTime runs Parse Server's own password module under node.
func (pi *parseInstall) bcryptTime(ctx context.Context, n int) (BcryptTime, error) {
	argv := append(append([]string{}, pi.nodeFlags...), bcryptScriptName, strconv.Itoa(n))
	cmd := exec.CommandContext(ctx, "node", argv...)
	cmd.Dir = pi.dir
	out, err := cmd.Output()
	if err != nil {
		return BcryptTime{}, fmt.Errorf("node %s: %v", bcryptScriptName, err)
	}
	var bt BcryptTime
	if err := json.Unmarshal(out, &bt); err != nil {
		return BcryptTime{}, fmt.Errorf("node %s: %q: %v", bcryptScriptName, out, err)
	}
	return bt, nil
}

const parseScriptName = "bench-parse-server.js"

// parseScript starts Parse Server with what it needs on FerretDB 1.24 (written by benchcompare).
const parseScript = `'use strict';
// Generated by parselambda's scripts/benchcompare: Parse Server ` + parseServerVersion + ` on FerretDB 1.24, on loopback.
const net = require('net');
const express = require('express');
const { ParseServer } = require('parse-server');

const host = process.env.BENCH_HOST;
const port = Number(process.env.BENCH_PORT);
if (!(host === 'localhost' || (net.isIP(host) && /^(127\.|::1$)/.test(host)))) {
  console.error('refusing to listen on a non-loopback address: ' + host);
  process.exit(2);
}
const mount = '/parse';

// FerretDB answers NotImplemented (code 238) to collation and TTL index options: Parse Server's
// start-up and schema index creation ignore exactly that error here.
const notImplemented = e => {
  const code = e && (e.code !== undefined ? e.code : e.errorResponse && e.errorResponse.code);
  return code === 238 || /not ?implemented/i.test(String(e && e.message));
};
const Adapter = require('parse-server/lib/Adapters/Storage/Mongo/MongoStorageAdapter').default;
for (const name of ['ensureIndex', 'ensureUniqueness', 'ensureAuthDataUniqueness', 'createIndex', 'createIndexes', 'createIndexesIfNeeded']) {
  const original = Adapter.prototype[name];
  if (typeof original !== 'function') continue;
  Adapter.prototype[name] = function (...args) {
    return Promise.resolve(original.apply(this, args)).catch(e => {
      if (notImplemented(e)) return undefined;
      throw e;
    });
  };
}

// FerretDB loses concurrent updates of one document; Parse Server adds fields to _SCHEMA in parallel.
// Its leaf _SCHEMA writes run one at a time here.
const SchemaCollection = require('parse-server/lib/Adapters/Storage/Mongo/MongoSchemaCollection').default;
let schemaWrites = Promise.resolve();
for (const name of ['insertSchema', 'updateSchema', 'upsertSchema', 'findAndDeleteSchema']) {
  const original = SchemaCollection.prototype[name];
  if (typeof original !== 'function') continue;
  SchemaCollection.prototype[name] = function (...args) {
    const run = schemaWrites.then(() => original.apply(this, args));
    schemaWrites = run.catch(() => undefined);
    return run;
  };
}

async function main() {
  const api = new ParseServer({
    databaseURI: process.env.BENCH_DATABASE_URI,
    appId: process.env.BENCH_APP_ID,
    masterKey: process.env.BENCH_MASTER_KEY,
    masterKeyIps: ['127.0.0.1', '::1', '::ffff:127.0.0.1'],
    serverURL: 'http://' + host + ':' + port + mount,
    // FerretDB has no collation: username/email lookups skip it (uniqueness is case-sensitive here).
    enableCollationCaseComparison: true,
    allowClientClassCreation: false,
    silent: true,
    verbose: false,
    logLevel: 'error',
    logsFolder: process.env.BENCH_LOGS,
  });
  await api.start();
  const app = express();
  app.use(mount, api.app);
  const server = app.listen(port, host, () => console.log('ready'));
  const stop = () => {
    server.close(() => process.exit(0));
    if (server.closeAllConnections) server.closeAllConnections();
    setTimeout(() => process.exit(0), 2000).unref();
  };
  process.on('SIGTERM', stop);
  process.on('SIGINT', stop);
}

main().catch(e => {
  console.error('Parse Server failed to start:', e);
  process.exit(1);
});
`

const bcryptScriptName = "bench-bcrypt.js"

// bcryptScript times Parse Server's password module (the bcrypt it really uses).
const bcryptScript = `'use strict';
// Generated by parselambda's scripts/benchcompare: times Parse Server's password hashing in CPU
// time of the process (the hashing runs on libuv's thread pool while this script only waits).
const password = require('parse-server/lib/password');
let impl = 'bcryptjs';
try { require.resolve('@node-rs/bcrypt'); impl = '@node-rs/bcrypt'; } catch (e) { /* bcryptjs */ }
const median = a => a.slice().sort((x, y) => x - y)[Math.floor(a.length / 2)];
const cpuMs = () => { const u = process.cpuUsage(); return (u.user + u.system) / 1000; };
(async () => {
  const n = Number(process.argv[2] || 5);
  let hash = await password.hash('warm-up');
  const hashes = [], compares = [];
  for (let i = 0; i < n; i++) { // hashes and compares alternate, so a drift shows in both alike
    let t = cpuMs();
    hash = await password.hash('password-' + i);
    hashes.push(cpuMs() - t);
    t = cpuMs();
    await password.compare('password-' + i, hash);
    compares.push(cpuMs() - t);
  }
  const all = hashes.concat(compares);
  console.log(JSON.stringify({ impl: impl + ' (node ' + process.version + ')', hashMs: median(hashes), compareMs: median(compares), spreadMs: Math.max(...all) - Math.min(...all) }));
})().catch(e => { console.error(e); process.exit(1); });
`
