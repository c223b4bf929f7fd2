// Development identity provider of «Моя школа».
//
// One process serves many Keycloak-like realms (issuer `<base>/realms/<name>`, endpoints under
// `/protocol/openid-connect/`, RS256 tokens with `kid`, claims `realm_access.roles`, `groups`,
// `sid`, `preferred_username`, `msh_person_id`) with the OpenID Certified `oidc-provider`, and
// the subset of the Keycloak Admin REST API that the platform's python-keycloak adapter uses,
// so that development provisions realms and accounts through the same code as production.
//
// Keycloak cannot run on the development machines; this is not a Keycloak replacement: realms,
// clients, roles, groups and users are kept in one JSON file (DEV_IDP_STATE), sessions in memory.
//
// Environment: DEV_IDP_PORT (8180; 0 = any free port), DEV_IDP_HOST (127.0.0.1),
// DEV_IDP_STATE (var/dev-idp/state.json), DEV_IDP_ADMIN_USER / DEV_IDP_ADMIN_PASSWORD
// (admin / admin: the master realm's admin-cli password grant).
//
// Beyond Keycloak: POST /admin/dev/realms/<realm>/rotate-keys (admin token) signs new tokens with
// a new key and keeps the previous one in the JWKS, like a Keycloak key rotation.

import crypto from 'node:crypto';
import dns from 'node:dns';
import fs from 'node:fs';
import http from 'node:http';
import path from 'node:path';

import Provider from 'oidc-provider';

const PORT = Number.parseInt(process.env.DEV_IDP_PORT ?? '8180', 10);
const HOST = process.env.DEV_IDP_HOST || '127.0.0.1';
const STATE_FILE = path.resolve(process.env.DEV_IDP_STATE || 'var/dev-idp/state.json');
const ADMIN_USER = process.env.DEV_IDP_ADMIN_USER || 'admin';
const ADMIN_PASSWORD = process.env.DEV_IDP_ADMIN_PASSWORD || 'admin';
const ADMIN_TOKEN_TTL = 3600;
let BASE_URL = '';

// --- state --------------------------------------------------------------------------------

function loadState() {
  try {
    return JSON.parse(fs.readFileSync(STATE_FILE, 'utf8'));
  } catch (err) {
    if (err.code !== 'ENOENT') throw err;
    return { cookieKey: crypto.randomBytes(32).toString('hex'), realms: {} };
  }
}

const state = loadState();

function saveState() {
  fs.mkdirSync(path.dirname(STATE_FILE), { recursive: true });
  const tmp = `${STATE_FILE}.tmp`;
  fs.writeFileSync(tmp, JSON.stringify(state, null, 1));
  fs.renameSync(tmp, STATE_FILE);
}

function newSigningKey() {
  const { privateKey } = crypto.generateKeyPairSync('rsa', { modulusLength: 2048 });
  const jwk = privateKey.export({ format: 'jwk' });
  return { ...jwk, kid: crypto.randomBytes(32).toString('base64url'), alg: 'RS256', use: 'sig' };
}

function hashPassword(password) {
  const salt = crypto.randomBytes(16).toString('hex');
  return `${salt}:${crypto.scryptSync(password, salt, 32).toString('hex')}`;
}

function passwordMatches(stored, password) {
  if (!stored || typeof password !== 'string') return false;
  const [salt, hash] = stored.split(':');
  const candidate = crypto.scryptSync(password, salt, 32);
  return crypto.timingSafeEqual(candidate, Buffer.from(hash, 'hex'));
}

// --- representations as Keycloak 26 returns them ------------------------------------------

const USER_ACCESS = {
  manageGroupMembership: true, view: true, mapRoles: true, impersonate: false, manage: true,
};

function realmRep(realm) {
  return {
    id: realm.id,
    realm: realm.realm,
    displayName: realm.displayName,
    displayNameHtml: realm.displayNameHtml ?? '',
    enabled: realm.enabled,
    sslRequired: realm.sslRequired ?? 'external',
    registrationAllowed: false,
    loginWithEmailAllowed: realm.loginWithEmailAllowed ?? false,
    duplicateEmailsAllowed: false,
    accessTokenLifespan: realm.accessTokenLifespan ?? 300,
    ssoSessionIdleTimeout: 1800,
    defaultSignatureAlgorithm: 'RS256',
    attributes: realm.attributes ?? {},
  };
}

function roleRep(realm, role) {
  return {
    id: role.id, name: role.name, description: role.description ?? '',
    composite: false, clientRole: false, containerId: realm.id,
  };
}

function groupRep(group, brief) {
  const rep = { id: group.id, name: group.name, path: `/${group.name}`, subGroupCount: 0, subGroups: [] };
  if (!brief) {
    Object.assign(rep, {
      attributes: group.attributes ?? {}, realmRoles: [], clientRoles: {},
      access: { view: true, viewMembers: true, manageMembers: true, manage: true, manageMembership: true },
    });
  }
  return rep;
}

