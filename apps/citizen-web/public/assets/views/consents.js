// @ts-check
// "My consents": the consents about the citizen that the broker has seen, and a way to withdraw
// one. A withdrawn consent is refused from then on (CONSENT_REVOKED).

import * as api from '../api.js';
import { announce, h, replace, showError } from '../dom.js';
import { openDialog } from '../dialog.js';
import { errorMessage } from '../errors.js';
import { formatDate, formatDateTime, has, itemsInWords, localized, t } from '../i18n.js';

/** @type {{ consents: api.ConsentView[] | null }} */
const state = { consents: null };

export function reset() {
  state.consents = null;
}

export const title = () => t('consents.title');

/** @type {HTMLElement | null} */
let root = null;

/**
 * @param {HTMLElement} container
 * @param {boolean} fresh the citizen came to this view (reload), rather than changed language
 */
export async function mount(container, fresh) {
  root = container;
  if (fresh) state.consents = null;
  render();
  if (state.consents) return;
  announce(t('status.loading'));
  showError('');
  try {
    state.consents = await api.myConsents();
  } catch (e) {
    announce('');
    showError(errorMessage(e));
    return;
  }
  render();
  announce(t('consents.count', { count: state.consents.length }));
}

function render() {
  if (!root) return;
  const consents = state.consents;
  replace(
    root,
    h('h1', { tabindex: '-1' }, t('consents.title')),
    h('p', { class: 'lead' }, t('consents.intro')),
    consents === null
      ? h('p', {}, t('status.loading'))
      : consents.length
        ? h('ul', { class: 'cards' }, consents.map(card))
        : h('p', {}, t('consents.empty')),
  );
}

/** @param {string} jti */
const domId = (jti) => `consent-${jti.replace(/[^\w-]/g, '_')}`;

/** @param {api.ConsentView} c */
function card(c) {
  const id = domId(c.jti);
  const purpose = localized(c.purpose.labels, c.purpose.code);
  const active = c.status === 'ACTIVE';
  /**
   * @param {string} key
   * @param {import('../dom.js').Child | import('../dom.js').Child[]} value
   */
  const row = (key, value) => h('div', { class: 'record__row' }, h('dt', {}, t(key)), h('dd', {}, value));
  return h(
    'li',
    { class: 'card', id },
    h(
      'h2',
      { id: `${id}-title`, class: 'card__title', tabindex: '-1' },
      h('span', { lang: purpose.lang }, purpose.text),
    ),
    h(
      'dl',
      { class: 'record' },
      row('consent.member', c.member.name),
      row('consent.items', itemsInWords(c.scope)),
      row(
        'consent.valid',
        t('consent.period', { from: formatDate(c.issuedAt), to: formatDate(c.expiresAt) }),
      ),
      row('consent.status', status(c)),
      row('consent.lastUsed', c.lastUsedAt ? formatDateTime(c.lastUsedAt) : t('consent.neverUsed')),
      row('consent.issuer', c.issuer),
      row('consent.id', h('code', { class: 'jti' }, c.jti)),
    ),
    active
      ? h(
          'button',
          {
            type: 'button',
            class: 'button button--danger',
            'aria-describedby': `${id}-title`,
            onclick: () => void withdraw(c),
          },
          t('consent.withdraw'),
        )
      : null,
  );
}

/** @param {api.ConsentView} c */
function status(c) {
  const word = has(`status.${c.status}`) ? t(`status.${c.status}`) : c.status;
  const marker = { ACTIVE: '●', WITHDRAWN: '✕', EXPIRED: '◌', REVOKED: '✕' }[c.status] ?? '•';
  return h(
    'span',
    { class: `status-tag status-tag--${c.status.toLowerCase()}` },
    h('span', { 'aria-hidden': 'true' }, `${marker} `),
    word,
    c.withdrawnAt ? [' ', t('consent.withdrawnAt', { when: formatDateTime(c.withdrawnAt) })] : null,
  );
}

/** @param {api.ConsentView} c */
async function withdraw(c) {
  const purpose = localized(c.purpose.labels, c.purpose.code).text;
  const done = await openDialog({
    title: t('withdraw.title'),
    body: [
      h('p', {}, t('withdraw.text', { member: c.member.name, purpose })),
      h('p', {}, t('withdraw.final')),
    ],
    confirmLabel: t('withdraw.confirm'),
    cancelLabel: t('withdraw.cancel'),
    danger: true,
    async onConfirm() {
      try {
        const updated = await api.withdrawConsent(c.jti);
        state.consents = (state.consents ?? []).map((x) => (x.jti === c.jti ? updated : x));
        return true;
      } catch (e) {
        showError(errorMessage(e));
        return true;
      }
    },
  });
  if (!done) return;
  render();
  const updated = state.consents?.find((x) => x.jti === c.jti);
  if (updated && updated.status !== 'ACTIVE') announce(t('withdraw.done'));
  /** @type {HTMLElement | null} */ (root?.querySelector(`#${domId(c.jti)}-title`) ?? null)?.focus();
}
