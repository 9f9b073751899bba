// snyk-v2.js — drives @snyk/docker-registry-v2-client for `regauth clients`.
// Usage: node snyk-v2.js login|pull REGISTRY_URL REPOSITORY TAG USERNAME   (password on stdin)
'use strict';
const path = require('path');
const client = require(path.join(__dirname, 'node_modules', '@snyk/docker-registry-v2-client'));
const [op, registryUrl, repo, tag, username] = process.argv.slice(2);
const password = require('fs').readFileSync(0, 'utf8').replace(/\r?\n$/, '');
const url = new URL(registryUrl);
const options = {
  protocol: url.protocol, timeout: 15000,
  acceptManifest: [client.contentTypes.OCI_MANIFEST_V1, client.contentTypes.MANIFEST_V2].join(', '),
};
async function main() {
  if (op === 'login') {
    const token = await client.getAuthTokenForEndpoint(url.host, '/v2/' + repo + '/tags/list', username, password, options);
    if (!token) throw new Error('the registry issued no token');
  } else if (op === 'pull') {
    const manifest = await client.getManifest(url.host, repo, tag, username, password, options);
    for (const layer of manifest.layers || []) {
      await client.getLayer(url.host, repo, layer.digest, username, password, options);
    }
  } else {
    throw new Error('unknown operation ' + op);
  }
  console.log(op + ' succeeded');
}
main().catch((e) => { console.error(op + ' failed: ' + (e && e.message ? e.message : e)); process.exit(1); });