function userRep(user, brief) {
  const rep = {
    id: user.id, username: user.username, firstName: user.firstName, lastName: user.lastName,
    emailVerified: false, createdTimestamp: user.createdTimestamp, enabled: user.enabled,
    totp: false, disableableCredentialTypes: [], requiredActions: [], notBefore: 0, access: USER_ACCESS,
  };
  if (!brief) rep.attributes = user.attributes ?? {};
  for (const key of Object.keys(rep)) if (rep[key] === undefined) delete rep[key];
  return rep;
}

function defaultUserProfile() {
  const perms = { view: ['admin', 'user'], edit: ['admin', 'user'] };
  return {
    attributes: [
      { name: 'username', displayName: '${username}', validations: { length: { min: 3, max: 255 }, 'username-prohibited-characters': {}, 'up-username-not-idn-homograph': {} }, permissions: perms, multivalued: false },
      { name: 'email', displayName: '${email}', validations: { email: {}, length: { max: 255 } }, permissions: perms, multivalued: false },
      { name: 'firstName', displayName: '${firstName}', validations: { length: { max: 255 }, 'person-name-prohibited-characters': {} }, permissions: perms, multivalued: false },
      { name: 'lastName', displayName: '${lastName}', validations: { length: { max: 255 }, 'person-name-prohibited-characters': {} }, permissions: perms, multivalued: false },
    ],
    groups: [{ name: 'user-metadata', displayHeader: 'User metadata', displayDescription: 'Attributes, which refer to user metadata' }],
  };
}

// --- realms -------------------------------------------------------------------------------

const providers = new Map();

function getRealm(name) {
  return state.realms[name];
}

function createRealm(rep) {
  const realm = {
    id: rep.id || crypto.randomUUID(),
    realm: rep.realm,
    displayName: rep.displayName ?? rep.realm,
    displayNameHtml: rep.displayNameHtml ?? '',
    enabled: rep.enabled ?? true,
    attributes: rep.attributes ?? {},
    loginWithEmailAllowed: rep.loginWithEmailAllowed ?? false,
    roles: [],
    clients: [],
    groups: [],
    users: [],
    keys: [newSigningKey()],
  };
  for (const name of ['offline_access', 'uma_authorization', `default-roles-${rep.realm}`]) {
    realm.roles.push({ id: crypto.randomUUID(), name, description: '' });
  }
  for (const role of rep.roles?.realm ?? []) addRole(realm, role);
  for (const client of rep.clients ?? []) addClient(realm, client);
  for (const group of rep.groups ?? []) addGroup(realm, group);
  for (const user of rep.users ?? []) addUser(realm, user);
  state.realms[realm.realm] = realm;
  saveState();
  return realm;
}

function addRole(realm, rep) {
  const role = { id: crypto.randomUUID(), name: rep.name, description: rep.description ?? '' };
  realm.roles.push(role);
  return role;
}

function addClient(realm, rep) {
  const client = {
    id: rep.id || crypto.randomUUID(),
    clientId: rep.clientId,
    name: rep.name ?? '',
    enabled: rep.enabled ?? true,
    clientAuthenticatorType: rep.clientAuthenticatorType ?? 'client-secret',
    secret: rep.secret ?? crypto.randomBytes(24).toString('base64url'),
    redirectUris: rep.redirectUris ?? [],
    webOrigins: rep.webOrigins ?? [],
    standardFlowEnabled: rep.standardFlowEnabled ?? true,
    implicitFlowEnabled: false,
    directAccessGrantsEnabled: rep.directAccessGrantsEnabled ?? false,
    serviceAccountsEnabled: rep.serviceAccountsEnabled ?? false,
    publicClient: rep.publicClient ?? false,
    frontchannelLogout: rep.frontchannelLogout ?? false,
    protocol: 'openid-connect',
    attributes: rep.attributes ?? {},
    protocolMappers: (rep.protocolMappers ?? []).map((m) => ({ id: crypto.randomUUID(), ...m })),
    fullScopeAllowed: rep.fullScopeAllowed ?? true,
  };
  realm.clients.push(client);
  return client;
}

function addGroup(realm, rep) {
  const group = { id: crypto.randomUUID(), name: rep.name, attributes: rep.attributes ?? {} };
  realm.groups.push(group);
  return group;
}

function addUser(realm, rep) {
  const user = {
    id: rep.id || crypto.randomUUID(),
    username: String(rep.username).toLowerCase(),
    firstName: rep.firstName,
    lastName: rep.lastName,
    enabled: rep.enabled ?? true,
    createdTimestamp: Date.now(),
    attributes: rep.attributes ?? {},
    realmRoles: [],
    groupIds: [],
  };
  for (const cred of rep.credentials ?? []) {
    if (cred.type === 'password' && cred.value) user.password = hashPassword(cred.value);
  }
  for (const name of rep.realmRoles ?? []) {
    if (realm.roles.some((r) => r.name === name) && !user.realmRoles.includes(name)) user.realmRoles.push(name);
  }
  for (const groupPath of rep.groups ?? []) {
    const group = realm.groups.find((g) => `/${g.name}` === groupPath || g.name === groupPath);
    if (group && !user.groupIds.includes(group.id)) user.groupIds.push(group.id);
  }
  realm.users.push(user);
  return user;
}

