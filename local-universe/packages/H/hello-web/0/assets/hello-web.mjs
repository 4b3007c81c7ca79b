// hello-web: the static web server of dcos local's bundled Universe. Plain node, no dependencies, so it runs
// wherever dcos local does (the task starts it with $DCOS_LOCAL_NODE, the node running dcos local).
//
// Listens on $PORT0 at $HOST (the agent's loopback address, where Marathon's health checks and other tasks
// find it) and at 127.0.0.1. Serves the files under $HELLO_WEB_ROOT when it is set, and a page showing
// $HELLO_WEB_MESSAGE at / when it is not (or when the root has no index.html).
import { Buffer } from 'node:buffer';
import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import { createServer } from 'node:http';
import { extname, join, resolve, sep } from 'node:path';
import process from 'node:process';
import { setTimeout } from 'node:timers';
import { URL } from 'node:url';

const port = Number(process.env.PORT0);
if (!Number.isInteger(port) || port <= 0 || port > 65535) {
  process.stderr.write(
    `hello-web: PORT0 is not a port number (${process.env.PORT0 ?? 'unset'}); run it as a Marathon app with one port\n`,
  );
  process.exit(1);
}
const message = process.env.HELLO_WEB_MESSAGE || 'Hello from dcos local!';
const root = process.env.HELLO_WEB_ROOT ? resolve(process.env.HELLO_WEB_ROOT) : undefined;
const addresses = [...new Set([process.env.HOST, '127.0.0.1'].filter(Boolean))];

const CONTENT_TYPES = {
  '.html': 'text/html; charset=utf-8',
  '.htm': 'text/html; charset=utf-8',
  '.txt': 'text/plain; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.json': 'application/json',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.jpg': 'image/jpeg',
  '.jpeg': 'image/jpeg',
  '.gif': 'image/gif',
  '.ico': 'image/x-icon',
  '.wasm': 'application/wasm',
};

const escapeHtml = (text) =>
  text.replace(
    /[&<>"']/g,
    (char) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[char],
  );

function page() {
  return `<!doctype html>
<html>
<head><meta charset="utf-8"><title>hello-web</title></head>
<body>
<h1>${escapeHtml(message)}</h1>
<p>Served by task ${escapeHtml(process.env.MESOS_TASK_ID ?? 'hello-web')} of app ${escapeHtml(process.env.MARATHON_APP_ID ?? '')}.</p>
</body>
</html>
`;
}

/** The file under the root a URL path names, or undefined (outside the root, missing, not a file). */
async function fileFor(urlPath) {
  if (root === undefined) return undefined;
  let decoded;
  try {
    decoded = decodeURIComponent(urlPath);
  } catch {
    return undefined;
  }
  if (decoded.includes('\0')) return undefined;
  let path = resolve(join(root, decoded));
  if (path !== root && !path.startsWith(root.endsWith(sep) ? root : root + sep)) return undefined;
  try {
    let info = await stat(path);
    if (info.isDirectory()) {
      path = join(path, 'index.html');
      info = await stat(path);
    }
    return info.isFile() ? { path, size: info.size } : undefined;
  } catch {
    return undefined;
  }
}

function reply(request, response, status, type, body) {
  response.writeHead(status, { 'content-type': type, 'content-length': Buffer.byteLength(body) });
  response.end(request.method === 'HEAD' ? undefined : body);
}

async function handle(request, response) {
  const path = new URL(request.url ?? '/', 'http://hello-web').pathname;
  if (request.method !== 'GET' && request.method !== 'HEAD') {
    response.setHeader('allow', 'GET, HEAD');
    return reply(request, response, 405, 'text/plain; charset=utf-8', 'Method Not Allowed\n');
  }
  const file = await fileFor(path);
  if (file) {
    response.writeHead(200, {
      'content-type': CONTENT_TYPES[extname(file.path).toLowerCase()] ?? 'application/octet-stream',
      'content-length': file.size,
    });
    if (request.method === 'HEAD') return response.end();
    createReadStream(file.path)
      .on('error', () => response.destroy())
      .pipe(response);
    return;
  }
  if (path === '/' || path === '/index.html')
    return reply(request, response, 200, 'text/html; charset=utf-8', page());
  return reply(request, response, 404, 'text/plain; charset=utf-8', 'Not Found\n');
}

const servers = addresses.map((address) => {
  const server = createServer((request, response) => {
    response.on('finish', () =>
      process.stdout.write(
        `${new Date().toISOString()} ${request.method} ${request.url} ${response.statusCode}\n`,
      ),
    );
    handle(request, response).catch((error) => {
      process.stderr.write(`hello-web: ${error.message}\n`);
      if (!response.headersSent)
        reply(request, response, 500, 'text/plain; charset=utf-8', 'Internal Server Error\n');
      else response.destroy();
    });
  });
  server.on('error', (error) => {
    process.stderr.write(`hello-web: cannot listen on ${address}:${port}: ${error.message}\n`);
    process.exit(1);
  });
  server.listen(port, address, () =>
    process.stdout.write(`hello-web: listening on http://${address}:${port}/\n`),
  );
  return server;
});

// Marathon stops a task with SIGTERM: finish what is in flight and exit 0, so the kill is a clean one.
process.once('SIGTERM', () => {
  for (const server of servers) {
    server.close();
    server.closeIdleConnections();
  }
  setTimeout(() => process.exit(0), 1000).unref();
});
