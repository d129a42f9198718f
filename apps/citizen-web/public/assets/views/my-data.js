// @ts-check
// "My data": the citizen's own record in the national register, read through the broker.
// Reading it is logged like any other access, so the page asks first and says so.

import * as api from '../api.js';
import { announce, h, replace, showError } from '../dom.js';
import { errorMessage } from '../errors.js';
import { countryName, formatList, formatRegisterDate, has, t } from '../i18n.js';

/** @type {{ person: api.Person | null }} */
const state = { person: null };

export function reset() {
  state.person = null;
}

export const title = () => t('data.title');

/** @type {HTMLElement | null} */
let root = null;

/** @param {HTMLElement} container */
export function mount(container) {
  root = container;
  render();
}

function render() {
  if (!root) return;
  replace(
    root,
    h('h1', { tabindex: '-1' }, t('data.title')),
    h('p', { class: 'lead' }, t('data.intro')),
    h(
      'div',
      { class: 'notice', id: 'data-logged' },
      h('span', { class: 'notice__icon', 'aria-hidden': 'true' }, 'i'),
      h('p', {}, t('data.logged')),
    ),
    state.person ? record(state.person) : showButton(),
  );
}

function showButton() {
  const button = h(
    'button',
    { type: 'button', class: 'button', 'aria-describedby': 'data-logged' },
    t('data.show'),
  );
  button.addEventListener('click', async () => {
    button.disabled = true;
    showError('');
    announce(t('status.loading'));
    try {
      state.person = await api.myData();
    } catch (e) {
      announce('');
      showError(errorMessage(e));
      button.disabled = false;
      return;
    }
    render();
    announce(t('data.shown'));
    /** @type {HTMLElement | null} */ (root?.querySelector('#record-title') ?? null)?.focus();
  });
  return h('p', {}, button);
}

/** @param {api.Person} p */
function record(p) {
  const none = () => h('span', { class: 'muted' }, t('data.none'));
  /**
   * @param {string | null | undefined} value
   * @param {string} prefix translation key prefix of enumerated values
   */
  const word = (value, prefix) =>
    !value ? none() : has(`${prefix}.${value}`) ? t(`${prefix}.${value}`) : value;
  /** @param {{ matricule: string }[] | null | undefined} list */
  const relatives = (list) =>
    list && list.length
      ? h(
          'ul',
          { class: 'plain-list' },
          list.map((r) => h('li', {}, t('data.relative', { matricule: r.matricule }))),
        )
      : none();
  const place = p.birthPlace
    ? [p.birthPlace.locality, countryName(p.birthPlace.country)].filter(Boolean).join(', ')
    : '';
  /** @type {[string, import('../dom.js').Child | import('../dom.js').Child[]][]} */
  const rows = [
    ['data.matricule', p.matricule],
    ['data.surname', p.surname || none()],
    ['data.givenNames', p.givenNames?.length ? p.givenNames.join(' ') : none()],
    ['data.birthDate', p.birthDate ? formatRegisterDate(p.birthDate) : none()],
    ['data.birthPlace', place || none()],
    ['data.sex', word(p.sex, 'sex')],
    [
      'data.nationalities',
      p.nationalities?.length ? formatList(p.nationalities.map((c) => countryName(c))) : none(),
    ],
    ['data.civilStatus', word(p.civilStatus, 'civil')],
    ['data.address', address(p.address) ?? none()],
    ['data.parents', relatives(p.parents)],
    ['data.children', relatives(p.children)],
  ];
  return h(
    'section',
    { class: 'panel', 'aria-labelledby': 'record-title' },
    h('h2', { id: 'record-title', tabindex: '-1' }, t('data.recordTitle')),
    h(
      'dl',
      { class: 'record' },
      rows.map(([key, value]) => h('div', { class: 'record__row' }, h('dt', {}, t(key)), h('dd', {}, value))),
    ),
    h('p', { class: 'hint' }, t('data.wrong')),
  );
}

/** @param {api.Person['address']} a */
function address(a) {
  if (!a) return null;
  const street = [a.houseNumber, a.street].filter(Boolean).join(', ');
  const town = [a.postalCode, a.locality].filter(Boolean).join(' ');
  const lines = [
    street,
    town,
    a.commune && a.commune !== a.locality ? t('data.commune', { commune: a.commune }) : '',
    countryName(a.country),
  ].filter(Boolean);
  if (!lines.length) return null;
  return lines.flatMap((line, i) => (i ? [h('br'), line] : [line]));
}
