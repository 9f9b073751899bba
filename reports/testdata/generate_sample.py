#!/usr/bin/env python3
"""Writes sample-results.json: a small results document (reports/results-schema.md) for the
report tests. 31 cases: every verdict, every layer, several families and dimensions, baseline
entries (expected failure, stale), exchanges, and hostile content in titles, checks, headers and
bodies (</script>, <img onerror>, quotes, control characters, U+2028/9, bidi overrides,
non-characters, bytes 0x80-0xFF as the JSON escapes U+0080-U+00FF, a 40,000-byte body).

Run from the repository root: python3 reports/testdata/generate_sample.py
The JSON file is the test input; this script only documents how it was made.
"""
import json
import os

HOSTILE_HTML = '</script><script>alert(1)</script><img src=x onerror="alert(2)"><!--'
CONTROL = 'nul\u0000 bs\u0008 vt\u000b ff\u000c esc\u001b[31mred\u001b[0m del\u007f'
UNICODE = 'ls\u2028ps\u2029 rlo\u202eevil.exe\u202c nonchar\ufffe\uffff emoji\U0001F600'
LATIN1_BYTES = 'raw bytes ' + ''.join(chr(b) for b in (0x80, 0x9f, 0xc3, 0x28, 0xfe, 0xff))
LONG_BODY = ('{"errors":[{"code":"DENIED","message":"' + ('A' * 39000) +
             '","detail":"' + HOSTILE_HTML.replace('"', '\\"') + '"}]}')
LONG_BODY = LONG_BODY + ' ' * (40000 - len(LONG_BODY))

REALM = 'http://127.0.0.1:40111/jwt/auth'
REGISTRY = 'http://127.0.0.1:41233'


def token_exchange(scope, status=200, body=None, headers=None, auth='Basic \u00abredacted user=reporter\u00bb'):
    if body is None:
        body = '{"token":"eyJhbGciOiJFUzI1NiJ9.eyJhY2Nlc3MiOltdfQ.\u00abredacted-signature\u00bb"}' if status == 200 else \
            '{"errors":[{"code":"UNAUTHORIZED","message":"HTTP Basic: Access denied"}]}'
    return {
        'step': 'token_request',
        'request': {
            'method': 'GET',
            'url': REALM + '?service=container_registry&scope=' + scope.replace(':', '%3A').replace('/', '%2F'),
            'headers': [['Authorization', auth], ['User-Agent', 'regauth/0.1.0']],
            'body': '',
        },
        'response': {
            'status': status,
            'headers': headers or [['Content-Type', 'application/json; charset=utf-8']],
            'body': body,
        },
        'duration_ms': 2,
        'error': None,
    }


def registry_exchange(path, status=200, body='', headers=None, method='GET'):
    return {
        'step': 'registry_request',
        'request': {
            'method': method,
            'url': REGISTRY + path,
            'headers': [['Authorization', 'Bearer eyJ\u2026.\u00abredacted-signature\u00bb']],
            'body': '',
        },
        'response': {
            'status': status,
            'headers': headers or [['Docker-Distribution-Api-Version', 'registry/2.0']],
            'body': body,
        },
        'duration_ms': 1,
        'error': None,
    }


def check(cid, expected, observed, result='pass', severity='MUST', message=''):
    return {'id': cid, 'severity': severity, 'result': result, 'expected': expected,
            'observed': observed, 'message': message}


def dims(kind=None, scopes=None, actions=None, role=None, visibility=None, relation=None,
         state='active', login_form=None):
    return {
        'credential_kind': kind, 'credential_state': state if kind else None, 'scopes': scopes,
        'role': role, 'visibility': visibility, 'registry_access': 'enabled' if visibility else None,
        'relation': relation, 'actions': actions, 'login_form': login_form,
    }


cases = []


def add(cid, title, layer, verdict, d, checks, exchanges, expected='PASS', baseline=None,
        skip_reason=None, error=None, requirement='', source='', tags=('matrix',), duration=3):
    unexpected_verdicts = {'FAIL', 'ERROR'}
    stale = bool(baseline and baseline.get('stale'))
    if expected == 'PASS':
        unexpected = verdict in unexpected_verdicts
    else:
        unexpected = verdict != expected
    cases.append({
        'id': cid,
        'title': title,
        'family': '/'.join(cid.split('/')[:2]),
        'layer': layer,
        'tags': list(tags),
        'requirement': requirement,
        'source': source,
        'dimensions': d,
        'verdict': verdict,
        'expected_verdict': expected,
        'unexpected': unexpected or stale,
        'baseline': baseline,
        'skip_reason': skip_reason,
        'error': error,
        'duration_ms': duration,
        'checks': checks,
        'exchanges': exchanges,
    })


