// @ts-check
// The registers behind the broker, as the broker's catalogue names them (the `sources` query):
// the page names each register in words in the current language without knowing any of them.

import * as api from './api.js';
import { localized } from './i18n.js';

/** @type {api.SourceView[] | null} */
let list = null;
/** @type {Promise<api.SourceView[]> | null} */
let loading = null;

/**
 * Loads the catalogue once (again after a failure).
 * @returns {Promise<api.SourceView[]>}
 */
export function loadRegisters() {
  loading ??= api.sources().then(
    (sources) => (list = sources),
    (e) => {
      loading = null;
      throw e;
    },
  );
  return loading;
}

/** Loads the catalogue if needed; without it the page names registers by their short names. */
export async function ensureRegisters() {
  try {
    await loadRegisters();
  } catch (e) {
    console.warn('registers not loaded', e);
  }
}

/** @returns {api.SourceView[]} the registers, in the catalogue's order (empty until loaded) */
export function registers() {
  return list ?? [];
}

/**
 * A register's name in words in the current language (and the language it is in, when another).
 * @param {string} name the register's short name (`rnpp`)
 * @returns {{ text: string, lang: import('./i18n.js').Lang | null }}
 */
export function registerTitle(name) {
  const found = list?.find((s) => s.name === name);
  return localized(found?.titles, name.toUpperCase());
}
