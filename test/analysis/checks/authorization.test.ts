// The AuthorizationPolicy checks (analysis/checks/authorization.ts) finding by finding: which
// object each reports, at which severity, and what the message says, on small manifests beside
// BASE. The table in test/analysis/checks.test.ts shows that each fires and a near-identical
// manifest is clean; these pin the branches a mutation run found untested (issue 21).
import { AUTHORIZATION_CHECKS } from '../../../analysis/checks/authorization.js';
import { app, BASE, foundIn as found, GATEWAY_POD, istio, join, ns } from '../fixtures.js';

const ap = (name: string, spec: string, annotations?: string, namespace = 'shop') => istio('AuthorizationPolicy', namespace, name, spec, annotations);
const pa = (name: string, spec: string, namespace = 'shop') => istio('PeerAuthentication', namespace, name, spec);
const WEB = '"cluster.local/ns/shop/sa/web"';
const ON_API = '{selector: {matchLabels: {app: api}}, ';
const ON_DB = '{selector: {matchLabels: {app: db}}, ';
/** An ALLOW on api with the given rules. */
const onApi = (rules: string, name = 'x') => ap(name, `${ON_API}rules: ${rules}}`);

/** A Deployment in shop whose container declares no ports (the default ServiceAccount). */
const portlessDeployment = (name: string) => `apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: ${name}, namespace: shop}\nspec: {selector: {matchLabels: {app: ${name}}}, template: {metadata: {labels: {app: ${name}}}, spec: {containers: [{name: app, image: "example/${name}:1"}]}}}\n`;

const messages = (yaml: string, code: string) => found(yaml, code).map((f) => f.message);
/** The messages of `code` on BASE plus the given documents. */
const on = (code: string, ...docs: string[]) => messages(join(BASE, ...docs), code);

test('each authorization check has a title (named when it fails, ZT009) and the authorization area', () => {
  for (const c of AUTHORIZATION_CHECKS) {
    expect([c.code, c.area]).toEqual([c.code, 'authorization']);
    expect(c.title.length).toBeGreaterThan(15);
  }
});

describe('ZT101: AuthorizationPolicy structure the webhook rejects', () => {
  const rejected = (problem: string) => `AuthorizationPolicy shop/x: ${problem}. The API server (or istiod) rejects the policy, so it never takes effect.`;
  const problems = (spec: string) => on('ZT101', ap('x', spec));

  test('the finding: error, on the policy, with the fix', () => {
    expect(found(join(BASE, ap('x', '{action: DENY}')), 'ZT101')).toEqual([{
      severity: 'error', object: 'AuthorizationPolicy shop/x', message: rejected('action DENY without rules is rejected ("meaningless")'),
      fix: 'correct the policy\'s structure as the AuthorizationPolicy reference describes; `istioctl validate -f` shows the same error.',
    }]);
  });

  test('more than one way to attach', () => {
    expect(problems('{selector: {matchLabels: {app: api}}, targetRefs: [{kind: Service, group: "", name: api}]}')).toEqual([rejected('it sets selector and targetRefs; only one of them may be set')]);
    expect(problems('{targetRef: {kind: Service, group: "", name: api}, targetRefs: [{kind: Service, group: "", name: web}]}')).toEqual([rejected('it sets targetRef and targetRefs; only one of them may be set')]);
    expect(problems('{targetRefs: [{kind: Service, group: "", name: api}]}')).toEqual([]);
  });

  test('action, provider and rules', () => {
    expect(problems('{action: allow}')).toEqual([rejected('action "allow" is not one of ALLOW, DENY, AUDIT, CUSTOM (upper case)')]);
    expect(problems('{provider: {name: ext}}')).toEqual([rejected('provider is only allowed with action CUSTOM')]);
    expect(problems('{action: CUSTOM, provider: {}, rules: [{to: [{operation: {paths: ["/x"]}}]}]}')).toEqual([rejected('action CUSTOM needs provider.name')]);
    expect(problems('{action: CUSTOM, rules: [{to: [{operation: {paths: ["/x"]}}]}]}')).toEqual([rejected('action CUSTOM needs provider.name')]);
    expect(problems('{action: CUSTOM, provider: {name: ext}}')).toEqual([rejected('action CUSTOM without rules is rejected ("meaningless")')]);
    expect(problems('{action: CUSTOM, provider: {name: ext}, rules: [{to: [{operation: {paths: ["/x"]}}]}]}')).toEqual([]);
    expect(problems('{action: AUDIT}')).toEqual([]);
    expect(problems('{action: DENY, rules: [{}]}')).toEqual([]);
    expect(problems('{rules: {from: []}}')).toEqual([rejected('rules is not a list')]);
    expect(problems('{action: DENY, rules: {from: []}}')).toEqual([rejected('action DENY without rules is rejected ("meaningless")'), rejected('rules is not a list')]);
  });

  test('targetRefs: a name, no namespace, a kind of four (targetRef counts first)', () => {
    expect(problems('{targetRefs: [{kind: Deployment, namespace: other}]}')).toEqual([
      rejected('targetRefs[0] has no name'), rejected('targetRefs[0] sets namespace; cross-namespace references are rejected'),
      rejected('targetRefs[0] kind "Deployment" is not one of Service, ServiceEntry, Gateway, GatewayClass'),
    ].sort());
    expect(problems('{targetRef: {kind: Service, name: api}}')).toEqual([]);
    expect(problems('{targetRef: {kind: Service}, targetRefs: [{kind: Service}]}')).toEqual([
      rejected('it sets targetRef and targetRefs; only one of them may be set'), rejected('targetRefs[0] has no name'), rejected('targetRefs[1] has no name'),
    ].sort());
    expect(problems('{targetRefs: [{name: api}]}')).toEqual([rejected('targetRefs[0] kind "" is not one of Service, ServiceEntry, Gateway, GatewayClass')]);
    for (const kind of ['ServiceEntry', 'Gateway', 'GatewayClass']) expect(problems(`{targetRefs: [{kind: ${kind}, name: a}]}`)).toEqual([]);
  });

  test('rules that are null, sources and operations that are empty', () => {
    expect(problems(`${ON_API}rules: [null, {from: [{source: {principals: [${WEB}]}}, {}], to: [{operation: {paths: ["/a"]}}, {operation: {}}]}]}`)).toEqual([
      rejected('rules[0] is empty (null) or not a map'), rejected('rules[1].from[1].source is missing or empty'), rejected('rules[1].to[1].operation is missing or empty'),
    ]);
  });

  test('CUSTOM may not use identities or token claims, in sources or when', () => {
    const when = ['source.principal', 'source.namespace', 'source.serviceAccount', 'source.trustDomain', 'request.auth.claims[iss]', 'source.ip']
      .map((k) => `{key: "${k}", values: [a]}`).join(', ');
    expect(problems(`{action: CUSTOM, provider: {name: ext}, rules: [{from: [{source: {principals: [${WEB}], notNamespaces: [a], remoteIpBlocks: [10.0.0.1]}}], when: [${when}]}]}`)).toEqual([
      rejected('rules[0]: action CUSTOM may not use principals, notNamespaces, when source.principal, when source.namespace, when source.serviceAccount, when source.trustDomain and when request.auth.claims[iss]'),
    ]);
  });

  // validation.go ValidateAuthorizationPolicy refuses each of these under CUSTOM when it is not empty.
  test.each(['principals', 'notPrincipals', 'namespaces', 'notNamespaces', 'serviceAccounts', 'notServiceAccounts', 'trustDomains', 'notTrustDomains', 'requestPrincipals', 'notRequestPrincipals'])(
    'CUSTOM may not use source.%s; an empty list is accepted', (field) => {
      const custom = (value: string) => problems(`{action: CUSTOM, provider: {name: ext}, rules: [{from: [{source: {${field}: ${value}, ipBlocks: [10.0.0.1]}}]}]}`);
      expect(custom('[a]')).toEqual([rejected(`rules[0]: action CUSTOM may not use ${field}`)]);
      expect(custom('[]')).toEqual([]);
    });
});

