import { realpath, readFile, stat } from 'node:fs/promises';
import * as path from 'node:path';
import { Controller, Get, Req, Res } from '@nestjs/common';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { BrokerError, ErrorCode } from '@broker/errors';
import {
  PAGE_SECURITY_HEADERS,
  assetPath,
  cacheControlOf,
  citizenPageRoot,
  contentTypeOf,
} from './static-files';

const MAX_FILE_BYTES = 5 * 1024 * 1024;

/**
 * Serves the citizen page's static files (apps/citizen-web/public): `GET /me` is index.html,
 * `GET /me/assets/*` the rest. Strict CSP, no directory listing, nothing outside the folder.
 */
@Controller('me')
export class CitizenPageController {
  private readonly root = citizenPageRoot();

  @Get()
  index(@Req() req: FastifyRequest, @Res() reply: FastifyReply): Promise<void> {
    return this.send(path.join(this.root, 'index.html'), req, reply);
  }

  @Get('assets/*')
  async asset(@Req() req: FastifyRequest, @Res() reply: FastifyReply): Promise<void> {
    const rel = (req.params as Record<string, string>)['*'] ?? '';
    const file = assetPath(this.root, rel);
    if (!file) throw notFound();
    return this.send(file, req, reply);
  }

  private async send(file: string, req: FastifyRequest, reply: FastifyReply): Promise<void> {
    let body: Buffer;
    let etag: string;
    try {
      // the real path too: a symbolic link inside the folder must not lead out of it
      const real = await realpath(file);
      const rootReal = await realpath(this.root);
      if (!real.startsWith(rootReal + path.sep)) throw notFound();
      const st = await stat(real);
      if (!st.isFile() || st.size > MAX_FILE_BYTES) throw notFound();
      etag = `W/"${st.size.toString(16)}-${Math.floor(st.mtimeMs).toString(16)}"`;
      if (req.headers['if-none-match'] === etag) {
        void reply.status(304).headers(PAGE_SECURITY_HEADERS).header('etag', etag).send();
        return;
      }
      body = await readFile(real);
    } catch (e) {
      if (e instanceof BrokerError) throw e;
      throw notFound();
    }
    void reply
      .status(200)
      .headers(PAGE_SECURITY_HEADERS)
      .header('content-type', contentTypeOf(file))
      .header('cache-control', cacheControlOf(file))
      .header('etag', etag)
      .send(body);
  }
}

function notFound(): BrokerError {
  return new BrokerError(ErrorCode.NOT_FOUND, 'No such file.');
}
