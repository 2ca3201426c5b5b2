// A stand-in for kube-apiserver on a simulated control-plane host (local mode has no Kubernetes): it reads the
// static pod manifest ${ETCD_HA_ROOT}/etc/kubernetes/manifests/kube-apiserver.yaml as kubelet would hand it over,
// listens on --bind-address:--secure-port (plain HTTP: a stand-in), and answers GET /livez with 200 only when it can
// read from etcd at --etcd-servers with --etcd-cafile/--etcd-certfile/--etcd-keyfile (paths below the host root),
// as kube-apiserver's etcd health check does. Like the real one, it reads the client pair at each connection.
// Started and restarted by local-apiserver-kubelet.sh. Never prints key material.
import { appendFileSync, mkdirSync, readFileSync } from 'node:fs';
import { createServer } from 'node:http';
import { request } from 'node:https';
import { join } from 'node:path';

const root = process.env.ETCD_HA_ROOT;
if (!root || !root.startsWith('/')) {
  console.error('local-kube-apiserver: ETCD_HA_ROOT must be the simulated host root dir');
  process.exit(2);
}
const manifest = readFileSync(join(root, 'etc/kubernetes/manifests/kube-apiserver.yaml'), 'utf8');
const flags = Object.fromEntries([...manifest.matchAll(/^\s*-\s+"?--([a-z0-9-]+)=([^"\n]*)"?\s*$/gm)].map((m) => [m[1], m[2]]));
const below = (path) => join(root, path);
const servers = (flags['etcd-servers'] ?? '').split(',').filter(Boolean);
const address = flags['bind-address'] ?? '127.0.0.1';
const port = Number(flags['secure-port'] ?? 6443);

/** One range read of a single key over mTLS against one etcd endpoint; resolves true on HTTP 200. */
function readsFrom(server) {
  return new Promise((resolve) => {
    let tls;
    try {
      tls = { ca: readFileSync(below(flags['etcd-cafile'])), cert: readFileSync(below(flags['etcd-certfile'])), key: readFileSync(below(flags['etcd-keyfile'])) };
    } catch (error) {
      console.error(`etcd client files: ${error.code ?? error.message}`);
      resolve(false);
      return;
    }
    const body = JSON.stringify({ key: Buffer.from('/registry/health').toString('base64') });
    const req = request(`${server}/v3/kv/range`, { method: 'POST', ...tls, timeout: 2000, headers: { 'content-type': 'application/json' } }, (res) => {
      res.resume();
      resolve(res.statusCode === 200);
    });
    req.on('timeout', () => req.destroy(new Error('timeout')));
    req.on('error', (error) => {
      console.error(`etcd ${server}: ${error.code ?? error.message}`);
      resolve(false);
    });
    req.end(body);
  });
}

// The first 200 is noted beside the kubelet stand-in's stop/start events: tests order restarts across hosts by it.
let answered = false;
function noteHealthy() {
  if (answered) return;
  answered = true;
  mkdirSync(join(root, 'var/log/etcd-ha'), { recursive: true });
  appendFileSync(join(root, 'var/log/etcd-ha/kube-apiserver.events'), `${Date.now()} healthy ${process.pid}\n`);
}

const server = createServer(async (req, res) => {
  if (req.url !== '/livez' && req.url !== '/readyz') {
    res.writeHead(404).end();
    return;
  }
  for (const etcd of servers) {
    if (await readsFrom(etcd)) {
      noteHealthy();
      res.writeHead(200, { 'content-type': 'text/plain' }).end('ok');
      return;
    }
  }
  res.writeHead(500, { 'content-type': 'text/plain' }).end(`[-]etcd failed: none of ${servers.length} etcd servers answered\n`);
});
server.listen(port, address, () => console.log(`local-kube-apiserver: pid ${process.pid} on http://${address}:${port}, etcd ${servers.join(',')}`));
for (const signal of ['SIGTERM', 'SIGINT']) process.on(signal, () => server.close(() => process.exit(0)));
