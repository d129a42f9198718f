// @ts-check
// Languages, translated strings and the formatting of dates, data items and refusal reasons.
//
// The page speaks Luxembourgish, French, German and English. The first of the browser's
// languages that we have wins; when none matches we use French: it is the language of
// Luxembourg's legislation and administration and the one most residents read, including the
// large Portuguese- and Italian-speaking communities, for whom English is often less familiar.

/** @typedef {'lb' | 'fr' | 'de' | 'en'} Lang */
/** @typedef {{ en?: string | null, fr?: string | null, de?: string | null, lb?: string | null }} LocalizedText */

/** @type {readonly Lang[]} */
export const LANGUAGES = ['lb', 'fr', 'de', 'en'];
export const FALLBACK_LANGUAGE = /** @type {Lang} */ ('fr');
export const TIME_ZONE = 'Europe/Luxembourg';
const STORAGE_KEY = 'citizen-web.lang';

/** @type {Lang} */
let current = FALLBACK_LANGUAGE;
/** @type {Record<string, string>} */
let messages = {};
/** @type {Map<Lang, Record<string, string>>} */
const cache = new Map();
/** @type {Set<(lang: Lang) => void>} */
const listeners = new Set();

/**
 * @param {string | null | undefined} value
 * @returns {value is Lang}
 */
export function isLang(value) {
  return LANGUAGES.includes(/** @type {Lang} */ (value));
}

/** The language to start with: the one chosen before, else the browser's, else French. */
export function pickLanguage() {
  try {
    const saved = window.localStorage.getItem(STORAGE_KEY);
    if (isLang(saved)) return saved;
  } catch {
    // storage may be blocked: fall through
  }
  for (const tag of navigator.languages ?? [navigator.language]) {
    const primary = String(tag).toLowerCase().split('-')[0];
    if (isLang(primary)) return primary;
  }
  return FALLBACK_LANGUAGE;
}

/** @returns {Lang} */
export function lang() {
  return current;
}

/**
 * Loads a language, makes it current, updates `<html lang>` and remembers the choice.
 * @param {Lang} next
 */
export async function setLanguage(next) {
  let dict = cache.get(next);
  if (!dict) {
    const res = await fetch(new URL(`./i18n/${next}.json`, import.meta.url));
    if (!res.ok) throw new Error(`i18n/${next}.json: HTTP ${res.status}`);
    dict = /** @type {Record<string, string>} */ (await res.json());
    cache.set(next, dict);
  }
  current = next;
  messages = dict;
  document.documentElement.lang = next;
  try {
    window.localStorage.setItem(STORAGE_KEY, next);
  } catch {
    // not remembered, still switched
  }
  for (const fn of listeners) fn(next);
}

/** @param {(lang: Lang) => void} fn */
export function onLanguageChange(fn) {
  listeners.add(fn);
}

/**
 * The translation of `key`, with `{name}` placeholders filled from `params`.
 * @param {string} key
 * @param {Record<string, string | number>} [params]
 */
export function t(key, params = {}) {
  const template = messages[key];
  if (template === undefined) {
    console.warn(`missing translation: ${current}.${key}`);
    return key;
  }
  return template.replace(/\{(\w+)\}/g, (whole, name) => (name in params ? String(params[name]) : whole));
}

/**
 * The translation of `key` as parts, with `{name}` placeholders replaced by `params` as they are
 * (a DOM node for a text in another language, say): for building elements, not strings.
 * @template T
 * @param {string} key
 * @param {Record<string, T>} params
 * @returns {(string | T)[]}
 */
export function tParts(key, params) {
  return t(key)
    .split(/(\{\w+\})/)
    .filter((part) => part !== '')
    .map((part) => {
      const name = /^\{(\w+)\}$/.exec(part)?.[1];
      return name !== undefined && name in params ? params[name] : part;
    });
}

/** @param {string} key */
export function has(key) {
  return key in messages;
}

/** Translates every element with data-i18n (text) or data-i18n-label (aria-label) under `root`. */
export function translateStatic(root = document) {
  for (const el of root.querySelectorAll('[data-i18n]')) {
    el.textContent = t(/** @type {string} */ (el.getAttribute('data-i18n')));
  }
  for (const el of root.querySelectorAll('[data-i18n-label]')) {
    el.setAttribute('aria-label', t(/** @type {string} */ (el.getAttribute('data-i18n-label'))));
  }
}

// ---- formatting ------------------------------------------------------------------------------

