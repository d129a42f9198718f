// @ts-check
// Turns an error of the broker into a sentence in the current language.

import { ApiError } from './api.js';
import { t } from './i18n.js';

/** @type {Record<string, string>} */
const KEYS = {
  NETWORK: 'error.network',
  UNAUTHENTICATED: 'error.sessionEnded',
  FORBIDDEN: 'error.forbidden',
  NOT_FOUND: 'error.notFound',
  HTTP_404: 'error.notFound',
  BAD_USER_INPUT: 'error.badInput',
  SOURCE_UNAVAILABLE: 'error.sourceUnavailable',
  ACCESS_LOG_UNAVAILABLE: 'error.tryLater',
  INTERNAL_ERROR: 'error.tryLater',
  HTTP_429: 'error.tooMany',
  HTTP_503: 'error.tryLater',
};

/**
 * @param {unknown} e
 * @returns {string}
 */
export function errorMessage(e) {
  if (e instanceof ApiError) {
    const key = KEYS[e.code];
    if (key) return t(key);
    console.warn('broker error', e.code, e.message);
    return t('error.generic', { code: e.code });
  }
  console.error(e);
  return t('error.generic', { code: 'CLIENT' });
}