function clientMetadata(client) {
  const attrs = client.attributes ?? {};
  const postLogout = (attrs['post.logout.redirect.uris'] ?? '').split('##').filter(Boolean);
  const metadata = {
    client_id: client.clientId,
    client_secret: client.secret,
    redirect_uris: client.redirectUris,
    post_logout_redirect_uris: postLogout,
    grant_types: ['authorization_code', 'refresh_token'],
    response_types: ['code'],
    token_endpoint_auth_method: 'client_secret_basic',
  };
  if (attrs['backchannel.logout.url']) {
    metadata.backchannel_logout_uri = attrs['backchannel.logout.url'];
    metadata.backchannel_logout_session_required = attrs['backchannel.logout.session.required'] !== 'false';
  }
  return metadata;
}

function accountClaims(realm, user) {
  const groups = realm.groups.filter((g) => user.groupIds.includes(g.id)).map((g) => g.name).sort();
  const claims = {
    sub: user.id,
    preferred_username: user.username,
    realm_access: { roles: [...user.realmRoles].sort() },
    groups,
  };
  const personId = user.attributes?.msh_person_id?.[0];
  if (personId) claims.msh_person_id = personId;
  if (user.firstName) claims.given_name = user.firstName;
  if (user.lastName) claims.family_name = user.lastName;
  return claims;
}

// --- oidc-provider per realm ----------------------------------------------------------------

const store = new Map(); // shared by every realm's provider; ids are random

class MemoryAdapter {
  constructor(model, realmName) {
    this.model = model;
    this.realmName = realmName;
  }

  key(id) {
    return `${this.model}:${id}`;
  }

  get(key) {
    const entry = store.get(key);
    if (!entry) return undefined;
    if (entry.expiresAt && entry.expiresAt < Date.now()) {
      store.delete(key);
      return undefined;
    }
    return entry.payload;
  }

  async upsert(id, payload, expiresIn) {
    const expiresAt = expiresIn ? Date.now() + expiresIn * 1000 : undefined;
    store.set(this.key(id), { payload, expiresAt });
    if (this.model === 'Session') store.set(`sessionUid:${payload.uid}`, { payload: id, expiresAt });
    if (payload.grantId) {
      const grantKey = `grant:${payload.grantId}`;
      const list = this.get(grantKey) ?? [];
      list.push(this.key(id));
      store.set(grantKey, { payload: list, expiresAt });
    }
  }

  async find(id) {
    if (this.model === 'Client') {
      const client = getRealm(this.realmName)?.clients.find((c) => c.clientId === id && c.enabled);
      return client ? clientMetadata(client) : undefined;
    }
    return this.get(this.key(id));
  }

  async findByUid(uid) {
    const id = this.get(`sessionUid:${uid}`);
    return id ? this.find(id) : undefined;
  }

  async findByUserCode() {
    return undefined;
  }

  async consume(id) {
    const payload = this.get(this.key(id));
    if (payload) payload.consumed = Math.floor(Date.now() / 1000);
  }

  async destroy(id) {
    store.delete(this.key(id));
  }

  async revokeByGrantId(grantId) {
    for (const key of this.get(`grant:${grantId}`) ?? []) store.delete(key);
    store.delete(`grant:${grantId}`);
  }
}

function escapeHtml(value) {
  return String(value).replace(/[&<>"']/g, (c) => ({
    '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;',
  })[c]);
}

// Russian first; English when the platform asks for it (ui_locales, as Keycloak reads it) or,
// failing that, when the browser prefers it (Accept-Language).
const WORDS = {
  ru: {
    signIn: 'Вход', userName: 'Имя пользователя', password: 'Пароль', submit: 'Войти',
    devNote: 'Учебный сервер входа «Моя школа» (только для разработки)',
    expired: 'Сессия входа истекла', goBack: 'Вернитесь на сайт и войдите снова.',
    badPassword: 'Неверное имя пользователя или пароль.', disabled: 'Учётная запись отключена.',
    signOut: 'Выход', signingOut: 'Выполняется выход…', signOutButton: 'Выйти',
    signedOut: 'Вы вышли из системы', error: 'Ошибка входа',
  },
  en: {
    signIn: 'Sign in', userName: 'User name', password: 'Password', submit: 'Sign in',
    devNote: 'Training sign-in server of “My School” (development only)',
    expired: 'The sign-in session has expired', goBack: 'Go back to the site and sign in again.',
    badPassword: 'Wrong user name or password.', disabled: 'The account is disabled.',
    signOut: 'Sign out', signingOut: 'Signing out…', signOutButton: 'Sign out',
    signedOut: 'You have signed out', error: 'Sign-in error',
  },
};

function pickLanguage(uiLocales, acceptLanguage) {
  for (const tag of String(uiLocales ?? '').split(/\s+/)) {
    const lang = tag.slice(0, 2).toLowerCase();
    if (WORDS[lang]) return lang;
  }
  const ranked = String(acceptLanguage ?? '').split(',').map((part, i) => {
    const [tag, ...params] = part.trim().split(';');
    const q = params.map((p) => p.trim()).find((p) => p.startsWith('q='));
    return { lang: tag.slice(0, 2).toLowerCase(), q: q ? Number(q.slice(2)) : 1, i };
  }).filter((x) => WORDS[x.lang] && x.q > 0).sort((a, b) => b.q - a.q || a.i - b.i);
  return ranked.length ? ranked[0].lang : 'ru';
}

