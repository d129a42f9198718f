// @ts-check
// "My data": the citizen's own data in every register behind the broker, read through it, one
// section per register in the catalogue's order, named as the catalogue names it. Reading it is
// logged like any other access, so the page asks first and says so. A register that does not
// answer is shown as such; the others' data is still there.

import * as api from '../api.js';
import { announce, h, replace, showError } from '../dom.js';
import { errorMessage } from '../errors.js';
import { countryName, formatList, formatRegisterDate, has, itemsInWords, t } from '../i18n.js';
import { ensureRegisters, registerTitle, registers } from '../registers.js';

/** @typedef {import('../dom.js').Child} Child */

/** @type {{ data: api.OwnData | null }} */
const state = { data: null };

export function reset() {
  state.data = null;
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
    state.data ? record(state.data) : showButton(),
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
      [state.data] = await Promise.all([api.myData(), ensureRegisters()]);
    } catch (e) {
      announce('');
      showError(errorMessage(e));
      button.disabled = false;
      return;
    }
    render();
    announce(state.data.failedSources.length ? t('data.partial') : t('data.shown'));
    /** @type {HTMLElement | null} */ (root?.querySelector('#record-title') ?? null)?.focus();
  });
  return h('p', {}, button);
}

const none = () => h('span', { class: 'muted' }, t('data.none'));

/**
 * A value of an enumeration in words, or the value itself when the page has no words for it.
 * @param {string | null | undefined} value
 * @param {string} prefix translation key prefix of the enumeration
 */
const word = (value, prefix) =>
  !value ? none() : has(`${prefix}.${value}`) ? t(`${prefix}.${value}`) : value;

/**
 * How the page shows each data item it knows: rows of a description list, or a table of its own.
 * An item of a register the page does not know yet is named instead (see `register`).
 * @type {Record<string, (p: api.Person) => { rows: [string, Child][] } | { table: HTMLElement }>}
 */
const ITEMS = {
  name: (p) => ({
    rows: [
      ['data.surname', p.surname || none()],
      ['data.givenNames', p.givenNames?.length ? p.givenNames.join(' ') : none()],
    ],
  }),
  birth: (p) => {
    const place = p.birthPlace
      ? [p.birthPlace.locality, countryName(p.birthPlace.country)].filter(Boolean).join(', ')
      : '';
    return {
      rows: [
        ['data.birthDate', p.birthDate ? formatRegisterDate(p.birthDate) : none()],
        ['data.birthPlace', place || none()],
      ],
    };
  },
  sex: (p) => ({ rows: [['data.sex', word(p.sex, 'sex')]] }),
  nationality: (p) => ({
    rows: [
      [
        'data.nationalities',
        p.nationalities?.length ? formatList(p.nationalities.map((c) => countryName(c))) : none(),
      ],
    ],
  }),
  address: (p) => ({ rows: [['data.address', address(p.address) ?? none()]] }),
  civilStatus: (p) => ({ rows: [['data.civilStatus', word(p.civilStatus, 'civil')]] }),
  filiation: (p) => ({
    rows: [
      ['data.parents', relatives(p.parents)],
      ['data.children', relatives(p.children)],
    ],
  }),
  affiliation: (p) => ({
    table: table(
      'affiliations',
      'data.affiliations',
      ['data.status', 'data.employer', 'data.start', 'data.end'],
      (p.affiliations ?? []).map((a) => [
        word(a.status, 'affiliationStatus'),
        [
          a.employerName,
          h('span', { class: 'note' }, t('data.employerNumber', { number: a.employerNumber })),
        ],
        formatRegisterDate(a.startDate),
        a.endDate ? formatRegisterDate(a.endDate) : h('span', { class: 'muted' }, t('data.ongoing')),
      ]),
    ),
  }),
  businessRoles: (p) => ({
    table: table(
      'business-roles',
      'data.businessRoles',
      ['data.company', 'data.rcsNumber', 'data.role', 'data.since'],
      (p.businessRoles ?? []).map((r) => [
        r.companyName,
        r.rcsNumber,
        word(r.role, 'businessRole'),
        formatRegisterDate(r.since),
      ]),
    ),
  }),
};

