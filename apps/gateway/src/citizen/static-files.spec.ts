import * as path from 'node:path';
import { assetPath, cacheControlOf, contentTypeOf } from './static-files';

const ROOT = path.resolve('/srv/citizen-web/public');
const ASSETS = path.join(ROOT, 'assets');

describe('assetPath', () => {
  it.each([
    ['app.js', 'app.js'],
    ['index-4f3a2b1c.js', 'index-4f3a2b1c.js'],
    ['fonts/inter.woff2', 'fonts/inter.woff2'],
    ['i18n/l%C3%ABtzebuergesch.json', 'i18n/lëtzebuergesch.json'],
  ])('serves %s from the assets folder', (rel, expected) => {
    expect(assetPath(ROOT, rel)).toBe(path.join(ASSETS, expected));
  });

  it.each([
    ['empty', ''],
    ['parent', '../index.html'],
    ['parent, deeper', 'fonts/../../index.html'],
    ['encoded parent', '%2e%2e/index.html'],
    ['encoded slash and parent', '..%2f..%2fetc%2fpasswd'],
    ['backslash', '..\\index.html'],
    ['encoded backslash', '%5c..%5cindex.html'],
    ['absolute', '/etc/passwd'],
    ['encoded absolute', '%2fetc%2fpasswd'],
    ['NUL', 'app.js%00.png'],
    ['dot file', '.env'],
    ['dot folder', '.git/config'],
    ['empty segment', 'fonts//inter.woff2'],
    ['bad percent-encoding', '%E0%A4%A'],
    ['too long', 'a'.repeat(513)],
  ])('refuses %s', (_label, rel) => {
    expect(assetPath(ROOT, rel)).toBeUndefined();
  });

  it('decodes once: a double-encoded parent stays a literal file name inside the folder', () => {
    expect(assetPath(ROOT, '%252e%252e/x')).toBe(path.join(ASSETS, '%2e%2e', 'x'));
  });
});

describe('contentTypeOf', () => {
  it.each([
    ['index.html', 'text/html; charset=utf-8'],
    ['app.JS', 'text/javascript; charset=utf-8'],
    ['style.css', 'text/css; charset=utf-8'],
    ['logo.svg', 'image/svg+xml'],
    ['font.woff2', 'font/woff2'],
    ['data.bin', 'application/octet-stream'],
    ['README', 'application/octet-stream'],
  ])('%s is %s', (file, type) => {
    expect(contentTypeOf(file)).toBe(type);
  });
});

describe('cacheControlOf', () => {
  it('caches hashed file names for a year and revalidates the rest', () => {
    expect(cacheControlOf('index-4f3a2b1c.js')).toBe('public, max-age=31536000, immutable');
    expect(cacheControlOf('style.B9x_2kQ1.css')).toBe('public, max-age=31536000, immutable');
    expect(cacheControlOf('index.html')).toBe('no-cache');
    expect(cacheControlOf('app.js')).toBe('no-cache');
    expect(cacheControlOf('translations.json')).toBe('no-cache');
  });
});
