import { isIPv4, isIPv6 } from 'node:net';

/**
 * True when `host` names an address only this machine reaches: 127.0.0.0/8, ::1 (also written
 * out in full, or IPv4-mapped ::ffff:127.x.x.x) or `localhost`. A wildcard (0.0.0.0, ::) is not.
 */
export function isLoopbackHost(host: string): boolean {
  const h = host.toLowerCase();
  if (h === 'localhost') return true;
  if (isIPv4(h)) return h.split('.')[0] === '127';
  if (!isIPv6(h)) return false;
  let normalised: string;
  try {
    normalised = new URL(`http://[${h}]/`).hostname;
  } catch {
    return false; // e.g. a zone id (fe80::1%eth0): a link, not the loopback
  }
  return normalised === '[::1]' || /^\[::ffff:7f[0-9a-f]{2}:[0-9a-f]{1,4}\]$/.test(normalised);
}
