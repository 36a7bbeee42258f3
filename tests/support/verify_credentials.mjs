// An independent verifier for the tests: Digital Bazaar's vc, data-integrity and
// eddsa-rdfc-2022-cryptosuite, not the platform's code.
//
//   node tests/support/verify_credentials.mjs BUNDLE.json
//
// BUNDLE: {"contexts": {url: file path}, "documents": {url: JSON document},
//          "credentials": [credential, ...]}
// Documents are the issuer's key document (its controller document and each verification
// method by its fragment URL) and the status list credentials. Nothing is fetched from the
// network: an unknown URL is an error. Prints one JSON result per credential:
// {"verified": bool, "revoked": bool|null, "errors": [string]}.
import {readFileSync} from 'node:fs';
import * as vc from '@digitalbazaar/vc';
import {DataIntegrityProof} from '@digitalbazaar/data-integrity';
import {cryptosuite as eddsaRdfc2022} from '@digitalbazaar/eddsa-rdfc-2022-cryptosuite';
import {gunzipSync} from 'node:zlib';

const bundle = JSON.parse(readFileSync(process.argv[2], 'utf8'));
const contexts = {};
for(const [url, path] of Object.entries(bundle.contexts)) {
  contexts[url] = JSON.parse(readFileSync(path, 'utf8'));
}
const documents = bundle.documents || {};

async function documentLoader(url) {
  const document = contexts[url] ?? documents[url];
  if(document === undefined) {
    throw new Error(`Document not available offline: ${url}`);
  }
  return {contextUrl: null, documentUrl: url, document: structuredClone(document)};
}

const suite = new DataIntegrityProof({cryptosuite: eddsaRdfc2022});

function bitIsSet(encodedList, index) {
  if(!encodedList.startsWith('u')) {
    throw new Error('encodedList is not multibase base64url');
  }
  const bytes = gunzipSync(Buffer.from(encodedList.slice(1), 'base64url'));
  const byte = bytes[Math.floor(index / 8)];
  if(byte === undefined) {
    throw new Error(`status index ${index} is beyond the list`);
  }
  return (byte & (0x80 >> (index % 8))) !== 0;
}

// The revocation check: the status list credential must itself verify, then its bit is read.
async function checkStatus({credential}) {
  const entries = [].concat(credential.credentialStatus);
  for(const entry of entries) {
    if(entry.type !== 'BitstringStatusListEntry' || entry.statusPurpose !== 'revocation') {
      return {verified: false, error: new Error(`unsupported status ${entry.type}`)};
    }
    const {document: list} = await documentLoader(entry.statusListCredential);
    const listResult = await vc.verifyCredential({credential: list, suite, documentLoader});
    if(!listResult.verified) {
      return {verified: false, error: new Error('the status list credential does not verify')};
    }
    if(list.credentialSubject.statusPurpose !== 'revocation') {
      return {verified: false, error: new Error('the status list is not for revocation')};
    }
    if(bitIsSet(list.credentialSubject.encodedList, Number.parseInt(entry.statusListIndex, 10))) {
      return {verified: false, revoked: true, error: new Error('revoked')};
    }
  }
  return {verified: true, revoked: false};
}

function messages(result) {
  const found = [];
  const visit = error => {
    if(!error) {
      return;
    }
    if(Array.isArray(error)) {
      error.forEach(visit);
      return;
    }
    found.push(String(error.message || error));
    visit(error.errors);
  };
  visit(result.error);
  for(const proof of result.results || []) {
    visit(proof.error);
  }
  if(result.statusResult) {
    visit(result.statusResult.error);
  }
  return found;
}

const results = [];
for(const credential of bundle.credentials) {
  try {
    const result = await vc.verifyCredential({credential, suite, documentLoader, checkStatus});
    results.push({
      verified: result.verified,
      revoked: result.statusResult ? Boolean(result.statusResult.revoked) : null,
      errors: messages(result)
    });
  } catch(error) {
    results.push({verified: false, revoked: null, errors: [String(error.message || error)]});
  }
}
process.stdout.write(JSON.stringify(results));