PULL_REQ = 'Pull needs read_registry; reporter+ may read a private project\'s images'
SRC_PAT = 'token-auth.md \u00a73.6; GitLab doc authenticate_with_container_registry.md'

# --- gitlab/personal_access_token (token-endpoint) -----------------------------------------------
for role, scopes, actions, verdict, granted in [
    ('reporter', 'read_registry', 'pull', 'PASS', 'pull'),
    ('reporter', 'read_registry', 'push', 'PASS', ''),
    ('developer', 'read_registry+write_registry', 'push', 'PASS', 'push'),
    ('developer', 'read_registry+write_registry', 'pull,push', 'PASS', 'pull,push'),
    ('developer', 'api', 'pull', 'PASS', 'pull'),
]:
    scope = 'repository:acme/private-enabled:' + actions
    add(f'gitlab/personal_access_token/{scopes}/private-enabled/{role}/{actions}',
        f'PAT with {scopes} of a {role} requests {actions} on a private project',
        'token-endpoint', verdict, dims('personal_access_token', scopes, actions, role, 'private', 'member'),
        [check('status', '200', '200'), check('access', scope if granted else '(empty access)',
                                             scope if granted else '(empty access)')],
        [token_exchange(scope)], requirement=PULL_REQ, source=SRC_PAT)

scope = 'repository:acme/private-enabled:*'
add('gitlab/personal_access_token/read_registry+write_registry/private-enabled/developer/delete',
    'PAT with write_registry of a developer must not get delete ("*")', 'token-endpoint', 'FAIL',
    dims('personal_access_token', 'read_registry+write_registry', '*', 'developer', 'private', 'member'),
    [check('status', '200', '200'),
     check('access', 'repository:acme/private-enabled:pull,push', 'repository:acme/private-enabled:*',
           'fail', message='delete requires maintainer+ and the delete_registry ability')],
    [token_exchange(scope)], requirement='Only maintainers may delete images', source='token-auth.md \u00a73.7')

add('gitlab/personal_access_token/read_registry+write_registry/private-enabled/reporter/push',
    'PAT with write_registry of a reporter is refused push', 'token-endpoint', 'FAIL',
    dims('personal_access_token', 'read_registry+write_registry', 'push', 'reporter', 'private', 'member'),
    [check('access', '(empty access)', 'repository:acme/private-enabled:push', 'fail')],
    [token_exchange('repository:acme/private-enabled:push')], expected='FAIL',
    baseline={'reason': 'Known GitLab 16.2 bug: reporters get push (gitlab-org/gitlab#000000)', 'stale': False},
    requirement='Push needs developer+', source='token-auth.md \u00a73.6')

add('gitlab/personal_access_token/read_registry/expired/reporter/pull',
    'Expired PAT is refused with 401', 'token-endpoint', 'PASS',
    dims('personal_access_token', 'read_registry', 'pull', 'reporter', 'private', 'member', state='expired'),
    [check('status', '401', '401')], [token_exchange('repository:acme/private-enabled:pull', 401)],
    tags=('matrix', 'bad-credentials'))

add('gitlab/personal_access_token/read_registry/revoked/reporter/pull',
    'Revoked PAT: 401 body should carry the errors array', 'token-endpoint', 'NON-STRICT',
    dims('personal_access_token', 'read_registry', 'pull', 'reporter', 'private', 'member', state='revoked'),
    [check('status', '401', '401'),
     check('error_body', '{"errors":[...]}', '{"message":"401 Unauthorized"}', 'fail', 'SHOULD',
           'distribution clients print the first errors[].message')],
    [token_exchange('repository:acme/private-enabled:pull', 401, '{"message":"401 Unauthorized"}')],
    tags=('matrix', 'bad-credentials'))

# --- gitlab/job_token (token-endpoint) ------------------------------------------------------------
add('gitlab/job_token/own/private-enabled/developer/pull', 'Job token pulls its own project',
    'token-endpoint', 'PASS', dims('job_token', 'job', 'pull', 'developer', 'private', 'own'),
    [check('status', '200', '200')], [token_exchange('repository:acme/own:pull', auth='Basic \u00abredacted user=gitlab-ci-token\u00bb')])
