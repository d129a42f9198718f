/**
 * A per-person random stream: the same (seed, matricule, salt) always gives the same draws, so a
 * person's register data is derived on demand instead of being stored, and does not depend on the
 * order in which persons are asked for.
 */
export type Random = () => number;

/** FNV-1a over the text, then a murmur3 finaliser: enough spread for seeding, not cryptographic. */
function hash32(text: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  h = Math.imul(h ^ (h >>> 16), 0x85ebca6b);
  h = Math.imul(h ^ (h >>> 13), 0xc2b2ae35);
  return (h ^ (h >>> 16)) >>> 0;
}

/** mulberry32 seeded from the hash of the parts. */
export function seededRandom(...parts: (string | number)[]): Random {
  let state = hash32(parts.join('|'));
  return () => {
    state = (state + 0x6d2b79f5) | 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export const pick = <T>(items: readonly T[], random: Random): T => items[Math.floor(random() * items.length)];
