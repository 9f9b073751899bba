// docker-registry-client.js — drives joyent's docker-registry-client (v2 API) for `regauth clients`.
// Usage: node docker-registry-client.js login|pull REGISTRY_URL REPOSITORY TAG USERNAME   (password on stdin)
'use strict';
const path = require('path');
const drc = require(path.join(__dirname, 'node_modules', 'docker-registry-client'));
const [op, registryUrl, repo, tag, username] = process.argv.slice(2);
const password = require('fs').readFileSync(0, 'utf8').replace(/\r?\n$/, '');
const url = new URL(registryUrl);
const client = drc.createClientV2({
  name: url.host + '/' + repo, scheme: url.protocol.replace(':', ''), username, password,
  log: require(path.join(__dirname, 'node_modules', 'bunyan')).createLogger({ name: 'drc', level: 'fatal' }),
});
function done(err) {
  client.close();
  if (err) { console.error(op + ' failed: ' + err.message); process.exit(1); }
  console.log(op + ' succeeded');
}
if (op === 'login') {
  client.login({}, done);
} else if (op === 'pull') {
  client.getManifest({ ref: tag, acceptOCIManifests: true, maxSchemaVersion: 2 }, (err, manifest) => {
    if (err) return done(err);
    const layers = manifest.layers || [];
    let i = 0;
    const next = (e) => {
      if (e || i >= layers.length) return done(e);
      client.createBlobReadStream({ digest: layers[i++].digest }, (e2, stream) => {
        if (e2) return done(e2);
        stream.on('data', () => {}); stream.on('end', () => next()); stream.on('error', next); stream.resume();
      });
    };
    next();
  });
} else {
  done(new Error('unknown operation ' + op));
}