describe('ZT102: AuthorizationPolicy values the webhook rejects', () => {
  const rejected = (problem: string) => `AuthorizationPolicy shop/x: ${problem}. The API server (or istiod) rejects the policy, so it never takes effect.`;
  const source = (s: string) => on('ZT102', onApi(`[{from: [{source: ${s}}]}]`));
  const operation = (o: string) => on('ZT102', onApi(`[{from: [{source: {principals: [${WEB}]}}], to: [{operation: ${o}}]}]`));

  test('the finding: error, on the policy, with the fix', () => {
    expect(found(join(BASE, onApi('[{from: [{source: {ipBlocks: ["10.0.0.300"]}}]}]')), 'ZT102')).toEqual([{
      severity: 'error', object: 'AuthorizationPolicy shop/x', message: rejected('rules[0]: ipBlocks value "10.0.0.300" is not an IP address or CIDR'),
      fix: 'correct the value as the AuthorizationPolicy reference describes; `istioctl validate -f` shows the same error.',
    }]);
  });

  test('selector labels: no empty key, no "*"', () => {
    expect(on('ZT102', ap('x', '{selector: {matchLabels: {"": api}}}'))).toEqual([rejected('selector.matchLabels has an empty key')]);
    expect(on('ZT102', ap('x', '{selector: {matchLabels: {app: "api*"}}}'))).toEqual([rejected('selector.matchLabels "app: api*" contains "*"; selectors take no wildcards')]);
    expect(on('ZT102', ap('x', '{selector: {matchLabels: {"app*": api}}}'))).toEqual([rejected('selector.matchLabels "app*: api" contains "*"; selectors take no wildcards')]);
  });

  test('an empty value in a source or operation list', () => {
    expect(source('{principals: [""], notIpBlocks: [null]}')).toEqual([rejected('rules[0]: notIpBlocks contains an empty value'), rejected('rules[0]: principals contains an empty value')]);
    expect(operation('{paths: ["/a", ""], notHosts: [null]}')).toEqual([rejected('rules[0]: notHosts contains an empty value'), rejected('rules[0]: paths contains an empty value')]);
  });

  test('IP blocks of every kind; an empty one is reported only as empty', () => {
    expect(source('{notIpBlocks: [10.0.0.0/33], remoteIpBlocks: [host], notRemoteIpBlocks: ["10.1.0.0/16", ""]}')).toEqual([
      rejected('rules[0]: notRemoteIpBlocks contains an empty value'),
      rejected('rules[0]: notIpBlocks value "10.0.0.0/33" is not an IP address or CIDR'),
      rejected('rules[0]: remoteIpBlocks value "host" is not an IP address or CIDR'),
    ].sort());
  });

  test('an invalid notRemoteIpBlocks value', () => {
    expect(source('{notRemoteIpBlocks: [host]}')).toEqual([rejected('rules[0]: notRemoteIpBlocks value "host" is not an IP address or CIDR')]);
  });

  // validation.go checks every list of a source and an operation for empty values.
  test.each(['principals', 'notPrincipals', 'namespaces', 'notNamespaces', 'serviceAccounts', 'notServiceAccounts', 'trustDomains', 'notTrustDomains',
    'requestPrincipals', 'notRequestPrincipals', 'ipBlocks', 'notIpBlocks', 'remoteIpBlocks', 'notRemoteIpBlocks'])('an empty value in source.%s', (field) => {
    expect(source(`{${field}: [""]}`)).toEqual([rejected(`rules[0]: ${field} contains an empty value`)]);
  });

  test.each(['hosts', 'notHosts', 'ports', 'notPorts', 'methods', 'notMethods', 'paths', 'notPaths'])('an empty value in operation.%s', (field) => {
    expect(operation(`{${field}: [""]}`)).toEqual([rejected(`rules[0]: ${field} contains an empty value`)]);
  });

  test('an empty port is reported only as empty', () => {
    expect(operation('{ports: [""]}')).toEqual([rejected('rules[0]: ports contains an empty value')]);
  });

  test('ports: numbers 0-65535, no ranges or names', () => {
    expect(operation('{ports: ["0", "65535", "65536", "80-90"], notPorts: [http]}')).toEqual(
      [['notPorts', 'http'], ['ports', '65536'], ['ports', '80-90']].map(([f, v]) => rejected(`rules[0]: ${f} value "${v}" is not a port number (0-65535, no ranges or names)`)));
  });

  test('service accounts: at most 16, no "*", "<sa>" or "<namespace>/<sa>" of at most 320 characters', () => {
    const sas = (n: number) => `[${Array.from({ length: n }, (_, i) => `sa${i}`).join(', ')}]`;
    expect(source(`{serviceAccounts: ${sas(17)}}`)).toEqual([rejected('rules[0]: serviceAccounts has 17 entries; at most 16 are allowed')]);
    expect(source(`{serviceAccounts: ${sas(16)}}`)).toEqual([]);
    const long = 'a'.repeat(321);
    expect(source(`{notServiceAccounts: ["shop/web/x", "${long}", "${long.slice(1)}", "shop/*", shop/web, web, ""]}`)).toEqual([
      rejected('rules[0]: notServiceAccounts contains an empty value'),
      rejected('rules[0]: notServiceAccounts value "shop/web/x" is not "<sa>" or "<namespace>/<sa>"'),
      rejected(`rules[0]: notServiceAccounts value "${long}" is not "<sa>" or "<namespace>/<sa>"`),
      rejected('rules[0]: notServiceAccounts value "shop/*" contains "*"; service accounts take no wildcards'),
    ].sort());
  });

  test('service accounts with principals or namespaces in one source', () => {
    const combined = rejected('rules[0]: serviceAccounts cannot be combined with principals or namespaces in one source');
    expect(source(`{serviceAccounts: [web], principals: [${WEB}]}`)).toEqual([combined]);
    expect(source('{notServiceAccounts: [web], notNamespaces: [shop]}')).toEqual([combined]);
    expect(source('{serviceAccounts: [web], notPrincipals: [x]}')).toEqual([combined]);
    expect(source('{serviceAccounts: [web], namespaces: [shop]}')).toEqual([combined]);
    expect(source('{serviceAccounts: [web], ipBlocks: [10.0.0.1]}')).toEqual([]);
    expect(on('ZT102', onApi('[{from: [{source: {serviceAccounts: [web]}}, {source: {principals: [x]}}]}]'))).toEqual([]);
  });

  test('trust domains: one "*" at the start or the end, no "/"', () => {
    const bad = (f: string, td: string) => rejected(`rules[0]: ${f} value "${td}" may hold one "*" at the start or end and no "/"`);
    expect(source('{trustDomains: ["a/b", "*a*", "a*b", "*.local", "cluster.*", "cluster.local"], notTrustDomains: ["x**"]}')).toEqual([
      bad('trustDomains', 'a/b'), bad('trustDomains', '*a*'), bad('trustDomains', 'a*b'), bad('notTrustDomains', 'x**'),
    ].sort());
  });
});

describe('ZT103: an invalid when condition', () => {
  const when = (conditions: string) => on('ZT103', onApi(`[{from: [{source: {principals: [${WEB}]}}]}, {from: [{source: {principals: [${WEB}]}}], when: ${conditions}}]`));

  test('names the rule, the condition and the problem', () => {
    expect(found(join(BASE, onApi(`[{from: [{source: {principals: [${WEB}]}}], when: [{key: "request.header[x]", values: [a]}]}]`)), 'ZT103')).toEqual([{
      severity: 'error', object: 'AuthorizationPolicy shop/x',
      message: 'AuthorizationPolicy shop/x rules[0].when[0]: "request.header[x]" is not a known condition key. Istio rejects the policy (a rule with such a key that reaches istiod is skipped).',
      fix: 'use a documented condition key (https://istio.io/latest/docs/reference/config/security/conditions/) with at least one value.',
    }]);
  });

  test('a key without values, or with an empty one', () => {
    expect(when('[{key: source.ip, values: [10.0.0.1]}, {key: "request.headers[x]"}, {key: source.namespace, notValues: [""]}, {key: source.principal, values: [a, null]}, {values: [a]}]')).toEqual([
      'AuthorizationPolicy shop/x rules[1].when[1]: "request.headers[x]" has neither values nor notValues. Istio rejects the policy (a rule with such a key that reaches istiod is skipped).',
      expect.stringMatching(/^AuthorizationPolicy shop\/x rules\[1\]\.when\[2\]: "source\.namespace" has an empty value\./),
      expect.stringMatching(/^AuthorizationPolicy shop\/x rules\[1\]\.when\[3\]: "source\.principal" has an empty value\./),
      expect.stringMatching(/^AuthorizationPolicy shop\/x rules\[1\]\.when\[4\]: the key is empty\./),
    ]);
    expect(when('[{key: source.ip, notValues: [10.0.0.1]}]')).toEqual([]);
  });
});