add('gitlab/job_token/own/private-enabled/developer/push', 'Job token pushes its own project',
    'token-endpoint', 'PASS', dims('job_token', 'job', 'push', 'developer', 'private', 'own'),
    [check('status', '200', '200')], [token_exchange('repository:acme/own:push')])
add('gitlab/job_token/not-allowlisted/private-enabled/developer/pull',
    'Job token of another project "not allowlisted" <must> be refused & logged', 'token-endpoint', 'FAIL',
    dims('job_token', 'job', 'pull', 'developer', 'private', 'not-allowlisted'),
    [check('status', '200', '200'),
     check('access', '(empty access)', 'repository:acme/other:pull ' + HOSTILE_HTML, 'fail',
           message='observed access echoes: ' + CONTROL)],
    [token_exchange('repository:acme/other:pull', 200,
                    '{"token":"x","note":"' + HOSTILE_HTML.replace('"', '\\"') + '"}',
                    [['Content-Type', 'text/html'], ['X-Evil"><svg onload=alert(3)>', '\'single\' "double" & <amp>'],
                     ['Set-Cookie', 'a=b; HttpOnly']])],
    requirement='CI_JOB_TOKEN of project B reaches project A only if A\'s allowlist includes B',
    source='token-auth.md \u00a73.8; GitLab doc ci/jobs/ci_job_token.md', tags=('matrix', 'cve', 'hostile'))
add('gitlab/job_token/allowlisted/private-enabled/developer/pull', 'Allowlisted job token pulls',
    'token-endpoint', 'PASS', dims('job_token', 'job', 'pull', 'developer', 'private', 'allowlisted'),
    [check('status', '200', '200')], [token_exchange('repository:acme/other:pull')])
add('gitlab/job_token/own/private-enabled/developer/delete', 'Job token cannot delete',
    'token-endpoint', 'SKIP', dims('job_token', 'job', '*', 'developer', 'private', 'own'), [], [],
    skip_reason='the target does not enable registry delete (REGISTRY_STORAGE_DELETE_ENABLED)')

# --- gitlab/deploy_token ----------------------------------------------------------------------------
add('gitlab/deploy_token/read_registry/private-enabled/pull', 'Deploy token with read_registry pulls',
    'token-endpoint', 'PASS', dims('deploy_token', 'read_registry', 'pull', None, 'private'),
    [check('status', '200', '200')], [token_exchange('repository:acme/private-enabled:pull')])
add('gitlab/deploy_token/read_registry/private-enabled/push', 'Deploy token with read_registry gets no push',
    'token-endpoint', 'PASS', dims('deploy_token', 'read_registry', 'push', None, 'private'),
    [check('access', '(empty access)', '(empty access)')], [token_exchange('repository:acme/private-enabled:push')])
add('gitlab/deploy_token/write_registry/private-enabled/push', 'Deploy token with write_registry pushes',
    'token-endpoint', 'ERROR', dims('deploy_token', 'write_registry', 'push', None, 'private'), [],
    [{'step': 'token_request',
      'request': {'method': 'GET', 'url': REALM + '?service=container_registry&scope=repository%3Aacme%2Fx%3Apush',
                  'headers': [['Authorization', 'Basic \u00abredacted user=deploy\u00bb']], 'body': ''},
      'response': None, 'duration_ms': 10000, 'error': 'curl: (56) Recv failure: Connection reset by peer'}],
    error='token_request: curl: (56) Recv failure: Connection reset by peer', duration=10002)
add('gitlab/deploy_token/read_registry+write_registry/private-enabled/delete',
    'Deploy token requesting "*": GitLab drops it silently', 'token-endpoint', 'INFORMATIONAL',
    dims('deploy_token', 'read_registry+write_registry', '*', None, 'private'),
    [check('access', 'pull,push or (empty access)', '(empty access)', 'fail', 'INFO',
           'implementation-defined: distribution treats * as a wildcard')],
    [token_exchange('repository:acme/private-enabled:*')])

# --- gitlab/anonymous -------------------------------------------------------------------------------
add('gitlab/anonymous/public-enabled/pull', 'Anonymous pulls a public project', 'token-endpoint', 'PASS',
    dims('anonymous', None, 'pull', None, 'public', state=None), [check('status', '200', '200')],
    [token_exchange('repository:acme/public:pull', auth='')])
