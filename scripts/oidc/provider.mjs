// OpenID providers for msp's tests, on loopback, built with the certified `oidc-provider`
// package: a Pro Santé Connect-like one (`psc`: claims SubjectNameID = IdNat_PS and
// SubjectRefPro with the profession code) and a FranceConnect-like one (`fc`: given_name,
// family_name, birthdate, birthplace), plus variants for the refusals msp must make:
//   mauvaise-cle  a PSC-like issuer whose JWKS publishes psc's key, not the one it signs with
//   expire        a PSC-like issuer whose clock is an hour late when it issues tokens: its
//                 ID tokens (valid 60 s) have expired when they arrive
//   autre-nonce   a PSC-like issuer that puts another nonce in its ID tokens
// Each one listens on its own free port of 127.0.0.1; once all listen, one JSON line on
// standard output maps each name to its issuer URL.
//
// Usage: node provider.mjs CONFIG.json, where CONFIG is
//   {"redirect_uris": ["http://127.0.0.1:PORT/connexion/oidc/retour"],
//    "clients": {"psc": {"client_id": "...", "client_secret": "..."}, "fc": {...}},
//    "users": {"psc": {"LOGIN": {claims}}, "fc": {"LOGIN": {claims}}}}
// An authorization request with `login_hint=LOGIN` signs LOGIN in at once (HTTP tests); without
// it the provider shows a small French form listing the users (browser tests).

import http from 'node:http';
import { generateKeyPairSync, randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import Provider from 'oidc-provider';

const config = JSON.parse(readFileSync(process.argv[2], 'utf8'));

function signingKey() {
  const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  return { ...privateKey.export({ format: 'jwk' }), kid: randomUUID(), use: 'sig', alg: 'RS256' };
}

function publicJwks(key) {
  const { d, p, q, dp, dq, qi, ...pub } = key;
  return { keys: [pub] };
}

const PSC_CLAIMS = ['SubjectNameID', 'SubjectRefPro', 'given_name', 'family_name'];
const FC_CLAIMS = ['given_name', 'family_name', 'birthdate', 'birthplace'];

const escape = (s) => String(s).replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

function page(title, body) {
  return `<!doctype html><html lang="fr"><head><meta charset="utf-8"><title>${escape(title)}</title></head>
<body><main><h1>${escape(title)}</h1>${body}</main></body></html>`;
}

async function start(name, kind, options = {}) {
  const server = http.createServer();
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  const issuer = `http://127.0.0.1:${server.address().port}`;
  const users = config.users[kind] || {};
  const client = config.clients[kind];
  const key = options.key || signingKey();
  const claimsOf = kind === 'psc' ? PSC_CLAIMS : FC_CLAIMS;
  const provider = new Provider(issuer, {
    clients: [{
      client_id: client.client_id,
      client_secret: client.client_secret,
      redirect_uris: config.redirect_uris,
      response_types: ['code'],
      grant_types: ['authorization_code'],
      token_endpoint_auth_method: 'client_secret_basic',
    }],
    jwks: { keys: [key] },
    cookies: { keys: [randomUUID()] },
    pkce: { required: () => true },
    conformIdTokenClaims: false,
    claims: kind === 'psc'
      ? { openid: ['sub'], scope_all: PSC_CLAIMS }
      : { openid: ['sub'], given_name: ['given_name'], family_name: ['family_name'],
          birthdate: ['birthdate'], birthplace: ['birthplace'] },
    scopes: kind === 'psc' ? ['openid', 'scope_all'] : ['openid', ...FC_CLAIMS],
    ttl: options.clockLate ? { IdToken: 60 } : undefined,
    features: { devInteractions: { enabled: false } },
    interactions: { url: (ctx, interaction) => `/interaction/${interaction.uid}` },
    async findAccount(ctx, sub) {
      const claims = users[sub];
      if (!claims) return undefined;
      return {
        accountId: sub,
        async claims() {
          const out = { sub };
          for (const c of claimsOf) if (claims[c] !== undefined) out[c] = claims[c];
          return out;
        },
      };
    },
  });
  provider.proxy = false;

  if (options.otherNonce) {
    // The authorization request's nonce is replaced before the provider reads it.
    provider.use(async (ctx, next) => {
      if (ctx.path === '/auth' && ctx.query.nonce) {
        ctx.query = { ...ctx.query, nonce: `autre-${ctx.query.nonce}` };
      }
      await next();
    });
  }
  if (options.clockLate) {
    provider.use(async (ctx, next) => {
      if (ctx.path !== '/token') return next();
      const now = Date.now;
      Date.now = () => now() - 3600 * 1000;
      try { await next(); } finally { Date.now = now; }
    });
  }
  if (options.publishedJwks) {
    provider.use(async (ctx, next) => {
      await next();
      if (ctx.path === '/jwks') ctx.body = options.publishedJwks;
    });
  }

  async function finish(req, res, interaction, accountId) {
    const { prompt, params } = interaction;
    if (prompt.name === 'login') {
      return provider.interactionFinished(req, res, { login: { accountId } }, { mergeWithLastSubmission: false });
    }
    const grant = interaction.grantId
      ? await provider.Grant.find(interaction.grantId)
      : new provider.Grant({ accountId: interaction.session.accountId, clientId: params.client_id });
    grant.addOIDCScope(params.scope);
    const grantId = await grant.save();
    return provider.interactionFinished(req, res, { consent: { grantId } }, { mergeWithLastSubmission: true });
  }

  const callback = provider.callback();
  server.on('request', async (req, res) => {
    const url = new URL(req.url, issuer);
    const match = url.pathname.match(/^\/interaction\/([^/]+)$/);
    if (!match) return callback(req, res);
    try {
      const interaction = await provider.interactionDetails(req, res);
      if (interaction.prompt.name !== 'login') {
        return await finish(req, res, interaction);
      }
      let login = interaction.params.login_hint;
      if (req.method === 'POST') {
        const body = await new Promise((resolve) => {
          let data = '';
          req.on('data', (c) => { data += c; });
          req.on('end', () => resolve(data));
        });
        login = new URLSearchParams(body).get('login');
      }
      if (login && users[login]) return await finish(req, res, interaction, login);
      res.setHeader('content-type', 'text/html; charset=utf-8');
      const options = Object.keys(users).map((u) => `<option value="${escape(u)}">${escape(u)}</option>`).join('');
      res.end(page(`Fournisseur d’identité de test (${name})`, `<form method="post" action="/interaction/${escape(interaction.uid)}">
<label for="login">Identité</label> <select id="login" name="login">${options}</select>
<button type="submit">Se connecter</button></form>`));
    } catch (err) {
      res.statusCode = 400;
      res.setHeader('content-type', 'text/html; charset=utf-8');
      res.end(page('Erreur du fournisseur de test', `<p>${escape(err.message)}</p>`));
    }
  });
  return { issuer, key };
}

const psc = await start('psc', 'psc');
const issuers = {
  psc: psc.issuer,
  fc: (await start('fc', 'fc')).issuer,
  'mauvaise-cle': (await start('mauvaise-cle', 'psc', { publishedJwks: publicJwks(psc.key) })).issuer,
  expire: (await start('expire', 'psc', { clockLate: true })).issuer,
  'autre-nonce': (await start('autre-nonce', 'psc', { otherNonce: true })).issuer,
};
process.stdout.write(`${JSON.stringify(issuers)}\n`);
// Stops with its parent: the test harness closes standard input.
process.stdin.on('end', () => process.exit(0));
process.stdin.resume();