describe('ZT104: HTTP methods not in upper case', () => {
  test('in methods the rule never matches; in notMethods it excludes nothing', () => {
    expect(found(join(BASE, onApi(`[{from: [{source: {principals: [${WEB}]}}], to: [{operation: {methods: [get, POST, Put]}}, {operation: {notMethods: [delete]}}]}]`)), 'ZT104')).toEqual([{
      severity: 'error', object: 'AuthorizationPolicy shop/x',
      message: 'AuthorizationPolicy shop/x rules[0]: methods "get", "Put" are matched case-sensitively, and Envoy rejects requests with a lower-case method, so this never matches.',
      fix: 'write the methods in upper case: "GET", "PUT".',
    }, {
      severity: 'error', object: 'AuthorizationPolicy shop/x',
      message: 'AuthorizationPolicy shop/x rules[0]: notMethods "delete" are matched case-sensitively, and Envoy rejects requests with a lower-case method, so this excludes nothing.',
      fix: 'write the methods in upper case: "DELETE".',
    }]);
  });
});

describe('ZT105: principals with spiffe:// or not of the form <td>/ns/<ns>/sa/<sa>', () => {
  const principals = (list: string) => on('ZT105', onApi(`[{from: [{source: {notPrincipals: [${list}]}}]}]`));

  test('spiffe://: names what to write instead', () => {
    expect(found(join(BASE, onApi('[{from: [{source: {principals: ["spiffe://cluster.local/ns/shop/sa/web"]}}]}]')), 'ZT105')).toEqual([{
      severity: 'error', object: 'AuthorizationPolicy shop/x',
      message: 'AuthorizationPolicy shop/x rules[0]: principal "spiffe://cluster.local/ns/shop/sa/web" starts with "spiffe://". Istio prepends "spiffe://" itself, so it compares against "spiffe://spiffe://cluster.local/ns/shop/sa/web" and never matches.',
      fix: 'write "cluster.local/ns/shop/sa/web".',
    }]);
  });

  test('a malformed principal, and a "*" inside one (a literal character)', () => {
    expect(found(join(BASE, onApi('[{from: [{source: {principals: ["shop/web"]}}]}]')), 'ZT105')).toEqual([{
      severity: 'error', object: 'AuthorizationPolicy shop/x',
      message: 'AuthorizationPolicy shop/x rules[0]: principal "shop/web" is not of the form "<trust-domain>/ns/<namespace>/sa/<service-account>", so it never matches a workload identity.',
      fix: 'write the full principal, e.g. "cluster.local/ns/shop/sa/frontend", or use namespaces / serviceAccounts for broader matches.',
    }]);
    expect(principals('"cluster.local/ns/*/sa/web"')).toEqual([
      'AuthorizationPolicy shop/x rules[0]: principal "cluster.local/ns/*/sa/web" is not of the form "<trust-domain>/ns/<namespace>/sa/<service-account>" (a "*" inside a value is a literal character), so it never matches a workload identity.',
    ]);
  });

  test('"*", empty, prefix and suffix patterns and well-formed principals are fine', () => {
    expect(principals(`"*", "", "cluster.local/ns/shop/*", "*/sa/web", ${WEB}`)).toEqual([]);
  });
});

describe('ZT106: request principals without "/"', () => {
  test('names the issuer it is read as and the fix', () => {
    expect(found(join(BASE, onApi(`[{from: [{source: {principals: [${WEB}], notRequestPrincipals: ["idp.example.com", "idp.example.com/*", "*", "", "*example.com"]}}]}]`)), 'ZT106')).toEqual([{
      severity: 'error', object: 'AuthorizationPolicy shop/x',
      message: 'AuthorizationPolicy shop/x rules[0]: request principal "idp.example.com" has no "/", so Istio reads it as issuer "idp.example.com" with an empty subject, which no token has: it never matches.',
      fix: 'write "<issuer>/<subject>", or "idp.example.com/*" for any subject of that issuer.',
    }]);
  });
});

describe('ZT107: ALLOW rules with HTTP-only fields on TCP ports', () => {
  const TWO_TCP = 'apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: cache, namespace: shop}\nspec: {selector: {matchLabels: {app: cache}}, template: {metadata: {labels: {app: cache}}, spec: {containers: [{name: app, image: "example/cache:1", ports: [{containerPort: 6379}, {containerPort: 6380}]}]}}}\n'
    + '---\napiVersion: v1\nkind: Service\nmetadata: {name: cache, namespace: shop}\nspec: {selector: {app: cache}, ports: [{name: tcp-a, port: 6379}, {name: tcp-b, port: 6380}]}\n';

  test('names the fields, the workload and its TCP port', () => {
    expect(found(join(BASE, ap('x', `${ON_DB}rules: [{from: [{source: {principals: [${WEB}]}}], to: [{operation: {methods: [GET], paths: ["/a"]}}]}]}`)), 'ZT107')).toEqual([{
      severity: 'error', object: 'AuthorizationPolicy shop/x',
      message: 'AuthorizationPolicy shop/x rules[0] uses methods and paths, which only HTTP carries, but workload shop/db serves only TCP on port 3306. Istio drops the whole rule on TCP filter chains, so it allows nothing there.',
      fix: 'for TCP ports grant by identity and port only (principals, namespaces, ports); if the port speaks HTTP, name its Service port "http-…" or set appProtocol: http.',
    }]);
  });

  test('several TCP ports: plural; the rule\'s own ports decide when it names them', () => {
    const cache = (rule: string) => on('ZT107', TWO_TCP, ap('x', `{selector: {matchLabels: {app: cache}}, rules: [${rule}]}`));
    expect(cache('{to: [{operation: {paths: ["/a"]}}]}')).toEqual([expect.stringContaining('serves only TCP on ports 6379, 6380. Istio drops')]);
    expect(cache('{to: [{operation: {paths: ["/a"], ports: ["6380"]}}]}')).toEqual([expect.stringContaining('serves only TCP on port 6380. Istio drops')]);
    // A port no Service names is sniffed, not TCP: the rule may match there.
    expect(cache('{to: [{operation: {paths: ["/a"], ports: ["6380", "7000"]}}]}')).toEqual([]);
  });

  test('not on HTTP ports, not for DENY, not without HTTP fields, not on pods without a sidecar or no ports', () => {
    expect(on('ZT107', onApi(`[{from: [{source: {principals: [${WEB}]}}], to: [{operation: {methods: [GET]}}]}]`))).toEqual([]);
    expect(on('ZT107', ap('x', `${ON_DB}action: DENY, rules: [{to: [{operation: {methods: [GET]}}]}]}`))).toEqual([]);
    expect(on('ZT107', ap('x', `${ON_DB}rules: [{from: [{source: {principals: [${WEB}]}}], to: [{operation: {ports: ["3306"]}}]}]}`))).toEqual([]);
    const plainDb = BASE.replace(app('shop', 'db', { port: 3306, portName: 'tcp-mysql' }), app('shop', 'db', { port: 3306, portName: 'tcp-mysql', podLabels: 'sidecar.istio.io/inject: "false"' }));
    expect(messages(join(plainDb, ap('x', `${ON_DB}rules: [{to: [{operation: {methods: [GET]}}]}]}`)), 'ZT107')).toEqual([]);
    const noPorts = portlessDeployment('job');
    expect(on('ZT107', noPorts, ap('x', '{selector: {matchLabels: {app: job}}, rules: [{to: [{operation: {methods: [GET]}}]}]}'))).toEqual([]);
  });
});

describe('ZT108: DENY rules with only HTTP fields and no ports', () => {
  test('names the fields; a warning', () => {
    expect(found(join(BASE, ap('x', `${ON_API}action: DENY, rules: [{to: [{operation: {paths: ["/admin"]}}], when: [{key: "request.headers[x]", values: [a]}]}]}`)), 'ZT108')).toEqual([{
      severity: 'warning', object: 'AuthorizationPolicy shop/x',
      message: 'AuthorizationPolicy shop/x rules[0] denies by paths and when request.headers[x] without naming ports. On TCP ports Istio drops those conditions and keeps the rest, so the rule denies all TCP traffic to the selected workloads.',
      fix: 'scope the rule to the HTTP ports it is meant for with to.operation.ports (container ports).',
    }]);
  });

  test('ports, notPorts or a destination.port condition scope it; ALLOW and identity-only rules are not concerned', () => {
    const deny = (rule: string) => on('ZT108', ap('x', `${ON_API}action: DENY, rules: [${rule}]}`));
    expect(deny('{to: [{operation: {paths: ["/admin"], notPorts: ["9090"]}}]}')).toEqual([]);
    expect(deny('{to: [{operation: {paths: ["/admin"]}}], when: [{key: destination.port, values: ["8080"]}]}')).toEqual([]);
    expect(deny('{to: [{operation: {paths: ["/admin"]}}], when: [{key: source.ip, values: ["10.0.0.1"]}]}')).toEqual([expect.stringContaining('denies by paths without naming ports')]);
    expect(deny('{from: [{source: {namespaces: [shop]}}]}')).toEqual([]);
    expect(on('ZT108', onApi('[{to: [{operation: {paths: ["/admin"]}}]}]'))).toEqual([]);
  });

  test('every operation has to name ports: one without them matches any TCP request once its HTTP fields are dropped', () => {
    const deny = (rule: string) => on('ZT108', ap('x', `${ON_API}action: DENY, rules: [${rule}]}`));
    expect(deny('{to: [{operation: {paths: ["/admin"], ports: ["8080"]}}, {operation: {methods: [DELETE]}}]}')).toEqual([expect.stringContaining('denies by paths and methods without naming ports')]);
    expect(deny('{to: [{operation: {paths: ["/admin"], ports: ["8080"]}}, {operation: {methods: [DELETE], ports: ["8080"]}}]}')).toEqual([]);
    // HTTP fields in the source only, with no operation: nothing names a port.
    expect(deny('{from: [{source: {requestPrincipals: ["*"]}}]}')).toEqual([expect.stringContaining('denies by requestPrincipals without naming ports')]);
  });
});