add('gitlab/anonymous/private-enabled/pull', 'Anonymous gets no access to a private project',
    'token-endpoint', 'PASS', dims('anonymous', None, 'pull', None, 'private', state=None),
    [check('access', '(empty access)', '(empty access)')], [token_exchange('repository:acme/private:pull', auth='')])
add('gitlab/anonymous/internal-enabled/pull', 'Anonymous gets no access to an internal project',
    'token-endpoint', 'PASS', dims('anonymous', None, 'pull', None, 'internal', state=None),
    [check('access', '(empty access)', '(empty access)')], [token_exchange('repository:acme/internal:pull', auth='')],
    expected='FAIL', baseline={'reason': 'GitLab < 15.0 let anonymous users pull internal images', 'stale': True})

# --- registry/hostile-token (registry layer) --------------------------------------------------------
add('registry/hostile-token/alg-none', 'Token with alg "none" is refused', 'registry', 'PASS', dims(),
    [check('status', '401', '401'), check('challenge.error', 'invalid_token', 'invalid_token')],
    [registry_exchange('/v2/acme/private/manifests/latest', 401, '{"errors":[{"code":"UNAUTHORIZED"}]}',
                       [['WWW-Authenticate', 'Bearer realm="' + REALM + '",service="container_registry",error="invalid_token"'],
                        ['X-Quote', '"\'`']])],
    requirement='RFC 7515 \u00a74.1.1; RFC 8725 \u00a73.1', source='RFC 8725', tags=('hostile-token',))
add('registry/hostile-token/cve-2025-24976-kid-only', 'JWK matched by kid alone is refused (CVE-2025-24976)',
    'registry', 'FAIL', dims(),
    [check('status', '401', '200', 'fail', message='registry accepted a token signed by an embedded JWK'),
     check('body', 'error body', 'manifest (40000 bytes)', 'fail', 'SHOULD')],
    [registry_exchange('/v2/acme/private/manifests/latest', 200, LONG_BODY,
                       [['Content-Type', 'application/vnd.docker.distribution.manifest.v2+json'],
                        ['Content-Length', str(len(LONG_BODY))]])],
    requirement='A JWK header must match a trusted key by thumbprint, not by kid', source='CVE-2025-24976',
    tags=('hostile-token', 'cve'))
add('registry/hostile-token/expired', 'Expired token is refused', 'registry', 'PASS', dims(),
    [check('status', '401', '401')], [registry_exchange('/v2/acme/private/tags/list', 401)], tags=('hostile-token',))

# --- registry/challenge -----------------------------------------------------------------------------
add('registry/challenge/insufficient-scope-status', 'insufficient_scope: 401 or 403', 'registry',
    'INFORMATIONAL', dims(),
    [check('status', '403', '401', 'fail', 'INFO', 'distribution 2.8 returns 401 with error="insufficient_scope"')],
    [registry_exchange('/v2/acme/private/blobs/uploads/', 401, '', method='POST')],
    source='suite-anchors.md \u00a70.4', tags=('interop',))
add('registry/challenge/error-body', 'Error body carries code, message, detail', 'registry', 'NON-STRICT', dims(),
    [check('status', '401', '401'), check('errors[0].detail', 'present', 'absent', 'fail', 'SHOULD')],
    [registry_exchange('/v2/', 401, '{"errors":[{"code":"UNAUTHORIZED","message":"authentication required"}]}')])
add('registry/challenge/hostile-bytes', 'Challenge with control characters, "quotes" & <angles> is rejected',
    'registry', 'FAIL', dims(),
    [check('challenge.parse', 'error: bad_character', 'accepted: ' + UNICODE, 'fail',
           message=CONTROL + ' ' + LATIN1_BYTES)],
    [registry_exchange('/v2/', 401, LATIN1_BYTES + '\n' + UNICODE + '\n' + CONTROL + '\n' + HOSTILE_HTML,
                       [['WWW-Authenticate', 'Bearer realm="' + HOSTILE_HTML + '",x=\u0001\u001b'],
                        ['X-Bidi', 'abc\u202edcba']])],
    tags=('hostile',))

