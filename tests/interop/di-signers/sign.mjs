// Sign one OB 3.0 credential with every Data Integrity suite Digital Bazaar publishes a signer
// for, as an independent implementation of the suites badgekiln verifies.
//
//   python tests/interop/harness.py di-signers --out DIR [--created ISO] [--contexts DIR]
//   (the harness adds --env: where npm installed package.json's dependencies)
//
// --contexts: JSON-LD contexts with an index.json mapping each URL to a file, by default
// badgekiln's bundle: nothing is fetched, a URL outside it is an error; --out: one <case>.json
// per case. Regenerate the committed fixtures with --out tests/vectors/digitalbazaar-signed.
// Keys are the public W3C test keys (vc-di-eddsa keyPair.json, vc-di-ecdsa p256/p384KeyPair.json);
// each credential's issuer is the did:key of the key that signs it.
import {readFileSync, writeFileSync, mkdirSync} from 'node:fs';
import {createRequire} from 'node:module';
import path from 'node:path';
import {parseArgs} from 'node:util';

const BUNDLE = path.join(
  path.dirname(new URL(import.meta.url).pathname), '..', '..', '..',
  'layers', 'badgekiln', 'badgekiln', 'jsonld', 'contexts');
const {values: args} = parseArgs({options: {
  env: {type: 'string'}, contexts: {type: 'string', default: BUNDLE}, out: {type: 'string'},
  created: {type: 'string', default: '2024-05-01T12:00:00Z'}
}});
const require = createRequire(path.join(path.resolve(args.env), 'node_modules', 'x.js'));
const load = name => import(require.resolve(name));

const vc = await load('@digitalbazaar/vc');
const {DataIntegrityProof} = await load('@digitalbazaar/data-integrity');
const EcdsaMultikey = await load('@digitalbazaar/ecdsa-multikey');
const Ed25519Multikey = await load('@digitalbazaar/ed25519-multikey');
const ecdsaRdfc = await load('@digitalbazaar/ecdsa-rdfc-2019-cryptosuite');
const ecdsaJcs = await load('@digitalbazaar/ecdsa-jcs-2019-cryptosuite');
const eddsaRdfc = await load('@digitalbazaar/eddsa-rdfc-2022-cryptosuite');
const eddsaJcs = await load('@digitalbazaar/eddsa-jcs-2022-cryptosuite');
const {Ed25519Signature2018} = await load('@digitalbazaar/ed25519-signature-2018');
const {Ed25519VerificationKey2018} = await load('@digitalbazaar/ed25519-verification-key-2018');

const index = JSON.parse(readFileSync(path.join(args.contexts, 'index.json'), 'utf8'));
const documentLoader = async url => {
  if(!(url in index)) {
    throw new Error(`not a bundled context (nothing is fetched): ${url}`);
  }
  const document = JSON.parse(readFileSync(path.join(args.contexts, index[url]), 'utf8'));
  return {contextUrl: null, documentUrl: url, document};
};

const VC2 = 'https://www.w3.org/ns/credentials/v2';
const VC1 = 'https://www.w3.org/2018/credentials/v1';
const OB303 = 'https://purl.imsglobal.org/spec/ob/v3p0/context-3.0.3.json';
const OB301 = 'https://purl.imsglobal.org/spec/ob/v3p0/context-3.0.1.json';

function credential({issuer, v1}) {
  const subject = {
    id: 'did:example:ebfeb1f712ebc6f1c276e12ec21',
    type: ['AchievementSubject'],
    achievement: {
      id: 'https://badges.example/achievements/kiln-safety',
      type: ['Achievement'],
      name: 'Kiln safety',
      description: 'Fires a kiln safely, cone 6 and above.',
      criteria: {narrative: 'Supervised firing of three loads.'},
      // objects without ids are blank nodes: with several, RDFC-1.0's hash decides their labels
      alignment: [
        {type: ['Alignment'], targetName: 'Kiln operation', targetUrl: 'https://frameworks.example/k/1'},
        {type: ['Alignment'], targetName: 'Glaze chemistry', targetUrl: 'https://frameworks.example/g/2'},
        {type: ['Alignment'], targetName: 'Studio safety', targetUrl: 'https://frameworks.example/s/3'}
      ]
    }
  };
  const document = {
    '@context': v1 ? [VC1, OB301] : [VC2, OB303],
    id: 'urn:uuid:8c1b5d1e-4c1a-4e55-9b9c-3f1f0c6a2d10',
    type: ['VerifiableCredential', 'OpenBadgeCredential'],
    name: 'Kiln safety',
    issuer: {id: issuer, type: ['Profile'], name: 'Example Ceramics Guild'},
    credentialSubject: subject
  };
  if(v1) {
    document.issuanceDate = '2024-05-01T00:00:00Z';
  } else {
    document.validFrom = '2024-05-01T00:00:00Z';
  }
  return document;
}

