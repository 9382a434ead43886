/**
 * The local HTTP server the measurement page and the models are loaded from: HTTP/1.1 on
 * 127.0.0.1 (a random free port), every file in memory, model files sent with the
 * report's transfer encoding (a .mcz as is), so the bytes the browser receives are the
 * bytes the simulation assumes.
 *
 * Why HTTP/1.1 and not HTTP/2 over TLS: DevTools throttling works per request above the
 * connection, so neither TLS set-up nor HTTP/2's single shared connection would be
 * throttled or timed differently; what matters is that the weight files are requested in
 * parallel, and Chromium opens up to six HTTP/1.1 connections per host for that. (A model
 * of more than six shards would queue where HTTP/2 would not.) HTTP/2 over TLS would also
 * need an X.509 certificate made at run time, which Node cannot make without openssl or
 * another dependency.
 */
import { readFile } from 'node:fs/promises';
import { type IncomingMessage, type Server, type ServerResponse, createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { promisify } from 'node:util';
import zlib from 'node:zlib';
import type { Encoding } from '../types.js';
import type { Asset } from './assets.js';

const brotli = promisify(zlib.brotliCompress);
const gzip = promisify(zlib.gzip);

/** A file the server sends: its body as sent, and the Content-Encoding it carries. */
interface Route {
  type: string;
  body: Uint8Array;
  encoding?: 'br' | 'gzip';
  /** The unencoded body, for a browser that does not accept `encoding`. */
  raw?: Uint8Array;
}

/** A running server; `close` stops it. */
export interface PageServer {
  /** http://127.0.0.1:<port> */
  base: string;
  /** Serve a model's files under /m/<id>/; returns the URL the page loads (model.json or the .mcz). */
  addModel(id: number, files: string[], container: boolean, encoding: Encoding): Promise<string>;
  /** Requests that asked for an encoding the browser did not accept (then sent raw). */
  refusedEncodings(): string[];
  close(): Promise<void>;
}

/** Body as sent under `encoding`: brotli quality 11 and gzip level 9, as the sizes are computed. */
async function encode(raw: Uint8Array, encoding: Encoding): Promise<Route['body']> {
  if (encoding === 'br') return brotli(raw, { params: { [zlib.constants.BROTLI_PARAM_QUALITY]: 11, [zlib.constants.BROTLI_PARAM_SIZE_HINT]: raw.length } });
  if (encoding === 'gzip') return gzip(raw, { level: 9 });
  return raw;
}

/** Start the server with the page and its static assets. */
export async function startServer(page: string, assets: Asset[], extra: { url: string; type: string; body: Uint8Array }[]): Promise<PageServer> {
  const routes = new Map<string, Route>();
  routes.set('/', { type: 'text/html; charset=utf-8', body: new TextEncoder().encode(page) });
  for (const a of assets) routes.set(a.url, { type: a.type, body: await readFile(a.file) });
  for (const e of extra) routes.set(e.url, { type: e.type, body: e.body });
  const refused: string[] = [];
  const handle = (req: IncomingMessage, res: ServerResponse) => {
    let url = (req.url ?? '/').split('?')[0];
    try {
      url = decodeURIComponent(url); // weight file names with spaces or other escaped characters
    } catch {
      // a malformed escape: looked up as sent, and not found
    }
    const r = routes.get(url);
    if (!r) {
      res.writeHead(404, { 'content-type': 'text/plain', 'cache-control': 'no-store' });
      res.end('not found');
      return;
    }
    const accepts = String(req.headers['accept-encoding'] ?? '');
    const headers: Record<string, string | number> = { 'content-type': r.type, 'cache-control': 'no-store' };
    let body = r.body;
    if (r.encoding && accepts.split(',').some((e) => e.trim().split(';')[0] === r.encoding)) headers['content-encoding'] = r.encoding;
    else if (r.encoding && r.raw) {
      refused.push(url);
      body = r.raw;
    }
    headers['content-length'] = body.length;
    res.writeHead(200, headers);
    res.end(body);
  };
  const server: Server = createServer(handle);
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', resolve);
  });
  const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    base,
    async addModel(id, files, container, encoding) {
      const dir = path.dirname(files[0]);
      for (const f of files) {
        const raw = await readFile(f);
        const rel = path.relative(dir, f).split(path.sep).join('/');
        const enc = container || encoding === 'none' ? undefined : encoding;
        const route: Route = { type: rel.endsWith('.json') ? 'application/json' : 'application/octet-stream', body: enc ? await encode(raw, enc) : raw, encoding: enc, raw };
        routes.set(`/m/${id}/${rel}`, route);
      }
      return `${base}/m/${id}/${path.basename(files[0])}`;
    },
    refusedEncodings: () => [...refused],
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