describe('ZT109: token conditions on a workload without RequestAuthentication', () => {
  test('ALLOW: the conditions never match', () => {
    expect(found(join(BASE, onApi('[{from: [{source: {requestPrincipals: ["idp/*"]}}]}]')), 'ZT109')).toEqual([{
      severity: 'error', object: 'AuthorizationPolicy shop/x',
      message: 'AuthorizationPolicy shop/x uses requestPrincipals or request.auth.* on workload shop/api, but no RequestAuthentication selects it: its proxy validates no token and knows no request principal, so these conditions never match.',
      fix: 'add a RequestAuthentication for the issuer that selects shop/api (same namespace or the root namespace).',
    }]);
  });

  test('DENY, notRequestPrincipals and request.auth.* conditions', () => {
    expect(on('ZT109', ap('x', `${ON_API}action: DENY, rules: [{from: [{source: {notRequestPrincipals: ["*"]}}]}]}`))).toEqual([expect.stringContaining('so the conditions never hold as intended.')]);
    expect(on('ZT109', onApi('[{when: [{key: "request.auth.claims[group]", values: [admin]}]}]'))).toEqual([expect.stringContaining('on workload shop/api, but no RequestAuthentication')]);
    expect(on('ZT109', onApi('[{when: [{key: "request.headers[group]", values: [admin]}]}]'))).toEqual([]);
  });

  test('not with a RequestAuthentication, nor on pods without a sidecar', () => {
    expect(on('ZT109', istio('RequestAuthentication', 'shop', 'jwt', '{selector: {matchLabels: {app: api}}, jwtRules: [{issuer: idp}]}'), onApi('[{from: [{source: {requestPrincipals: ["idp/*"]}}]}]'))).toEqual([]);
    const plainApi = BASE.replace(app('shop', 'api'), app('shop', 'api', { podLabels: 'sidecar.istio.io/inject: "false"' }));
    expect(messages(join(plainApi, onApi('[{from: [{source: {requestPrincipals: ["idp/*"]}}]}]')), 'ZT109')).toEqual([]);
  });
});

describe('ZT110: grants that can never match without mTLS', () => {
  test('not for rules that ask for no identity, nor for a workload without ports under STRICT', () => {
    const disabledApi = pa('api', '{selector: {matchLabels: {app: api}}, mtls: {mode: DISABLE}}');
    expect(on('ZT110', disabledApi, onApi('[{to: [{operation: {paths: ["/x"]}}]}]'))).toEqual([]);
    expect(on('ZT110', disabledApi, onApi(`[{from: [{source: {principals: [${WEB}]}}]}]`))).toEqual([expect.stringContaining('has mTLS mode DISABLE')]);
    const noPorts = portlessDeployment('job');
    const grant = ap('x', `{selector: {matchLabels: {app: job}}, rules: [{from: [{source: {principals: [${WEB}]}}]}]}`);
    expect(on('ZT110', noPorts, grant)).toEqual([]);
    expect(on('ZT110', noPorts, grant, pa('job', '{selector: {matchLabels: {app: job}}, mtls: {mode: DISABLE}}'))).toEqual([expect.stringContaining('workload shop/job has mTLS mode DISABLE')]);
  });

  test('callee DISABLE: names the identity fields and the workload', () => {
    expect(found(join(BASE, pa('api', `${ON_API}mtls: {mode: DISABLE}}`), onApi(`[{from: [{source: {principals: [${WEB}], namespaces: [shop]}}]}]`)), 'ZT110')).toEqual([{
      severity: 'error', object: 'AuthorizationPolicy shop/x',
      message: 'AuthorizationPolicy shop/x rules[0] admits callers by mTLS identity (principals and namespaces), but workload shop/api has mTLS mode DISABLE, so callers reach it in plaintext with no identity: the rule never matches.',
      fix: 'set the PeerAuthentication of shop/api to STRICT (or PERMISSIVE), or grant by something a plaintext request carries.',
    }]);
  });

  test('the ports the rule names decide; a rule on a port still under mTLS is fine', () => {
    const api = (portLevel: string, rule: string) => on('ZT110', pa('api', `${ON_API}mtls: {mode: STRICT}, portLevelMtls: ${portLevel}}`), onApi(`[${rule}]`));
    expect(api('{"8080": {mode: DISABLE}}', `{from: [{source: {namespaces: [shop]}}], to: [{operation: {ports: ["8080"]}}]}`)).toEqual([expect.stringContaining('admits callers by mTLS identity (namespaces)')]);
    expect(api('{"8080": {mode: DISABLE}}', `{from: [{source: {namespaces: [shop]}}]}`)).toEqual([expect.stringContaining('workload shop/api has mTLS mode DISABLE')]);
    expect(api('{"8080": {mode: DISABLE}}', `{from: [{source: {namespaces: [shop]}}], to: [{operation: {ports: ["8080", "9090"]}}]}`)).toEqual([]);
  });

  test('a caller without a sidecar: names every workload with that identity', () => {
    const plainWeb = BASE.replace(app('shop', 'web'), app('shop', 'web', { podLabels: 'sidecar.istio.io/inject: "false"' }));
    expect(found(join(plainWeb, onApi(`[{from: [{source: {principals: [${WEB}, "cluster.local/ns/shop/sa/db", "example.org/ns/shop/sa/web", "cluster.local/ns/shop/sa/nobody", "bad"]}}]}]`)), 'ZT110')).toEqual([{
      severity: 'error', object: 'AuthorizationPolicy shop/x',
      message: 'AuthorizationPolicy shop/x rules[0] admits principal "cluster.local/ns/shop/sa/web", but every workload with that identity (Deployment shop/web) runs without a sidecar, so it speaks plaintext and never presents the identity: the grant never matches.',
      fix: 'enrol the caller in the mesh (namespace label istio-injection=enabled, no sidecar.istio.io/inject: "false"), or grant it by something it does carry.',
    }]);
  });

  test('an ambient caller has its identity without a sidecar; one caller in the mesh is enough', () => {
    const yaml = join(BASE, ns('amb', 'istio.io/dataplane-mode: ambient'), app('amb', 'web'), onApi('[{from: [{source: {principals: ["cluster.local/ns/amb/sa/web"]}}]}]'));
    expect(messages(yaml, 'ZT110')).toEqual([]);
    const twoWebs = join(BASE, app('shop', 'web2', { serviceAccount: 'web', podLabels: 'sidecar.istio.io/inject: "false"' }), onApi(`[{from: [{source: {principals: [${WEB}]}}]}]`));
    expect(messages(twoWebs, 'ZT110')).toEqual([]);
  });

  test('not for DENY or dry-run policies', () => {
    const plainWeb = BASE.replace(app('shop', 'web'), app('shop', 'web', { podLabels: 'sidecar.istio.io/inject: "false"' }));
    expect(messages(join(plainWeb, ap('x', `${ON_API}action: DENY, rules: [{from: [{source: {principals: [${WEB}]}}]}]}`)), 'ZT110')).toEqual([]);
    expect(messages(join(plainWeb, ap('x', `${ON_API}rules: [{from: [{source: {principals: [${WEB}]}}]}]}`, 'istio.io/dry-run: "true"')), 'ZT110')).toEqual([]);
  });
});

