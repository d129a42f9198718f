import * as path from 'node:path';

/** Where the citizen page's built files are read from. */
export function citizenPageRoot(): string {
  return path.resolve(process.cwd(), 'apps/citizen-web/public');
}

/** Content types served under /me; anything else is application/octet-stream. */
export const CONTENT_TYPES: Readonly<Record<string, string>> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json; charset=utf-8',
  '.map': 'application/json; charset=utf-8',
  '.webmanifest': 'application/manifest+json; charset=utf-8',
  '.txt': 'text/plain; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.jpg': 'image/jpeg',
  '.jpeg': 'image/jpeg',
  '.gif': 'image/gif',
  '.webp': 'image/webp',
  '.ico': 'image/x-icon',
  '.woff': 'font/woff',
  '.woff2': 'font/woff2',
};

export function contentTypeOf(file: string): string {
  return CONTENT_TYPES[path.extname(file).toLowerCase()] ?? 'application/octet-stream';
}

/**
 * The file under `root` that the asset path `rel` (the part after /me/assets/, still URL-encoded)
 * names, or undefined when it could name anything outside `root`: encoded or plain `..`,
 * backslashes, NUL, empty or dot-file segments, absolute paths. The caller also compares the
 * real path (symbolic links) before reading.
 */
export function assetPath(root: string, rel: string): string | undefined {
  if (rel.length === 0 || rel.length > 512) return undefined;
  let decoded: string;
  try {
    decoded = decodeURIComponent(rel);
  } catch {
    return undefined;
  }
  if (/[\\\0]/.test(decoded) || decoded.startsWith('/')) return undefined;
  const segments = decoded.split('/');
  if (segments.some((s) => s === '' || s.startsWith('.'))) return undefined;
  const base = path.join(root, 'assets');
  const file = path.resolve(base, ...segments);
  return file.startsWith(base + path.sep) ? file : undefined;
}

/**
 * Cache policy: a file whose name carries a content hash (Vite's `name-[hash].js`) never
 * changes, so it is cached for a year; anything else (index.html) is revalidated every time.
 */
export function cacheControlOf(file: string): string {
  return /[.-][A-Za-z0-9_-]{8,}\.[a-z0-9]+$/.test(path.basename(file)) && /\d/.test(path.basename(file))
    ? 'public, max-age=31536000, immutable'
    : 'no-cache';
}

/** Security headers of every /me answer: same-origin everything, no inline script, no framing. */
export const PAGE_SECURITY_HEADERS: Readonly<Record<string, string>> = {
  'content-security-policy':
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; font-src 'self'; connect-src 'self'; object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'",
  'x-content-type-options': 'nosniff',
  'referrer-policy': 'no-referrer',
  'x-frame-options': 'DENY',
  'cross-origin-opener-policy': 'same-origin',
  'cross-origin-resource-policy': 'same-origin',
};