/** The Intl locale for the current language (ICU may lack Luxembourgish: then German forms). */
function locale() {
  const wanted = { lb: 'lb-LU', fr: 'fr-LU', de: 'de-LU', en: 'en-GB' }[current];
  return Intl.DateTimeFormat.supportedLocalesOf([wanted]).length ? wanted : 'de-LU';
}

/**
 * Date and time in Luxembourg time, e.g. "3 mars 2025, 14:05".
 * @param {string} iso
 */
export function formatDateTime(iso) {
  return new Intl.DateTimeFormat(locale(), {
    dateStyle: 'medium',
    timeStyle: 'short',
    timeZone: TIME_ZONE,
  }).format(new Date(iso));
}

/**
 * A day in Luxembourg time, e.g. "3 mars 2025".
 * @param {string} iso
 */
export function formatDate(iso) {
  return new Intl.DateTimeFormat(locale(), { dateStyle: 'long', timeZone: TIME_ZONE }).format(new Date(iso));
}

/**
 * A register date "YYYY-MM-DD" where 00 stands for an unknown month or day.
 * @param {string | null | undefined} value
 */
export function formatRegisterDate(value) {
  const m = /^(\d{4})-(\d{2})-(\d{2})$/.exec(value ?? '');
  if (!m) return value ?? '';
  const [year, month, day] = [Number(m[1]), Number(m[2]), Number(m[3])];
  const date = new Date(Date.UTC(year, Math.max(month, 1) - 1, Math.max(day, 1), 12));
  /** @type {Intl.DateTimeFormatOptions} */
  const opts = { timeZone: 'UTC', year: 'numeric' };
  if (month) opts.month = 'long';
  if (month && day) opts.day = 'numeric';
  return new Intl.DateTimeFormat(locale(), opts).format(date);
}

/**
 * A list in words: "name, birth and address".
 * @param {string[]} words
 */
export function formatList(words) {
  return new Intl.ListFormat(locale(), { style: 'long', type: 'conjunction' }).format(words);
}

/**
 * Data items in words.
 * @param {string[]} items
 */
export function itemsInWords(items) {
  if (!items.length) return t('items.none');
  return formatList(items.map((item) => (has(`item.${item}`) ? t(`item.${item}`) : item)));
}

/**
 * A refusal reason in words.
 * @param {string | null | undefined} code
 */
export function reasonInWords(code) {
  if (!code) return t('reason.unknown');
  return has(`reason.${code}`) ? t(`reason.${code}`) : t('reason.other', { code });
}

/**
 * A country name from its ISO code, in the current language where the browser knows it.
 * @param {string | null | undefined} code
 */
export function countryName(code) {
  if (!code) return '';
  try {
    const names = new Intl.DisplayNames([locale()], { type: 'region' });
    return names.of(code.toUpperCase()) ?? code;
  } catch {
    return code;
  }
}

/**
 * A label in the current language, or the first language that has one (and which one it is, for
 * the `lang` attribute).
 * @param {LocalizedText | null | undefined} labels
 * @param {string} fallback
 * @returns {{ text: string, lang: Lang | null }}
 */
export function localized(labels, fallback) {
  if (labels) {
    for (const l of [current, FALLBACK_LANGUAGE, 'en', 'de', 'lb']) {
      const text = labels[/** @type {Lang} */ (l)];
      if (text) return { text, lang: l === current ? null : /** @type {Lang} */ (l) };
    }
  }
  return { text: fallback, lang: null };
}

/**
 * The instant a day starts in Luxembourg, for a date input's "YYYY-MM-DD".
 * @param {string} day
 * @returns {Date}
 */
export function luxembourgDayStart(day) {
  const [y, m, d] = day.split('-').map(Number);
  const wallClock = Date.UTC(y, m - 1, d);
  const first = wallClock - zoneOffset(wallClock);
  const second = wallClock - zoneOffset(first);
  return new Date(second);
}

/**
 * Luxembourg's offset from UTC at an instant, in milliseconds (+1 h in winter, +2 h in summer).
 * @param {number} instant
 */
function zoneOffset(instant) {
  const parts = new Intl.DateTimeFormat('en-US', {
    timeZone: TIME_ZONE,
    hourCycle: 'h23',
    year: 'numeric',
    month: 'numeric',
    day: 'numeric',
    hour: 'numeric',
    minute: 'numeric',
    second: 'numeric',
  }).formatToParts(new Date(instant));
  /** @param {string} type */
  const part = (type) => Number(parts.find((p) => p.type === type)?.value ?? 0);
  const asUtc = Date.UTC(
    part('year'),
    part('month') - 1,
    part('day'),
    part('hour'),
    part('minute'),
    part('second'),
  );
  return asUtc - Math.floor(instant / 1000) * 1000;
}