describe('ZT111: mTLS-only fields a plaintext request bypasses', () => {
  const permissive = pa('api', `${ON_API}mtls: {mode: PERMISSIVE}}`);

  test('ALLOW with a negative match', () => {
    expect(found(join(BASE, permissive, onApi(`[{from: [{source: {notPrincipals: [${WEB}], notNamespaces: [other]}}]}]`)), 'ZT111')).toEqual([{
      severity: 'error', object: 'AuthorizationPolicy shop/x',
      message: 'AuthorizationPolicy shop/x rules[0] allows by notPrincipals and notNamespaces, but workload shop/api accepts plaintext (mTLS PERMISSIVE); a plaintext request has no identity, so it always satisfies a negative match and is allowed (ISTIO-SECURITY-2021-004).',
      fix: 'set mTLS STRICT for shop/api, or rewrite the rule as an ALLOW with positive matches.',
    }]);
  });

  test('DENY with a positive match', () => {
    expect(found(join(BASE, permissive, ap('x', `${ON_API}action: DENY, rules: [{from: [{source: {principals: [${WEB}]}}]}]}`)), 'ZT111')).toEqual([{
      severity: 'error', object: 'AuthorizationPolicy shop/x',
      message: 'AuthorizationPolicy shop/x rules[0] denies by principals, but workload shop/api accepts plaintext (mTLS PERMISSIVE); a plaintext request has no identity, never matches, and is not denied.',
      fix: 'set mTLS STRICT for shop/api, or rewrite the rule as a DENY with negative matches (notPrincipals, notNamespaces).',
    }]);
  });

  test('only where the rule\'s ports accept plaintext; not for AUDIT', () => {
    const portLevel = pa('api', `${ON_API}mtls: {mode: STRICT}, portLevelMtls: {"8080": {mode: DISABLE}}}`);
    expect(on('ZT111', portLevel, ap('x', `${ON_API}action: DENY, rules: [{from: [{source: {namespaces: [other]}}], to: [{operation: {ports: ["8080"]}}]}]}`))).toEqual([expect.stringContaining('accepts plaintext (mTLS DISABLE)')]);
    expect(on('ZT111', portLevel, ap('x', `${ON_API}action: DENY, rules: [{from: [{source: {namespaces: [other]}}], to: [{operation: {ports: ["9090"]}}]}]}`))).toEqual([]);
    expect(on('ZT111', permissive, ap('x', `${ON_API}action: AUDIT, rules: [{from: [{source: {principals: [${WEB}]}}]}]}`))).toEqual([]);
    expect(on('ZT111', permissive, ap('x', `${ON_API}action: DENY, rules: [{to: [{operation: {paths: ["/a"]}}]}]}`))).toEqual([]);
  });

  test('a workload receiving on no port: its workload-wide mode decides', () => {
    const noPorts = portlessDeployment('job');
    expect(on('ZT111', noPorts, pa('job', '{selector: {matchLabels: {app: job}}, mtls: {mode: PERMISSIVE}}'), ap('x', '{selector: {matchLabels: {app: job}}, action: DENY, rules: [{from: [{source: {namespaces: [other]}}]}]}')))
      .toEqual([expect.stringContaining('workload shop/job accepts plaintext (mTLS PERMISSIVE)')]);
  });
});

describe('ZT112: negative matches in an ALLOW policy', () => {
  test('lists each negative field once, sorted, with notValues conditions', () => {
    expect(found(join(BASE, onApi(`[{from: [{source: {principals: [${WEB}], notNamespaces: [a]}}, {source: {notNamespaces: [b]}}], to: [{operation: {notPaths: ["/admin"], paths: ["/"]}}], when: [{key: source.ip, notValues: [10.0.0.1]}, {key: "request.headers[x]", values: [a]}]}]`)), 'ZT112')).toEqual([{
      severity: 'warning', object: 'AuthorizationPolicy shop/x',
      message: 'AuthorizationPolicy shop/x rules[0] allows by negative match (notNamespaces, notPaths and when source.ip notValues): everything not listed is allowed, including requests nobody thought of (a plaintext caller, a new path).',
      fix: 'allow with positive matches only (principals, paths, values), and put exclusions in a DENY policy.',
    }]);
  });

  test('the fields in alphabetical order, whatever order the policy writes them in', () => {
    expect(on('ZT112', onApi('[{to: [{operation: {notPaths: ["/a"], notMethods: [DELETE]}}]}]'))).toEqual([expect.stringContaining('allows by negative match (notMethods and notPaths)')]);
  });

  test('not in DENY policies, nor for fields merely starting with "not"', () => {
    expect(on('ZT112', ap('x', `${ON_API}action: DENY, rules: [{to: [{operation: {notPaths: ["/a"], ports: ["8080"]}}]}]}`))).toEqual([]);
    expect(on('ZT112', onApi(`[{from: [{source: {principals: [${WEB}], nothing: [a]}}]}]`))).toEqual([]);
  });
});

describe('ZT113: empty from or to lists', () => {
  test('a null rule is read without failing', () => {
    expect(found(join(BASE, onApi('[null, {to: []}]')), 'ZT009')).toEqual([]);
    expect(on('ZT113', onApi('[null, {to: []}]'))).toEqual([expect.stringContaining('rules[1] has an empty to: []')]);
  });

  test('each combination says what it matches and what to remove', () => {
    const rule = (r: string) => found(join(BASE, onApi(`[${r}]`)), 'ZT113');
    expect(rule('{from: [], to: [{operation: {paths: ["/a"]}}]}')).toEqual([{
      severity: 'error', object: 'AuthorizationPolicy shop/x',
      message: 'AuthorizationPolicy shop/x rules[0] has an empty from: []. It decodes as absent, so the rule matches any source, which is rarely what an empty list was meant to say.',
      fix: 'remove from if any caller is meant, or list the sources/operations.',
    }]);
    expect(rule(`{from: [{source: {principals: [${WEB}]}}], to: []}`).map((f) => [f.message, f.fix])).toEqual([[
      'AuthorizationPolicy shop/x rules[0] has an empty to: []. It decodes as absent, so the rule matches any operation, which is rarely what an empty list was meant to say.',
      'remove to if any operation is meant, or list the sources/operations.',
    ]]);
    expect(rule('{from: [], to: []}').map((f) => [f.message, f.fix])).toEqual([[
      'AuthorizationPolicy shop/x rules[0] has an empty from: [] and to: []. It decodes as absent, so the rule matches any source and operation, which is rarely what an empty list was meant to say.',
      'remove from and to if any caller is meant, or list the sources/operations.',
    ]]);
  });
});

describe('ZT114: trust domain conditions that Istio 1.30 and older ignore', () => {
  test('names trustDomains, notTrustDomains and the when key, each once', () => {
    expect(found(join(BASE, onApi(`[{from: [{source: {principals: [${WEB}], notTrustDomains: [other.org]}}], when: [{key: source.trustDomain, values: [cluster.local]}, {key: source.trustDomain, notValues: [x]}, {key: source.ip, values: [10.0.0.1]}]}]`)), 'ZT114')).toEqual([{
      severity: 'warning', object: 'AuthorizationPolicy shop/x',
      message: 'AuthorizationPolicy shop/x rules[0] uses notTrustDomains and when source.trustDomain, which Istio 1.30 and older ignore: the condition is dropped, so an ALLOW becomes wider and a DENY narrower (a DENY rule with the when key is dropped entirely).',
      fix: 'match trust domains with principals ("<trust-domain>/ns/*" prefixes are not supported; list the principals) until the mesh runs Istio 1.31 or later.',
    }]);
    expect(on('ZT114', onApi(`[{from: [{source: {principals: [${WEB}]}}], when: [{key: source.ip, values: [10.0.0.1]}]}]`))).toEqual([]);
    // One source of several is enough.
    expect(on('ZT114', onApi(`[{from: [{source: {principals: [${WEB}]}}, {source: {trustDomains: [cluster.local]}}]}]`))).toEqual([expect.stringContaining('rules[0] uses trustDomains,')]);
  });
});