function page(title, body, lang = 'ru') {
  return `<!doctype html><html lang="${lang}"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1"><title>${escapeHtml(title)}</title>
<style>body{font-family:system-ui,sans-serif;background:#f6f7f9;margin:0}main{max-width:380px;margin:3rem auto;background:#fff;padding:1.5rem;border-radius:8px;box-shadow:0 1px 2px rgba(0,0,0,.1)}
label{display:block;margin:.75rem 0}input{width:100%;padding:.5rem;font:inherit;box-sizing:border-box}button{margin-top:1rem;width:100%;padding:.6rem;background:#1f5fbf;color:#fff;border:0;border-radius:4px;font:inherit}
.error{color:#b3261e}.muted{color:#666;font-size:.85rem}</style></head><body><main>${body}</main></body></html>`;
}

// *.localhost names resolve to loopback in browsers but not through the C resolver: the
// back-channel logout to http://dagestan.localhost:8000/... must still reach the platform.
function lookup(hostname, options, callback) {
  if (hostname === 'localhost' || hostname.endsWith('.localhost')) {
    if (options?.all) return callback(null, [{ address: '127.0.0.1', family: 4 }]);
    return callback(null, '127.0.0.1', 4);
  }
  return dns.lookup(hostname, options, callback);
}

const audienceResource = (clientId) => `urn:msh:client:${clientId}`;

function makeProvider(realmName) {
  const realm = getRealm(realmName);
  const issuer = `${BASE_URL}/realms/${realmName}`;
  const ocp = '/protocol/openid-connect';
  const provider = new Provider(issuer, {
    adapter: function adapter(model) { return new MemoryAdapter(model, realmName); },
    clients: [],
    async findAccount(ctx, id) {
      const user = getRealm(realmName)?.users.find((u) => u.id === id);
      if (!user || !user.enabled) return undefined;
      return {
        accountId: id,
        // Keycloak marks its ID tokens typ "ID" (access tokens get "Bearer" in extraTokenClaims)
        claims: async (use) => ({ ...accountClaims(getRealm(realmName), user), ...(use === 'id_token' ? { typ: 'ID' } : {}) }),
      };
    },
    claims: {
      openid: ['sub'],
      profile: ['preferred_username', 'given_name', 'family_name', 'realm_access', 'groups', 'msh_person_id', 'typ'],
    },
    scopes: ['openid', 'profile', 'offline_access'],
    conformIdTokenClaims: false,
    jwks: { keys: realm.keys },
    enabledJWA: { idTokenSigningAlgValues: ['RS256'] },
    cookies: {
      keys: [state.cookieKey],
      names: {
        session: `KEYCLOAK_SESSION_${realmName}`,
        interaction: `_interaction_${realmName}`,
        resume: `_interaction_resume_${realmName}`,
      },
    },
    pkce: { required: () => true, methods: ['S256'] },
    routes: {
      authorization: `${ocp}/auth`,
      token: `${ocp}/token`,
      jwks: `${ocp}/certs`,
      userinfo: `${ocp}/userinfo`,
      end_session: `${ocp}/logout`,
      revocation: `${ocp}/revoke`,
      introspection: `${ocp}/token/introspect`,
      pushed_authorization_request: `${ocp}/ext/par/request`,
      code_verification: `${ocp}/device`,
      device_authorization: `${ocp}/auth/device`,
      backchannel_authentication: `${ocp}/ext/ciba/auth`,
      registration: '/clients-registrations/openid-connect',
      challenge: `${ocp}/challenge`,
    },
    ttl: {
      AccessToken: () => getRealm(realmName).accessTokenLifespan ?? 300, AuthorizationCode: 60, IdToken: 300, Interaction: 1800,
      Session: 36000, Grant: 36000, RefreshToken: 1800,
    },
    interactions: { url: (ctx, interaction) => `/realms/${realmName}/login-actions/${interaction.uid}` },
    async loadExistingGrant(ctx) {
      const { client, session } = ctx.oidc;
      const grantId = ctx.oidc.result?.consent?.grantId || session.grantIdFor(client.clientId);
      if (grantId) return ctx.oidc.provider.Grant.find(grantId);
      // Every client of a realm is first party, as in Keycloak with consent off.
      const grant = new ctx.oidc.provider.Grant({ clientId: client.clientId, accountId: session.accountId });
      grant.addOIDCScope('openid profile offline_access');
      grant.addResourceScope(audienceResource(client.clientId), 'openid profile');
      await grant.save();
      return grant;
    },
    async extraTokenClaims(ctx, token) {
      if (token.kind !== 'AccessToken') return undefined;
      const currentRealm = getRealm(realmName);
      const user = currentRealm.users.find((u) => u.id === token.accountId);
      if (!user) return undefined;
      const { sub, ...claims } = accountClaims(currentRealm, user);
      return { ...claims, typ: 'Bearer', azp: token.clientId, sid: token.sid };
    },
    issueRefreshToken: async (ctx, client, code) => client.grantTypeAllowed('refresh_token') && code.scopes.has('offline_access'),
    features: {
      devInteractions: { enabled: false },
      userinfo: { enabled: true },
      revocation: { enabled: true },
      backchannelLogout: { enabled: true },
      rpInitiatedLogout: {
        enabled: true,
        async logoutSource(ctx, form) {
          // Keycloak ends the session without asking when the request carries id_token_hint.
          const lang = pickLanguage(ctx.oidc?.params?.ui_locales, ctx.get('accept-language'));
          const t = WORDS[lang];
          ctx.body = page(t.signOut, `<h1>${t.signOut}</h1>${form}
<p>${t.signingOut}</p><button type="submit" form="op.logoutForm" name="logout" value="yes">${t.signOutButton}</button>
<script>var f=document.getElementById('op.logoutForm');var i=document.createElement('input');i.type='hidden';i.name='logout';i.value='yes';f.appendChild(i);f.submit();</script>`, lang);
        },
        async postLogoutSuccessSource(ctx) {
          const lang = pickLanguage(ctx.oidc?.params?.ui_locales, ctx.get('accept-language'));
          ctx.body = page(WORDS[lang].signOut, `<h1>${WORDS[lang].signedOut}</h1>`, lang);
        },
      },
      resourceIndicators: {
        enabled: true,
        defaultResource: (ctx, client) => audienceResource(client.clientId),
        useGrantedResource: () => true,
        // Keycloak's audience mapper: the access token is for the client itself.
        getResourceServerInfo: (ctx, resource, client) => ({
          scope: 'openid profile',
          audience: client.clientId,
          accessTokenTTL: getRealm(realmName).accessTokenLifespan ?? 300,
          accessTokenFormat: 'jwt',
          jwt: { sign: { alg: 'RS256' } },
        }),
      },
    },
    httpOptions: () => ({ dnsLookup: lookup }),
    async renderError(ctx, out) {
      ctx.type = 'html';
      const lang = pickLanguage(ctx.oidc?.params?.ui_locales, ctx.get('accept-language'));
      const t = WORDS[lang];
      ctx.body = page(t.error, `<h1>${t.error}</h1><p class="error">${escapeHtml(out.error)}: ${escapeHtml(out.error_description ?? '')}</p>`, lang);
    },
  });
  provider.on('backchannel.error', (ctx, err, client) => {
    console.error(`back-channel logout to ${client.clientId} failed: ${err.message}`);
  });
  return provider;
}