/** @param {api.OwnData} data */
function record({ person, failedSources }) {
  const failed = new Set(failedSources);
  const sources = registers().length
    ? registers()
    : // the catalogue did not load: one section per register that answered or failed, by short name
      [{ name: '', titles: {}, items: Object.keys(ITEMS) }];
  return h(
    'section',
    { class: 'panel', 'aria-labelledby': 'record-title' },
    h('h2', { id: 'record-title', tabindex: '-1' }, t('data.recordTitle')),
    failed.size ? h('p', { class: 'field-problem', id: 'data-partial' }, t('data.partial')) : null,
    h(
      'dl',
      { class: 'record' },
      h('div', { class: 'record__row' }, h('dt', {}, t('data.matricule')), h('dd', {}, person.matricule)),
    ),
    sources.map((s) => register(s, person, failed.has(s.name))),
    h('p', { class: 'hint' }, t('data.wrong')),
  );
}

/**
 * One register's section: its name as a heading, then its items (rows together, tables apart).
 * @param {api.SourceView} source
 * @param {api.Person} person
 * @param {boolean} failed the register did not answer
 */
function register(source, person, failed) {
  const id = `register-${source.name || 'all'}`;
  const name = source.name ? registerTitle(source.name) : { text: t('data.recordTitle'), lang: null };
  /** @type {Child[]} */
  const blocks = [];
  if (failed) {
    blocks.push(
      h(
        'p',
        { class: 'register-failed' },
        h('span', { 'aria-hidden': 'true' }, '⚠ '),
        t('data.sourceFailed'),
      ),
    );
  } else {
    /** @type {[string, Child][]} */
    let rows = [];
    const flush = () => {
      if (rows.length)
        blocks.push(
          h(
            'dl',
            { class: 'record' },
            rows.map(([k, v]) => row(k, v)),
          ),
        );
      rows = [];
    };
    for (const item of source.items) {
      const shown = ITEMS[item]?.(person);
      if (!shown) continue;
      if ('rows' in shown) rows.push(...shown.rows);
      else {
        flush();
        blocks.push(shown.table);
      }
    }
    flush();
    const unknown = source.items.filter((i) => !(i in ITEMS));
    if (!blocks.length && unknown.length)
      blocks.push(h('p', { class: 'muted' }, t('data.notShown', { items: itemsInWords(unknown) })));
  }
  return h(
    'section',
    { class: 'register-data', id, 'aria-labelledby': `${id}-title` },
    h('h3', { id: `${id}-title`, lang: name.lang }, name.text),
    blocks,
  );
}

/**
 * @param {string} key
 * @param {Child} value
 */
function row(key, value) {
  return h('div', { class: 'record__row' }, h('dt', {}, t(key)), h('dd', {}, value));
}

/**
 * A table of a register's list (affiliations, roles), or the list's name with "None" when it is empty.
 * @param {string} id
 * @param {string} caption translation key of the list's name
 * @param {string[]} headers translation keys of the columns
 * @param {Child[][]} cells
 */
function table(id, caption, headers, cells) {
  if (!cells.length) return h('dl', { class: 'record', id }, row(caption, none()));
  return h(
    'table',
    { class: 'data-table', id, role: 'table' },
    h('caption', {}, t(caption)),
    h(
      'thead',
      { role: 'rowgroup' },
      h(
        'tr',
        { role: 'row' },
        headers.map((key) => h('th', { scope: 'col', role: 'columnheader' }, t(key))),
      ),
    ),
    h(
      'tbody',
      { role: 'rowgroup' },
      cells.map((values) =>
        h(
          'tr',
          { role: 'row' },
          values.map((v, i) => h('td', { role: 'cell', 'data-label': t(headers[i]) }, v)),
        ),
      ),
    ),
  );
}

/** @param {{ matricule: string }[] | null | undefined} list */
function relatives(list) {
  return list && list.length
    ? h(
        'ul',
        { class: 'plain-list' },
        list.map((r) => h('li', {}, t('data.relative', { matricule: r.matricule }))),
      )
    : none();
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