describe('ZT115: hosts without the ":*" variant, or on sidecars', () => {
  const hosts = (h: string, f = 'hosts') => onApi(`[{from: [{source: {principals: [${WEB}]}}], to: [{operation: {${f}: [${h}]}}]}]`);

  test('a host without its port form, on a sidecar workload: two findings', () => {
    expect(found(join(BASE, hosts('api.example.com, "*", "web.example.com:8080", "b.example.com", "b.example.com:*"')), 'ZT115')).toEqual([{
      severity: 'warning', object: 'AuthorizationPolicy shop/x',
      message: 'AuthorizationPolicy shop/x rules[0] matches hosts on sidecar workload (shop/api); a sidecar does not route by Host, so a caller can send any Host header.',
      fix: 'match hosts at the ingress gateway only; on sidecars, match principals, paths and ports.',
    }, {
      severity: 'warning', object: 'AuthorizationPolicy shop/x',
      message: 'AuthorizationPolicy shop/x rules[0]: hosts "api.example.com" do not match a Host header that carries a port ("api.example.com:443").',
      fix: 'list both forms: "api.example.com", "api.example.com:*".',
    }]);
  });

  test('notHosts, several sidecars (plural); at a gateway only the port form matters', () => {
    const both = ap('x', `{selector: {matchLabels: {tier: front}}, rules: [{to: [{operation: {notHosts: ["a.example.com", "a.example.com:*"]}}]}]}`);
    const tiered = BASE.replace(app('shop', 'api'), app('shop', 'api', { podLabels: 'tier: front' })).replace(app('shop', 'web'), app('shop', 'web', { podLabels: 'tier: front' }));
    expect(messages(join(tiered, both), 'ZT115')).toEqual(['AuthorizationPolicy shop/x rules[0] matches notHosts on sidecar workloads (shop/api and shop/web); a sidecar does not route by Host, so a caller can send any Host header.']);
    const atGateway = join(BASE, GATEWAY_POD, istio('Gateway', 'shop', 'gw', '{selector: {istio: ingressgateway}, servers: [{port: {number: 80, name: http, protocol: HTTP}, hosts: ["*"]}]}'),
      ap('x', '{selector: {matchLabels: {istio: ingressgateway}}, rules: [{to: [{operation: {hosts: ["api.example.com:*", "api.example.com"]}}]}]}', undefined, 'istio-system'));
    expect(messages(atGateway, 'ZT115')).toEqual([]);
    expect(messages(join(BASE, ap('x', '{selector: {matchLabels: {app: none}}, rules: [{to: [{operation: {hosts: ["a:*"]}}]}]}')), 'ZT115')).toEqual([]);
    // A Gateway without a selector makes no sidecar a gateway.
    const unselective = istio('Gateway', 'shop', 'gw', '{servers: [{port: {number: 80, name: http, protocol: HTTP}, hosts: ["*"]}]}');
    expect(on('ZT115', unselective, hosts('"a.example.com", "a.example.com:*"'))).toEqual([expect.stringContaining('matches hosts on sidecar workload (shop/api)')]);
  });
});

describe('ZT116: a Service port instead of the container port', () => {
  test('names the Service, the container port and the workload', () => {
    expect(found(join(BASE, onApi(`[{from: [{source: {principals: [${WEB}]}}], to: [{operation: {ports: ["80", "8080"]}}]}]`)), 'ZT116')).toEqual([{
      severity: 'error', object: 'AuthorizationPolicy shop/x',
      message: 'AuthorizationPolicy shop/x rules[0] names port 80, which is Service shop/api\'s port; policies match the container port the request arrives on (8080 on shop/api), so this never matches.',
      fix: 'use the container port: "8080".',
    }]);
  });

  test('notPorts and destination.port conditions too; ports that are no Service\'s are left alone', () => {
    expect(on('ZT116', ap('x', `${ON_API}action: DENY, rules: [{to: [{operation: {notPorts: ["80"]}}]}]}`))).toEqual([expect.stringContaining('names port 80, which is Service shop/api\'s port')]);
    expect(on('ZT116', onApi(`[{from: [{source: {principals: [${WEB}]}}], when: [{key: destination.port, notValues: ["80"]}]}]`))).toEqual([expect.stringContaining('names port 80,')]);
    expect(on('ZT116', onApi(`[{from: [{source: {principals: [${WEB}]}}], when: [{key: destination.port, values: ["80"]}]}]`))).toEqual([expect.stringContaining('names port 80,')]);
    expect(on('ZT116', onApi(`[{from: [{source: {principals: [${WEB}]}}], to: [{operation: {ports: ["9999"]}}], when: [{key: source.port, values: ["80"]}]}]`))).toEqual([]);
  });

  test('not when the pods listen on the Service port too, nor when the target port is a name the pods do not have or the port itself', () => {
    const port80 = (workload: string) => onApi(`[{from: [{source: {principals: [${WEB}]}}], to: [{operation: {ports: ["80"]}}]}]`).replace('app: api', `app: ${workload}`);
    // The pods listen on 80 and 8080; the Service sends 80 to 8080, but 80 is a container port as well.
    const twoPorts = 'apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: both, namespace: shop}\nspec: {selector: {matchLabels: {app: both}}, template: {metadata: {labels: {app: both}}, spec: {containers: [{name: app, image: "example/both:1", ports: [{containerPort: 80, name: plain}, {containerPort: 8080, name: http}]}]}}}\n';
    const service = (name: string, targetPort: string) => `apiVersion: v1\nkind: Service\nmetadata: {name: ${name}, namespace: shop}\nspec: {selector: {app: ${name}}, ports: [{name: http, port: 80, targetPort: ${targetPort}}]}\n`;
    expect(on('ZT116', twoPorts, service('both', '8080'), port80('both'))).toEqual([]);
    // A named target port the pods do not declare: where the request arrives is unknown.
    const unnamed = portlessDeployment('bare');
    expect(on('ZT116', unnamed, service('bare', 'web'), port80('bare'))).toEqual([]);
    // Port 80 to port 80 on pods that declare no ports: the policy's port is the container port.
    expect(on('ZT116', unnamed, service('bare', '80'), port80('bare'))).toEqual([]);
  });
});

describe('ZT117 and ZT118: the istio.io/dry-run annotation', () => {
  const rule = `${ON_API}rules: [{from: [{source: {principals: [${WEB}]}}]}]}`;

  test('ZT117 quotes the annotation', () => {
    expect(found(join(BASE, ap('x', rule, 'istio.io/dry-run: "True"')), 'ZT117')).toEqual([{
      severity: 'warning', object: 'AuthorizationPolicy shop/x',
      message: 'AuthorizationPolicy shop/x has istio.io/dry-run: "True": Istio only logs what it would decide and enforces nothing.',
      fix: 'remove the istio.io/dry-run annotation once the logs show the policy behaves as intended.',
    }]);
  });

  test('ZT118: not a boolean, on another kind, with an action other than ALLOW or DENY', () => {
    expect(found(join(BASE, ap('x', rule, 'istio.io/dry-run: "yes"')), 'ZT118')).toEqual([{
      severity: 'error', object: 'AuthorizationPolicy shop/x',
      message: 'AuthorizationPolicy shop/x: the annotation istio.io/dry-run "yes" is not a boolean, so the webhook rejects the policy (and istiod would enforce it).',
      fix: 'write istio.io/dry-run: "true" on an ALLOW or DENY AuthorizationPolicy, or remove it.',
    }]);
    expect(on('ZT118', istio('PeerAuthentication', 'shop', 'x', '{mtls: {mode: STRICT}}', 'istio.io/dry-run: "true"'))).toEqual(['PeerAuthentication shop/x: the annotation istio.io/dry-run is only honoured on AuthorizationPolicy, not on PeerAuthentication.']);
    expect(on('ZT118', ap('x', `${ON_API}action: AUDIT, rules: [{}]}`, 'istio.io/dry-run: "true"'))).toEqual(['AuthorizationPolicy shop/x: the annotation istio.io/dry-run is only supported with action ALLOW or DENY, not AUDIT.']);
    expect(on('ZT118', ap('x', `${ON_API}action: DENY, rules: [{}]}`, 'istio.io/dry-run: "false"'))).toEqual([]);
  });
});