function providerFor(realmName) {
  if (!getRealm(realmName)) return undefined;
  if (!providers.has(realmName)) providers.set(realmName, makeProvider(realmName));
  return providers.get(realmName);
}

// --- HTTP helpers ---------------------------------------------------------------------------

async function readBody(req) {
  const chunks = [];
  for await (const chunk of req) chunks.push(chunk);
  return Buffer.concat(chunks).toString('utf8');
}

function send(res, status, body, headers = {}) {
  if (body === undefined) {
    res.writeHead(status, headers);
    res.end();
    return;
  }
  const text = typeof body === 'string' ? body : JSON.stringify(body);
  const type = typeof body === 'string' ? 'text/html; charset=utf-8' : 'application/json';
  res.writeHead(status, { 'content-type': type, ...headers });
  res.end(text);
}

// --- the master realm's admin token ----------------------------------------------------------

const adminTokens = new Map();

function issueAdminToken() {
  const token = crypto.randomBytes(32).toString('base64url');
  adminTokens.set(token, Date.now() + ADMIN_TOKEN_TTL * 1000);
  return token;
}

async function adminTokenEndpoint(req, res) {
  const form = new URLSearchParams(await readBody(req));
  const grant = form.get('grant_type');
  const ok = (grant === 'password' && form.get('username') === ADMIN_USER && form.get('password') === ADMIN_PASSWORD)
    || (grant === 'refresh_token' && adminTokens.has(form.get('refresh_token')));
  if (!ok) return send(res, 401, { error: 'invalid_grant', error_description: 'Invalid user credentials' });
  return send(res, 200, {
    access_token: issueAdminToken(),
    expires_in: ADMIN_TOKEN_TTL,
    refresh_expires_in: ADMIN_TOKEN_TTL,
    refresh_token: issueAdminToken(),
    token_type: 'Bearer',
    'not-before-policy': 0,
    session_state: crypto.randomUUID(),
    scope: 'profile email',
  });
}

function adminAuthorized(req) {
  const header = req.headers.authorization ?? '';
  const token = header.startsWith('Bearer ') ? header.slice(7) : '';
  const expires = adminTokens.get(token);
  return Boolean(expires && expires > Date.now());
}

// --- the Keycloak Admin REST subset ------------------------------------------------------------

function page_(list, query) {
  const first = Number.parseInt(query.get('first') ?? '0', 10) || 0;
  const max = query.has('max') ? Number.parseInt(query.get('max'), 10) : 100;
  return max < 0 ? list.slice(first) : list.slice(first, first + max);
}