# --- flow/ci-login (flow layer) ---------------------------------------------------------------------
add('flow/ci-login/password-stdin/job_token', 'docker login --password-stdin with CI_JOB_TOKEN', 'flow', 'PASS',
    dims('job_token', 'job', 'pull', None, None, None, login_form='password-stdin'),
    [check('login', 'Login Succeeded', 'Login Succeeded')],
    [registry_exchange('/v2/', 401), token_exchange('', 200), registry_exchange('/v2/', 200)])
add('flow/ci-login/docker-auth-config', 'DOCKER_AUTH_CONFIG login', 'flow', 'SKIP',
    dims(login_form='docker_auth_config'), [], [], skip_reason='needs the docker CLI (not installed)')
add('flow/ci-login/skopeo-login', 'skopeo login --password-stdin', 'flow', 'ERROR',
    dims('personal_access_token', 'read_registry', None, login_form='skopeo'), [], [],
    expected='ERROR', baseline={'reason': 'skopeo 1.9.3 hangs without a TTY in this CI image', 'stale': False},
    error='skopeo exited 125 after 30 s: "Error: authenticating creds for \\"127.0.0.1\\": timeout"')
add('flow/ci-login/unauthenticated-v2-trap', 'Login must fail when /v2/ needs no auth', 'flow', 'FAIL',
    dims('personal_access_token', 'read_registry', None, login_form='password-stdin'),
    [check('login', 'failure', 'Login Succeeded', 'fail', message='client trusted a 200 from /v2/')],
    [registry_exchange('/v2/', 200, '{}')])

# --- token/aud ----------------------------------------------------------------------------------------
add('token/aud/array', 'aud as an array', 'token-endpoint', 'INFORMATIONAL', dims(),
    [check('claim.aud', 'string', '["container_registry"]', 'fail', 'INFO')],
    [token_exchange('repository:acme/public:pull')], tags=('interop',))

verdicts = ['PASS', 'FAIL', 'NON-STRICT', 'INFORMATIONAL', 'SKIP', 'ERROR']
by_verdict = {v: sum(1 for c in cases if c['verdict'] == v) for v in verdicts}
by_layer, by_family = {}, {}
for c in cases:
    by_layer.setdefault(c['layer'], {}).setdefault(c['verdict'], 0)
    by_layer[c['layer']][c['verdict']] += 1
    by_family.setdefault(c['family'], {}).setdefault(c['verdict'], 0)
    by_family[c['family']][c['verdict']] += 1
unexpected = sum(1 for c in cases if c['unexpected'])
stale = sum(1 for c in cases if c['baseline'] and c['baseline'].get('stale'))

doc = {
    'schema': 'regauth-results/1',
    'suite': {'name': 'regauth', 'version': '0.1.0', 'git_commit': 'b5142eb'},
    'run': {
        'started_at': '2026-11-25T13:17:41Z', 'finished_at': '2026-11-25T13:17:52Z', 'duration_ms': 10912,
        'argv': ['regauth', 'run', '--profile', 'gitlab', '--baseline', 'cases/baselines/gitlab-16.json'],
        'jobs': 2, 'selection': {'filter': ['*'], 'exclude': [], 'tags': [], 'shard': '1/1', 'listed': len(cases)},
    },
    'target': {
        'kind': 'reference', 'registry_url': REGISTRY, 'realm': REALM, 'service': 'container_registry',
        'fingerprint': {'challenge': 'Bearer realm="' + REALM + '",service="container_registry"',
                        'api_version_header': 'registry/2.0', 'server_header': None, 'kid': 'PYYO:TEWU:EXAMPLE'},
    },
    'profile': 'gitlab',
    'config': {'world': 'cases/worlds/gitlab-default.json', 'strict': False, 'rate': 0, 'timeout_ms': 10000,
               'baseline': 'cases/baselines/gitlab-16.json', 'signing_key': '\u00abprovided\u00bb'},
    'summary': {'total': len(cases), 'by_verdict': by_verdict, 'by_layer': by_layer, 'by_family': by_family,
                'unexpected': unexpected, 'stale_baseline': stale, 'exit_code': 1 if unexpected else 0},
    'cases': cases,
}

out = os.path.join(os.path.dirname(os.path.abspath(__file__)), 'sample-results.json')
with open(out, 'w', encoding='ascii') as f:
    json.dump(doc, f, indent=1, ensure_ascii=True)
    f.write('\n')
print(out, len(cases), 'cases', by_verdict, 'unexpected', unexpected, 'stale', stale)