describe('ZT119: source namespaces no manifest declares or uses', () => {
  test('names the namespace and the known ones', () => {
    expect(found(join(BASE, onApi('[{from: [{source: {namespaces: [shopp]}}]}]')), 'ZT119')).toEqual([{
      severity: 'warning', object: 'AuthorizationPolicy shop/x',
      message: 'AuthorizationPolicy shop/x rules[0] names namespace "shopp", which none of the analyzed manifests declares or uses: a typo matches nobody (or, in a not-list, excludes nobody).',
      fix: 'correct the namespace name (known: istio-system and shop), or analyze it together with the manifests that create it.',
    }]);
  });

  test('at most eight known namespaces are listed, sorted', () => {
    const many = ['n9', 'n8', 'n7', 'n6', 'n5', 'n4', 'n3'].map((n) => ns(n));
    expect(found(join(BASE, ...many, onApi('[{from: [{source: {namespaces: [shopp]}}]}]')), 'ZT119').map((f) => f.fix))
      .toEqual(['correct the namespace name (known: istio-system, n3, n4, n5, n6, n7, n8 and n9, …), or analyze it together with the manifests that create it.']);
    expect(found(join(BASE, ...many.slice(1), onApi('[{from: [{source: {namespaces: [shopp]}}]}]')), 'ZT119').map((f) => f.fix))
      .toEqual(['correct the namespace name (known: istio-system, n3, n4, n5, n6, n7, n8 and shop), or analyze it together with the manifests that create it.']);
  });

  test('notNamespaces and source.namespace conditions; prefix and suffix patterns that fit a namespace', () => {
    expect(on('ZT119', onApi('[{from: [{source: {notNamespaces: [a, "", "*", "sh*", "*op", "*-team", "x*"]}}], when: [{key: source.namespace, values: [b], notValues: [c]}]}]'))).toEqual(
      ['*-team', 'a', 'b', 'c', 'x*'].map((n) => expect.stringContaining(`names namespace "${n}", which`)));
    // Other condition keys hold no namespaces.
    expect(on('ZT119', onApi('[{from: [{source: {namespaces: [shop]}}], when: [{key: "request.headers[x-team]", values: [payments]}]}]'))).toEqual([]);
    // A prefix fits a namespace that starts with all of it, a suffix one that ends with it.
    const teams = join(ns('payments'), ns('prod-eu'), ns('a-team'));
    expect(on('ZT119', teams, onApi('[{from: [{source: {namespaces: ["prod-*", "*-team"]}}]}]'))).toEqual([]);
    expect(on('ZT119', teams, onApi('[{from: [{source: {namespaces: ["pay-*", "*-teams"]}}]}]'))).toEqual(
      ['*-teams', 'pay-*'].map((n) => expect.stringContaining(`names namespace "${n}", which`)));
  });
});

describe('ZT120: principals of unknown ServiceAccounts or foreign trust domains', () => {
  test('a foreign trust domain: names the local ones and what to write', () => {
    expect(found(join(BASE, onApi('[{from: [{source: {principals: ["example.org/ns/shop/sa/web"]}}]}]')), 'ZT120')).toEqual([{
      severity: 'warning', object: 'AuthorizationPolicy shop/x',
      message: 'AuthorizationPolicy shop/x rules[0]: principal "example.org/ns/shop/sa/web" names trust domain "example.org", which is not this mesh\'s (cluster.local); only a workload of another mesh federated with this one could match.',
      fix: 'write "cluster.local/ns/shop/sa/web" (or "cluster.local/…", which Istio maps to the local trust domain).',
    }]);
  });

  test('an unknown ServiceAccount: names the namespace\'s accounts, sorted', () => {
    expect(found(join(BASE, onApi('[{from: [{source: {principals: ["cluster.local/ns/shop/sa/wbe"]}}]}]')), 'ZT120')).toEqual([{
      severity: 'warning', object: 'AuthorizationPolicy shop/x',
      message: 'AuthorizationPolicy shop/x rules[0]: principal "cluster.local/ns/shop/sa/wbe" names ServiceAccount "wbe", which namespace "shop" does not declare (it has api, db and web); the grant matches nobody.',
      fix: 'correct the ServiceAccount name in the principal.',
    }]);
  });

  test('a waypoint\'s account counts in the waypoint\'s own namespace only', () => {
    const waypoint = (namespace: string) => `apiVersion: gateway.networking.k8s.io/v1\nkind: Gateway\nmetadata: {name: waypoint, namespace: ${namespace}, labels: {istio.io/waypoint-for: service}}\nspec: {gatewayClassName: istio-waypoint, listeners: [{name: mesh, port: 15008, protocol: HBONE}]}\n`;
    const byWaypoint = onApi('[{from: [{source: {principals: ["cluster.local/ns/shop/sa/waypoint"]}}]}]');
    expect(on('ZT120', waypoint('shop'), byWaypoint)).toEqual([]);
    expect(on('ZT120', ns('edge'), waypoint('edge'), byWaypoint)).toEqual([expect.stringContaining('names ServiceAccount "waypoint", which namespace "shop" does not declare (it has api, db and web)')]);
  });

  test('not for the default account, a namespace with no accounts known, or an account a workload runs as', () => {
    const yaml = join(BASE, app('ops', 'tool', { serviceAccount: null }), app('shop', 'worker', { serviceAccount: 'runner' }).replace(/^apiVersion: v1\nkind: ServiceAccount[^]*?---\n/, ''),
      onApi('[{from: [{source: {principals: ["cluster.local/ns/shop/sa/default", "cluster.local/ns/ops/sa/x", "cluster.local/ns/shop/sa/runner", "shop/web"]}}]}]'));
    expect(messages(yaml, 'ZT120')).toEqual([]);
  });
});

describe('ZT121: a principal several workloads run as', () => {
  test('names the workloads', () => {
    const yaml = join(BASE, app('shop', 'worker', { serviceAccount: 'web', service: false }).replace(/^apiVersion: v1\nkind: ServiceAccount[^]*?---\n/, ''), onApi(`[{from: [{source: {principals: [${WEB}]}}]}]`));
    expect(found(yaml, 'ZT121')).toEqual([{
      severity: 'warning', object: 'AuthorizationPolicy shop/x',
      message: 'AuthorizationPolicy shop/x rules[0] names principal "cluster.local/ns/shop/sa/web", which Deployment web and Deployment worker all run as; the policy cannot tell them apart and admits them all.',
      fix: 'give each workload its own ServiceAccount (spec.template.spec.serviceAccountName) and grant the one meant.',
    }]);
  });

  test('versions of one service (one Service selects them all) are fine; a foreign trust domain is not counted', () => {
    const v2 = 'apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: web-v2, namespace: shop}\nspec: {selector: {matchLabels: {app: web, version: v2}}, template: {metadata: {labels: {app: web, version: v2}}, spec: {serviceAccountName: web, containers: [{name: app, image: "example/web:2", ports: [{containerPort: 8080, name: http}]}]}}}\n';
    expect(on('ZT121', v2, onApi(`[{from: [{source: {principals: [${WEB}]}}]}]`))).toEqual([]);
    // One of them has a Service of its own as well: the shared one still makes them one service.
    const webOnly = 'apiVersion: v1\nkind: Service\nmetadata: {name: web-v1, namespace: shop}\nspec: {selector: {app: web}, ports: [{name: http, port: 80, targetPort: 8080}]}\n'
      .replace('{app: web}', '{app: web, version: v1}');
    const v1 = BASE.replace(app('shop', 'web'), app('shop', 'web', { podLabels: 'version: v1' }));
    expect(messages(join(v1, webOnly, v2, onApi(`[{from: [{source: {principals: [${WEB}]}}]}]`)), 'ZT121')).toEqual([]);
    const worker = app('shop', 'worker', { serviceAccount: 'web', service: false }).replace(/^apiVersion: v1\nkind: ServiceAccount[^]*?---\n/, '');
    expect(on('ZT121', worker, onApi('[{from: [{source: {principals: ["example.org/ns/shop/sa/web"]}}]}]'))).toEqual([]);
  });
});

describe('ZT122: a workload no AuthorizationPolicy covers', () => {
  test('names the workload and the namespace for the default deny', () => {
    const yaml = BASE.replace('{} # allow-nothing', '{selector: {matchLabels: {app: api}}} # allow-nothing')
      .replace(app('shop', 'db', { port: 3306, portName: 'tcp-mysql' }), app('shop', 'db', { port: 3306, portName: 'tcp-mysql', podLabels: 'sidecar.istio.io/inject: "false"' }));
    expect(found(yaml, 'ZT122')).toEqual([{
      severity: 'warning', object: 'Deployment shop/web',
      message: 'Deployment shop/web: no AuthorizationPolicy applies to it, and with none Istio allows every request that reaches it.',
      fix: 'add a default-deny ("allow-nothing": spec: {}) AuthorizationPolicy to namespace shop, then ALLOW policies for its callers.',
    }]);
  });
});