const isTrue = (value) => String(value).toLowerCase() === 'true';
const conflict = (res, message) => send(res, 409, { errorMessage: message });
const notFound = (res, message) => send(res, 404, { error: message });

async function adminApi(req, res, url) {
  if (!adminAuthorized(req)) return send(res, 401, { error: 'HTTP 401 Unauthorized' });
  const parts = url.pathname.split('/').filter(Boolean).map(decodeURIComponent); // admin, realms, …
  const method = req.method;
  const query = url.searchParams;
  const raw = ['POST', 'PUT', 'DELETE'].includes(method) ? await readBody(req) : '';
  const body = raw ? JSON.parse(raw) : undefined;
  const created = (id) => send(res, 201, undefined, { location: `${BASE_URL}${url.pathname}/${id}` });

  if (parts[1] === 'dev' && parts[2] === 'realms' && parts[4] === 'rotate-keys' && method === 'POST') {
    const realm = getRealm(parts[3]);
    if (!realm) return notFound(res, 'Realm not found.');
    realm.keys = [newSigningKey(), realm.keys[0]];
    saveState();
    providers.delete(realm.realm);
    return send(res, 200, { kid: realm.keys[0].kid });
  }
  if (parts[1] !== 'realms') return notFound(res, 'Not found');
  if (parts.length === 2) {
    if (method === 'GET') return send(res, 200, Object.values(state.realms).map(realmRep));
    if (method === 'POST') {
      if (getRealm(body.realm)) return conflict(res, `Conflict detected. See logs for details`);
      createRealm(body);
      return send(res, 201, undefined, { location: `${BASE_URL}/admin/realms/${body.realm}` });
    }
  }
  const realm = getRealm(parts[2]);
  if (!realm) return notFound(res, 'Realm not found.');
  const [, , , collection, id, sub, subId] = parts;

  if (!collection) {
    if (method === 'GET') return send(res, 200, realmRep(realm));
    if (method === 'PUT') {
      for (const key of ['displayName', 'displayNameHtml', 'enabled', 'attributes', 'loginWithEmailAllowed', 'accessTokenLifespan']) {
        if (body[key] !== undefined) realm[key] = body[key];
      }
      saveState();
      return send(res, 204);
    }
    if (method === 'DELETE') {
      delete state.realms[realm.realm];
      providers.delete(realm.realm);
      saveState();
      return send(res, 204);
    }
  }

  if (collection === 'roles') {
    if (!id && method === 'GET') return send(res, 200, page_(realm.roles.map((r) => roleRep(realm, r)), query));
    if (!id && method === 'POST') {
      if (realm.roles.some((r) => r.name === body.name)) return conflict(res, `Role with name ${body.name} already exists`);
      addRole(realm, body);
      saveState();
      return created(body.name);
    }
    const role = realm.roles.find((r) => r.name === id);
    if (!role) return notFound(res, 'Could not find role');
    if (method === 'GET') return send(res, 200, roleRep(realm, role));
  }

  if (collection === 'clients') {
    if (!id && method === 'GET') {
      const wanted = query.get('clientId');
      const list = realm.clients.filter((c) => !wanted || c.clientId === wanted);
      return send(res, 200, page_(list, query));
    }
    if (!id && method === 'POST') {
      if (realm.clients.some((c) => c.clientId === body.clientId)) return conflict(res, `Client ${body.clientId} already exists`);
      const client = addClient(realm, body);
      saveState();
      return created(client.id);
    }
    const client = realm.clients.find((c) => c.id === id);
    if (!client) return notFound(res, 'Could not find client');
    if (method === 'GET' && !sub) return send(res, 200, client);
    if (method === 'PUT' && !sub) {
      const { id: _ignored, protocolMappers, ...rest } = body;
      Object.assign(client, rest);
      if (protocolMappers) client.protocolMappers = protocolMappers.map((m) => ({ id: m.id || crypto.randomUUID(), ...m }));
      saveState();
      return send(res, 204);
    }
    if (sub === 'protocol-mappers' && subId === 'models' && method === 'POST') {
      if ((client.protocolMappers ?? []).some((m) => m.name === body.name)) return conflict(res, `Protocol mapper exists with same name`);
      const mapper = { id: crypto.randomUUID(), ...body };
      client.protocolMappers = [...(client.protocolMappers ?? []), mapper];
      saveState();
      return created(mapper.id);
    }
    if (method === 'GET' && sub === 'client-secret') return send(res, 200, { type: 'secret', value: client.secret });
  }

  if (collection === 'groups') {
    const brief = !(query.has('briefRepresentation') && !isTrue(query.get('briefRepresentation')));
    if (!id && method === 'GET') {
      const search = query.get('search');
      const exact = isTrue(query.get('exact'));
      const list = realm.groups.filter((g) => !search || (exact ? g.name === search : g.name.includes(search)));
      return send(res, 200, page_(list.map((g) => groupRep(g, brief)), query));
    }
    if (!id && method === 'POST') {
      if (realm.groups.some((g) => g.name === body.name)) return conflict(res, `Top level group named '${body.name}' already exists.`);
      const group = addGroup(realm, body);
      saveState();
      return created(group.id);
    }
    const group = realm.groups.find((g) => g.id === id);
    if (!group) return notFound(res, 'Could not find group by id');
    if (method === 'GET' && !sub) return send(res, 200, groupRep(group, false));
    if (method === 'PUT' && !sub) {
      if (body.name !== undefined) group.name = body.name;
      if (body.attributes !== undefined) group.attributes = body.attributes;
      saveState();
      return send(res, 204);
    }
    if (method === 'GET' && sub === 'members') {
      const members = realm.users.filter((u) => u.groupIds.includes(group.id)).map((u) => userRep(u, isTrue(query.get('briefRepresentation'))));
      return send(res, 200, page_(members, query));
    }
  }

  if (collection === 'users') {
    if (!id && method === 'GET') {
      const brief = isTrue(query.get('briefRepresentation'));
      const username = query.get('username')?.toLowerCase();
      const exact = isTrue(query.get('exact'));
      const q = query.get('q');
      let list = realm.users;
      if (username) list = list.filter((u) => (exact ? u.username === username : u.username.includes(username)));
      if (q) {
        const [key, value] = q.split(':');
        list = list.filter((u) => (u.attributes?.[key] ?? []).includes(value));
      }
      return send(res, 200, page_(list.map((u) => userRep(u, brief)), query));
    }
    if (!id && method === 'POST') {
      if (realm.users.some((u) => u.username === String(body.username).toLowerCase())) return conflict(res, 'User exists with same username');
      const user = addUser(realm, body);
      saveState();
      return created(user.id);
    }
    if (id === 'count' && method === 'GET') return send(res, 200, realm.users.length);
    if (id === 'profile') {
      if (method === 'GET') return send(res, 200, realm.userProfile ?? defaultUserProfile());
      if (method === 'PUT') {
        realm.userProfile = body;
        saveState();
        return send(res, 200, realm.userProfile);
      }
    }
    const user = realm.users.find((u) => u.id === id);
    if (!user) return notFound(res, 'User not found');
    if (!sub) {
      if (method === 'GET') return send(res, 200, userRep(user, false));
      if (method === 'PUT') {
        for (const key of ['enabled', 'firstName', 'lastName', 'attributes']) if (body[key] !== undefined) user[key] = body[key];
        saveState();
        return send(res, 204);
      }
    }
    if (sub === 'role-mappings' && subId === 'realm') {
      if (method === 'GET') {
        return send(res, 200, realm.roles.filter((r) => user.realmRoles.includes(r.name)).map((r) => roleRep(realm, r)));
      }
      const names = (body ?? []).map((r) => r.name);
      if (method === 'POST') {
        for (const name of names) {
          if (!realm.roles.some((r) => r.name === name)) return notFound(res, 'Role not found');
          if (!user.realmRoles.includes(name)) user.realmRoles.push(name);
        }
      } else if (method === 'DELETE') {
        user.realmRoles = user.realmRoles.filter((n) => !names.includes(n));
      }
      saveState();
      return send(res, 204);
    }
    if (sub === 'groups') {
      if (!subId && method === 'GET') {
        const brief = !(query.has('briefRepresentation') && !isTrue(query.get('briefRepresentation')));
        const list = realm.groups.filter((g) => user.groupIds.includes(g.id)).map((g) => groupRep(g, brief));
        return send(res, 200, page_(list, query));
      }
      const group = realm.groups.find((g) => g.id === subId);
      if (!group) return notFound(res, 'Group not found');
      if (method === 'PUT' && !user.groupIds.includes(group.id)) user.groupIds.push(group.id);
      if (method === 'DELETE') user.groupIds = user.groupIds.filter((g) => g !== group.id);
      saveState();
      return send(res, 204);
    }
    if (sub === 'reset-password' && method === 'PUT') {
      user.password = hashPassword(body.value);
      saveState();
      return send(res, 204);
    }
  }

  if (collection === 'partialImport' && method === 'POST') {
    const policy = body.ifResourceExists ?? 'FAIL';
    // As Keycloak: a user in a group that does not exist fails the whole import (HTTP 500,
    // RepresentationToModel.createGroups), nothing of it is kept.
    for (const rep of body.users ?? []) {
      for (const groupPath of rep.groups ?? []) {
        if (!realm.groups.some((g) => `/${g.name}` === groupPath)) {
          return send(res, 500, { errorMessage: `Unable to find group specified by path: ${groupPath}` });
        }
      }
    }
    const results = [];
    for (const rep of body.users ?? []) {
      const name = String(rep.username).toLowerCase();
      const existing = realm.users.find((u) => u.username === name);
      if (existing && policy === 'FAIL') return conflict(res, `User with user name ${name} already exists.`);
      if (existing && policy === 'SKIP') {
        results.push({ action: 'SKIPPED', resourceType: 'USER', resourceName: name, id: existing.id });
        continue;
      }
      if (existing) realm.users.splice(realm.users.indexOf(existing), 1);
      const user = addUser(realm, rep);
      results.push({ action: existing ? 'OVERWRITTEN' : 'ADDED', resourceType: 'USER', resourceName: name, id: user.id });
    }
    saveState();
    const count = (action) => results.filter((r) => r.action === action).length;
    return send(res, 200, {
      overwritten: count('OVERWRITTEN'), added: count('ADDED'), skipped: count('SKIPPED'), results,
    });
  }

  return notFound(res, `Unsupported by the development identity provider: ${method} ${url.pathname}`);
}

