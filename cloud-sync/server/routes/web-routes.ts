/**
 * The city page (issue 5, "City views"): plain HTML, CSS and an ES module from
 * `cloud-sync/server/web/`, no build step. `GET /` and `GET /city/` answer the page,
 * `GET /city/<file>` its files. The files are read once at start, only those in the folder with a
 * known type are served (nothing else is reachable by a path), each with a strict
 * content-security-policy: scripts, styles and fetches from this origin only, no inline code, no
 * frames.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, extname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { FastifyPluginAsync, FastifyReply } from 'fastify';
import type { CloudContext } from '../cloud-context.js';

export const PAGE_CSP = [
  "default-src 'none'",
  "script-src 'self'",
  "style-src 'self'",
  "connect-src 'self'",
  "img-src 'self' data:",
  "form-action 'self'",
  "base-uri 'none'",
  "frame-ancestors 'none'",
].join('; ');

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
};

/**
 * The page's folder, from source (`cloud-sync/server/routes/`) or from the build
 * (`dist/cloud-sync/server/routes/`: tsc copies no static files, so it is the checkout's).
 */
export function webDir(from: string = fileURLToPath(import.meta.url)): string {
  const server = dirname(dirname(from));
  const candidates = [join(server, 'web'), join(server, '..', '..', '..', 'cloud-sync', 'server', 'web')];
  const found = candidates.find((d) => existsSync(join(d, 'index.html')));
  if (!found) throw new Error(`the city page is missing: looked in ${candidates.join(', ')}`);
  return found;
}

export function webRoutes(ctx: CloudContext, dir: string = webDir()): FastifyPluginAsync {
  const files = new Map<string, { type: string; body: Buffer }>();
  for (const name of readdirSync(dir)) {
    const type = TYPES[extname(name)];
    if (type && /^[a-z0-9-]+\.[a-z]+$/.test(name))
      files.set(name, { type, body: readFileSync(join(dir, name)) });
  }
  const send = (reply: FastifyReply, name: string) => {
    const f = files.get(name);
    if (!f) return ctx.refuse(reply, 404, 'not-found', 'no such file');
    return reply
      .header('content-type', f.type)
      .header('content-security-policy', PAGE_CSP)
      .header('x-content-type-options', 'nosniff')
      .header('referrer-policy', 'no-referrer')
      .header('cache-control', 'no-cache')
      .send(f.body);
  };
  return async (app) => {
    app.get('/', async (_req, reply) => send(reply, 'index.html'));
    app.get('/city', async (_req, reply) => reply.redirect('/city/'));
    app.get('/city/', async (_req, reply) => send(reply, 'index.html'));
    app.get<{ Params: { file: string } }>('/city/:file', async (req, reply) => send(reply, req.params.file));
  };
}
