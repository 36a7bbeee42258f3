// A local OpenID Provider for development and tests: node-oidc-provider (certified), on loopback.
//
//   node scripts/dev_oidc_provider.mjs CONFIG.json
//
// CONFIG.json (every key optional but "clients" and "accounts"):
//   {"host": "127.0.0.1", "port": 0,            // 0: a free port; the issuer follows it
//    "issuer": "http://127.0.0.1:PORT",          // default: http://<host>:<port>
//    "name": "ThaID (local test)",               // shown on the sign-in page
//    "id_claim": "pid",                          // or "citizen_id" (DGA Digital ID)
//    "clients": [{"client_id": "...", "client_secret": "...", "redirect_uris": [...],
//                 "post_logout_redirect_uris": [...]}],
//    "token_headers": {"x-imauth-apikey": "..."}, // the token request must carry these (ThaID's API key)
//    "accounts": {"somchai": {"password": "...", "pid": "1234567890123", "given_name": "สมชาย",
//                             "family_name": "ใจดี", "email": "...", "amr": ["pwd", "otp"]}}}
//
// Prints one JSON line, {"issuer": ..., "port": ...}, once it listens; stops on SIGTERM or SIGINT.
// Sign-in is at the provider's own simple pages (login, then consent); "cancel" answers access_denied.
// Only for loopback: it refuses any other host.

import { generateKeyPairSync, randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { createServer } from 'node:http';
import { dirname, resolve } from 'node:path';
import { createRequire } from 'node:module';
import { fileURLToPath, pathToFileURL } from 'node:url';

// node_modules of the project, whichever folder this script is run from.
const projectRequire = createRequire(resolve(dirname(fileURLToPath(import.meta.url)), '..', 'package.json'));
const { default: Provider } = await import(pathToFileURL(projectRequire.resolve('oidc-provider')).href);

const configPath = process.argv[2];
if (!configPath) {
  console.error('usage: node scripts/dev_oidc_provider.mjs CONFIG.json');
  process.exit(2);
}
const config = JSON.parse(readFileSync(configPath, 'utf8'));
const host = config.host || '127.0.0.1';
if (!['127.0.0.1', '::1', 'localhost'].includes(host)) {
  console.error(`refusing to listen on ${host}: this provider is for loopback only`);
  process.exit(2);
}
const idClaim = config.id_claim || 'pid';
const accounts = config.accounts || {};
const requiredHeaders = Object.entries(config.token_headers || {});

function signingKey() {
  const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  return { ...privateKey.export({ format: 'jwk' }), kid: randomBytes(8).toString('hex'), alg: 'RS256', use: 'sig' };
}

function escape(text) {
  return String(text ?? '').replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]);
}

function page(title, body) {
  return `<!DOCTYPE html><html lang="th"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1"><title>${escape(title)}</title>
<style>body{font-family:sans-serif;max-width:26rem;margin:2rem auto;padding:0 1rem}
label,input,button{display:block;width:100%;margin:.4rem 0;font-size:1rem}input,button{padding:.5rem}
.error{color:#a00}.note{color:#555;font-size:.9rem}</style></head>
<body><h1>${escape(config.name || 'Local OpenID Provider')}</h1>${body}</body></html>`;
}

async function readForm(req) {
  const chunks = [];
  let size = 0;
  for await (const chunk of req) {
    size += chunk.length;
    if (size > 65536) throw new Error('form too large');
    chunks.push(chunk);
  }
  return Object.fromEntries(new URLSearchParams(Buffer.concat(chunks).toString('utf8')));
}