// --- the login page of a realm -----------------------------------------------------------------

// The realm's header as Keycloak's login theme shows displayNameHtml — here reduced to its text
// (line breaks kept): the development server renders no HTML it was given.
function realmHeader(realm) {
  if (!realm.displayNameHtml) return `<p class="muted">${escapeHtml(realm.displayName)}</p>`;
  return realm.displayNameHtml
    .split(/<br\s*\/?>/i)
    .map((line) => line.replace(/<[^>]*>/g, '').replace(/&lt;/g, '<').replace(/&gt;/g, '>').replace(/&quot;/g, '"').replace(/&#39;/g, "'").replace(/&amp;/g, '&').trim())
    .filter(Boolean)
    .map((line) => `<p class="muted">${escapeHtml(line)}</p>`)
    .join('');
}

function loginPage(realm, uid, lang, error = '', username = '') {
  const t = WORDS[lang];
  return page(`${t.signIn} — ${realm.displayName}`, `<h1>${t.signIn}</h1>${realmHeader(realm)}
${error ? `<p class="error">${escapeHtml(error)}</p>` : ''}
<form method="post" action="/realms/${escapeHtml(realm.realm)}/login-actions/${escapeHtml(uid)}">
<label>${t.userName}<input name="username" autocomplete="username" value="${escapeHtml(username)}" autofocus required></label>
<label>${t.password}<input name="password" type="password" autocomplete="current-password" required></label>
<button type="submit">${t.submit}</button></form>
<p class="muted">${t.devNote}</p>`, lang);
}

async function loginActions(req, res, realmName, uid) {
  const realm = getRealm(realmName);
  const provider = providerFor(realmName);
  let details;
  try {
    details = await provider.interactionDetails(req, res);
  } catch {
    const lang = pickLanguage('', req.headers['accept-language']);
    const t = WORDS[lang];
    return send(res, 400, page(t.signIn, `<h1>${t.expired}</h1><p>${t.goBack}</p>`, lang));
  }
  const lang = pickLanguage(details.params?.ui_locales, req.headers['accept-language']);
  if (details.uid !== uid) return send(res, 400, page(WORDS[lang].signIn, `<h1>${WORDS[lang].expired}</h1>`, lang));
  if (details.prompt.name !== 'login') {
    return provider.interactionFinished(req, res, { consent: {} }, { mergeWithLastSubmission: true });
  }
  if (req.method === 'GET') return send(res, 200, loginPage(realm, uid, lang));
  const form = new URLSearchParams(await readBody(req));
  const username = (form.get('username') ?? '').trim().toLowerCase();
  const user = realm.users.find((u) => u.username === username);
  if (!user || !passwordMatches(user.password, form.get('password'))) {
    return send(res, 200, loginPage(realm, uid, lang, WORDS[lang].badPassword, username));
  }
  if (!user.enabled) return send(res, 200, loginPage(realm, uid, lang, WORDS[lang].disabled, username));
  return provider.interactionFinished(req, res, { login: { accountId: user.id } }, { mergeWithLastSubmission: false });
}

// --- routing -----------------------------------------------------------------------------------

async function handle(req, res) {
  const url = new URL(req.url, BASE_URL);
  const parts = url.pathname.split('/').filter(Boolean);
  if (url.pathname === '/health') return send(res, 200, { status: 'UP' });
  if (url.pathname === '/realms/master/protocol/openid-connect/token' && req.method === 'POST') {
    return adminTokenEndpoint(req, res);
  }
  if (parts[0] === 'admin') return adminApi(req, res, url);
  if (parts[0] === 'realms' && parts[1]) {
    const realmName = decodeURIComponent(parts[1]);
    if (!getRealm(realmName)) return send(res, 404, { error: 'Realm does not exist' });
    if (parts[2] === 'login-actions' && parts[3]) return loginActions(req, res, realmName, parts[3]);
    const prefix = `/realms/${parts[1]}`;
    req.originalUrl = req.url;
    req.url = req.url.slice(prefix.length) || '/';
    const provider = providerFor(realmName);
    provider.handler ??= provider.callback();
    return provider.handler(req, res);
  }
  return send(res, 404, { error: 'Not found' });
}

const server = http.createServer((req, res) => {
  handle(req, res).catch((err) => {
    console.error(err);
    if (!res.headersSent) send(res, 500, { error: 'server_error', error_description: err.message });
  });
});

server.listen(PORT, HOST, () => {
  const { port } = server.address();
  BASE_URL = `http://${HOST}:${port}`;
  console.log(`dev-idp listening on ${BASE_URL}`);
});

for (const signal of ['SIGINT', 'SIGTERM']) process.on(signal, () => server.close(() => process.exit(0)));