describe('ZT123: a root-namespace allow-nothing with no ALLOW for the ingress gateway', () => {
  const ROOT_DENY = ap('allow-nothing', '{}', undefined, 'istio-system');
  const GW = istio('Gateway', 'shop', 'gw', '{selector: {istio: ingressgateway}, servers: [{port: {number: 80, name: http, protocol: HTTP}, hosts: ["*"]}]}');
  const allowGateway = (namespace: string, spec = '{selector: {matchLabels: {istio: ingressgateway}}, rules: [{to: [{operation: {paths: ["/*"]}}]}]}', annotations?: string) => ap('ingress', spec, annotations, namespace);

  test('names the gateway pods\' labels and the ALLOW to add', () => {
    expect(found(join(BASE, GATEWAY_POD, GW, ROOT_DENY), 'ZT123')).toEqual([{
      severity: 'error', object: 'AuthorizationPolicy istio-system/allow-nothing',
      message: 'AuthorizationPolicy istio-system/allow-nothing is a mesh-wide allow-nothing policy; it applies to the ingress gateway pods too (istio=ingressgateway), and no ALLOW policy selects them, so every request from outside is denied.',
      fix: 'add an ALLOW AuthorizationPolicy in istio-system with selector.matchLabels {"istio":"ingressgateway"} for the hosts and paths the gateway serves (ideally requiring a JWT).',
    }]);
  });

  test('an ALLOW with rules selecting the gateway, in the root namespace or the pods\' own, answers it', () => {
    expect(on('ZT123', GATEWAY_POD, GW, ROOT_DENY, allowGateway('istio-system'))).toEqual([]);
    expect(on('ZT123', GATEWAY_POD, GW, ROOT_DENY, allowGateway('shop'))).toEqual([expect.stringContaining('(istio=ingressgateway)')]);
    expect(on('ZT123', GATEWAY_POD, GW, ROOT_DENY, allowGateway('istio-system', undefined, 'istio.io/dry-run: "true"'))).toEqual([expect.stringContaining('(istio=ingressgateway)')]);
    expect(on('ZT123', GATEWAY_POD, GW, ROOT_DENY, allowGateway('istio-system', '{selector: {matchLabels: {istio: ingressgateway}}}'))).toEqual([expect.stringContaining('(istio=ingressgateway)')]);
    expect(on('ZT123', GATEWAY_POD, GW, ROOT_DENY, allowGateway('istio-system', '{action: DENY, selector: {matchLabels: {istio: ingressgateway}}, rules: [{to: [{operation: {paths: ["/x"]}}]}]}'))).toEqual([expect.stringContaining('(istio=ingressgateway)')]);
    expect(on('ZT123', GATEWAY_POD, GW, ROOT_DENY, allowGateway('istio-system', '{rules: [{to: [{operation: {paths: ["/*"]}}]}]}'))).toEqual([expect.stringContaining('(istio=ingressgateway)')]);
  });

  test('no finding without a root-namespace allow-nothing or without a Gateway; one per distinct selector', () => {
    expect(on('ZT123', GATEWAY_POD, GW)).toEqual([]);
    expect(on('ZT123', GATEWAY_POD, ROOT_DENY)).toEqual([]);
    expect(on('ZT123', GATEWAY_POD, GW, ap('allow-nothing', '{}', 'istio.io/dry-run: "true"', 'istio-system'))).toEqual([]);
    expect(on('ZT123', GATEWAY_POD, GW, ap('allow-nothing', '{selector: {matchLabels: {app: x}}}', undefined, 'istio-system'))).toEqual([]);
    const gw2 = istio('Gateway', 'shop', 'gw2', '{selector: {istio: ingressgateway}, servers: [{port: {number: 81, name: http, protocol: HTTP}, hosts: ["*"]}]}');
    const internal = istio('Gateway', 'shop', 'internal', '{selector: {istio: internal, app: gw}, servers: [{port: {number: 80, name: http, protocol: HTTP}, hosts: ["*"]}]}');
    expect(on('ZT123', GATEWAY_POD, GW, gw2, internal, ROOT_DENY)).toEqual([expect.stringContaining('(istio=ingressgateway)'), expect.stringContaining('(istio=internal,app=gw)')]);
    // The same selector in another key order is one selector.
    const reordered = istio('Gateway', 'shop', 'reordered', '{selector: {app: gw, istio: internal}, servers: [{port: {number: 82, name: http, protocol: HTTP}, hosts: ["*"]}]}');
    expect(on('ZT123', GATEWAY_POD, internal, reordered, ROOT_DENY)).toEqual([expect.stringContaining('(app=gw,istio=internal)')]);
  });

  test('a root DENY without rules denies nothing, and a Gateway without a selector names no pods', () => {
    expect(on('ZT123', GATEWAY_POD, GW, ap('deny-nothing', '{action: DENY}', undefined, 'istio-system'))).toEqual([]);
    const unselective = istio('Gateway', 'shop', 'any', '{servers: [{port: {number: 80, name: http, protocol: HTTP}, hosts: ["*"]}]}');
    expect(on('ZT123', GATEWAY_POD, unselective, ROOT_DENY)).toEqual([]);
  });

  test('gateway pods outside the root namespace are answered by an ALLOW in their own namespace', () => {
    const edgePods = app('edge', 'ingressgateway', { podLabels: 'istio: ingressgateway', port: 8443, portName: 'https', service: false });
    expect(on('ZT123', ns('edge'), edgePods, GW, ROOT_DENY, allowGateway('edge'))).toEqual([]);
    expect(on('ZT123', ns('edge'), edgePods, GW, ROOT_DENY, allowGateway('shop'))).toEqual([expect.stringContaining('(istio=ingressgateway)')]);
  });
});

describe('ZT124: a workload open to callers with neither identity nor token', () => {
  const permissive = pa('api', `${ON_API}mtls: {mode: PERMISSIVE}}`);

  test('names the rule and the weak mode', () => {
    expect(found(join(BASE, permissive, onApi('[{to: [{operation: {paths: ["/public"]}}]}]')), 'ZT124')).toEqual([{
      severity: 'error', object: 'AuthorizationPolicy shop/x',
      message: 'AuthorizationPolicy shop/x rules[0] requires neither a peer identity nor a token, and its workloads accept plaintext (mTLS PERMISSIVE): anyone who can reach them is allowed.',
      fix: 'grant named callers (principals, namespaces) or require a token (requestPrincipals); if the workload is meant to be public, acknowledge it with the annotation zero-trust-mesh.io/acknowledged-open-to-anyone: "<reason>".',
    }]);
  });

  test('a source with an identity or a token, or a when on one, closes it; one anonymous source opens it', () => {
    const rule = (r: string) => on('ZT124', permissive, onApi(`[${r}]`));
    expect(rule(`{from: [{source: {principals: [${WEB}]}}]}`)).toEqual([]);
    expect(rule('{from: [{source: {requestPrincipals: ["idp/*"]}}]}')).toEqual([]);
    expect(rule('{when: [{key: source.principal, values: ["*"]}]}')).toEqual([]);
    expect(rule('{when: [{key: "request.auth.claims[iss]", values: [idp]}]}')).toEqual([]);
    expect(rule(`{from: [{source: {principals: [${WEB}]}}, {source: {ipBlocks: [10.0.0.0/8]}}]}`)).toEqual([expect.stringContaining('rules[0] requires neither')]);
    expect(rule('{}')).toEqual([expect.stringContaining('rules[0] requires neither')]);
  });

  test('not under STRICT, for DENY, dry-run, or a null rule; a policy selecting nothing takes its namespace\'s mode', () => {
    expect(on('ZT124', onApi('[{to: [{operation: {paths: ["/public"]}}]}]'))).toEqual([]);
    expect(on('ZT124', permissive, ap('x', `${ON_API}action: DENY, rules: [{to: [{operation: {paths: ["/a"]}}]}]}`))).toEqual([]);
    expect(on('ZT124', permissive, ap('x', `${ON_API}rules: [{to: [{operation: {paths: ["/a"]}}]}]}`, 'istio.io/dry-run: "true"'))).toEqual([]);
    expect(on('ZT124', permissive, onApi('[null]'))).toEqual([]);
    expect(on('ZT124', pa('default', '{mtls: {mode: PERMISSIVE}}'), ap('x', '{selector: {matchLabels: {app: none}}, rules: [{}]}'))).toEqual([expect.stringContaining('(mTLS PERMISSIVE)')]);
    expect(on('ZT124', ap('x', '{selector: {matchLabels: {app: none}}, rules: [{}]}'))).toEqual([]);
    // A workload that declares no ports takes its workload-wide mode.
    const portless = portlessDeployment('batch');
    expect(on('ZT124', portless, pa('batch', '{selector: {matchLabels: {app: batch}}, mtls: {mode: PERMISSIVE}}'), ap('x', '{selector: {matchLabels: {app: batch}}, rules: [{}]}'))).toEqual([expect.stringContaining('(mTLS PERMISSIVE)')]);
    const acknowledged = found(join(BASE, permissive, ap('x', `${ON_API}rules: [{}]}`, 'zero-trust-mesh.io/acknowledged-open-to-anyone: "public docs"')), 'ZT124');
    expect(acknowledged.map((f) => [f.severity, f.message.endsWith('Acknowledged: "public docs".')])).toEqual([['warning', true]]);
  });
});