const ED25519_SEED = Uint8Array.from(Buffer.from(
  'c96ef9ea10c5e414c471723aff9de72c35fa5b70fae97e8832ecac7d2e2b8ed6', 'hex'));
const P256 = {
  publicKeyMultibase: 'zDnaepBuvsQ8cpsWrVKw8fbpGpvPeNSjVPTWoq6cRqaYzBKVP',
  secretKeyMultibase: 'z42twTcNeSYcnqg1FLuSFs2bsGH3ZqbRHFmvS9XMsYhjxvHN'
};
const P384 = {
  publicKeyMultibase:
    'z82LkuBieyGShVBhvtE2zoiD6Kma4tJGFtkAhxR5pfkp5QPw4LutoYWhvQCnGjdVn14kujQ',
  secretKeyMultibase:
    'z2fanyY7zgwNpZGxX5fXXibvScNaUWNprHU9dKx7qpVj7mws9J8LLt4mDB5TyH2GLHWkUc'
};

async function ecdsaKey(pair) {
  const did = `did:key:${pair.publicKeyMultibase}`;
  return EcdsaMultikey.from({
    id: `${did}#${pair.publicKeyMultibase}`, type: 'Multikey', controller: did, ...pair
  });
}

async function ed25519Key() {
  const key = await Ed25519Multikey.generate({seed: ED25519_SEED});
  const did = `did:key:${key.publicKeyMultibase}`;
  key.id = `${did}#${key.publicKeyMultibase}`;
  key.controller = did;
  return key;
}

async function dataIntegrity(key, cryptosuite, {v1 = false} = {}) {
  const suite = new DataIntegrityProof({signer: key.signer(), date: args.created, cryptosuite});
  return vc.issue({credential: credential({issuer: key.controller, v1}), suite, documentLoader});
}

async function ed25519Signature2018({v1}) {
  // the same Ed25519 key as a 2018 key pair: base58 public key, base58 seed ‖ public key
  const {encode, decode} = await load('base58-universal');
  const multikey = await ed25519Key();
  const {secretKeyMultibase} = await multikey.export({publicKey: true, secretKey: true});
  const secret = decode(secretKeyMultibase.slice(1)).slice(2); // drop z and the 0x8026 codec
  const key = await Ed25519VerificationKey2018.from({
    id: multikey.id, controller: multikey.controller,
    publicKeyBase58: encode(secret.slice(32)), privateKeyBase58: encode(secret)
  });
  const suite = new Ed25519Signature2018({key, date: args.created});
  return vc.issue({credential: credential({issuer: multikey.controller, v1}), suite, documentLoader});
}

const cases = {
  'eddsa-rdfc-2022': async () => dataIntegrity(await ed25519Key(), eddsaRdfc.cryptosuite),
  'eddsa-jcs-2022': async () =>
    dataIntegrity(await ed25519Key(), eddsaJcs.createSignCryptosuite()),
  'ecdsa-rdfc-2019-p256': async () =>
    dataIntegrity(await ecdsaKey(P256), ecdsaRdfc.cryptosuite),
  'ecdsa-rdfc-2019-p384': async () =>
    dataIntegrity(await ecdsaKey(P384), ecdsaRdfc.cryptosuite),
  'ecdsa-jcs-2019-p256': async () =>
    dataIntegrity(await ecdsaKey(P256), ecdsaJcs.createSignCryptosuite()),
  'ecdsa-jcs-2019-p384': async () =>
    dataIntegrity(await ecdsaKey(P384), ecdsaJcs.createSignCryptosuite()),
  'ed25519-signature-2018-vc2': async () => ed25519Signature2018({v1: false}),
  'ed25519-signature-2018-vc1': async () => ed25519Signature2018({v1: true})
};

mkdirSync(args.out, {recursive: true});
for(const [name, make] of Object.entries(cases)) {
  const signed = await make();
  writeFileSync(path.join(args.out, `${name}.json`), JSON.stringify(signed, null, 2) + '\n');
  console.log(`${name}: ${signed.proof.type} ${signed.proof.cryptosuite ?? ''}`.trim());
}