const server = createServer();
server.listen(config.port || 0, host, () => {
  const { port } = server.address();
  const issuer = config.issuer || `http://${host}:${port}`;
  const scopeClaims = { pid: ['pid'], citizen_id: ['citizen_id'], given_name: ['given_name'], family_name: ['family_name'] };
  const provider = new Provider(issuer, {
    clients: (config.clients || []).map((client) => ({
      grant_types: ['authorization_code'],
      response_types: ['code'],
      token_endpoint_auth_method: 'client_secret_basic',
      ...client,
    })),
    jwks: { keys: [signingKey()] },
    cookies: { keys: [randomBytes(32).toString('hex')] },
    claims: {
      openid: ['sub'],
      amr: null,
      acr: null,
      auth_time: null,
      sid: null,
      email: ['email', 'email_verified'],
      ...scopeClaims,
    },
    scopes: ['openid', 'email', ...Object.keys(scopeClaims)],
    // ThaID and Digital ID put the requested claims in the id_token itself.
    conformIdTokenClaims: false,
    pkce: { required: () => true },
    features: {
      devInteractions: { enabled: false },
      rpInitiatedLogout: { enabled: true },
      // An RP asks for amr/acr (how the person signed in) through the claims parameter.
      claimsParameter: { enabled: true },
    },
    interactions: { url: (ctx, interaction) => `/interaction/${interaction.uid}` },
    async findAccount(ctx, id) {
      const account = accounts[id];
      if (!account) return undefined;
      return {
        accountId: id,
        async claims() {
          const claims = { sub: account.sub || id };
          for (const name of ['given_name', 'family_name', 'email', 'email_verified', 'pid', 'citizen_id']) {
            if (account[name] !== undefined) claims[name] = account[name];
          }
          if (account.email && account.email_verified === undefined) claims.email_verified = true;
          return claims;
        },
      };
    },
  });
  provider.proxy = false;

  provider.use(async (ctx, next) => {
    if (ctx.method === 'POST' && ctx.path === '/token') {
      for (const [name, value] of requiredHeaders) {
        if (ctx.get(name) !== value) {
          ctx.status = 401;
          ctx.body = { error: 'invalid_client', error_description: `the ${name} header is missing or wrong` };
          return;
        }
      }
    }
    const match = ctx.path.match(/^\/interaction\/([\w-]+)(\/(login|confirm|abort))?$/);
    if (!match) return next();
    ctx.set('Cache-Control', 'no-store');
    const [, uid, , action] = match;
    const details = await provider.interactionDetails(ctx.req, ctx.res);
    if (details.uid !== uid) ctx.throw(400, 'interaction mismatch');
    const { prompt, params } = details;
    if (action === 'abort') {
      ctx.redirect(await provider.interactionResult(ctx.req, ctx.res,
        { error: 'access_denied', error_description: 'End-User aborted interaction' }, { mergeWithLastSubmission: false }));
      return;
    }
    if (ctx.method === 'POST' && action === 'login' && prompt.name === 'login') {
      const form = await readForm(ctx.req);
      const account = accounts[form.login];
      if (!account || (account.password !== undefined && account.password !== form.password)) {
        ctx.status = 401;
        ctx.type = 'html';
        ctx.body = loginPage(uid, params, 'ไม่พบบัญชีหรือรหัสผ่านไม่ถูกต้อง / Unknown account or wrong password');
        return;
      }
      const login = { accountId: form.login };
      if (account.amr) login.amr = account.amr;
      if (account.acr) login.acr = account.acr;
      ctx.redirect(await provider.interactionResult(ctx.req, ctx.res, { login }, { mergeWithLastSubmission: false }));
      return;
    }
    if (ctx.method === 'POST' && action === 'confirm' && prompt.name === 'consent') {
      await readForm(ctx.req);
      const grant = details.grantId
        ? await provider.Grant.find(details.grantId)
        : new provider.Grant({ accountId: details.session.accountId, clientId: params.client_id });
      if (prompt.details.missingOIDCScope) grant.addOIDCScope(prompt.details.missingOIDCScope.join(' '));
      if (prompt.details.missingOIDCClaims) grant.addOIDCClaims(prompt.details.missingOIDCClaims);
      const grantId = await grant.save();
      ctx.redirect(await provider.interactionResult(ctx.req, ctx.res, { consent: { grantId } }, { mergeWithLastSubmission: true }));
      return;
    }
    ctx.type = 'html';
    ctx.body = prompt.name === 'login' ? loginPage(uid, params) : consentPage(uid, params);
  });

  function loginPage(uid, params, error) {
    return page('Sign in', `
<form method="post" action="/interaction/${escape(uid)}/login" autocomplete="off">
  ${error ? `<p class="error" role="alert">${escape(error)}</p>` : ''}
  <label for="login">ชื่อผู้ใช้ / Username</label>
  <input id="login" name="login" required autofocus value="${escape(params.login_hint)}">
  <label for="password">รหัสผ่าน / Password</label>
  <input id="password" name="password" type="password">
  <button type="submit">เข้าสู่ระบบ / Sign in</button>
</form>
<p><a href="/interaction/${escape(uid)}/abort">ยกเลิก / Cancel</a></p>
<p class="note">A local test provider: its people are the demo data's.</p>`);
  }

  function consentPage(uid, params) {
    return page('Consent', `
<p>${escape(params.client_id)} ขอข้อมูลต่อไปนี้ / asks for: ${escape(params.scope)}</p>
<form method="post" action="/interaction/${escape(uid)}/confirm">
  <button type="submit">อนุญาต / Allow</button>
</form>
<p><a href="/interaction/${escape(uid)}/abort">ยกเลิก / Cancel</a></p>`);
  }

  server.on('request', provider.callback());
  process.stdout.write(`${JSON.stringify({ issuer, port })}\n`);
});

for (const signal of ['SIGTERM', 'SIGINT']) {
  process.on(signal, () => server.close(() => process.exit(0)));
}
