// @ts-check
// "Who used my data": the citizen's access-log entries, newest first, with filters by period and
// administration, pages by cursor, downloads, "I do not recognise this" on each entry, and each
// entry's tlog-proof checked in the browser (in the public log, cosigned by which witnesses).

import * as api from '../api.js';
import { announce, h, replace, showError } from '../dom.js';
import { openDialog } from '../dialog.js';
import { errorMessage } from '../errors.js';
import {
  formatDateTime,
  formatList,
  itemsInWords,
  lang,
  localized,
  luxembourgDayStart,
  reasonInWords,
  t,
  tParts,
} from '../i18n.js';
import { ensureRegisters, registerTitle } from '../registers.js';
import { verifyTlogProof } from '../tlog-verify.js';

export const PAGE_SIZE = 20;
/** The broker's requester id for the citizen's own looks at their data (channel `self`). */
const SELF = 'citizen';
const REPORT_MAX = 1000;

/**
 * @typedef {{ from: string, to: string, memberId: string }} Filters
 * @typedef {{ first?: number, after?: string | null, from?: string | null, to?: string | null,
 *   memberId?: string | null }} PageArgs
 * @typedef {{ status: 'checking' } | { status: 'pending' } | { status: 'unavailable' }
 *   | { status: 'checked', text: string, result: import('../tlog-verify.js').ProofResult }} ProofState
 */

const state = {
  /** @type {Filters} the filters in force */
  filters: { from: '', to: '', memberId: '' },
  /** @type {(string | null)[]} the `after` cursor of each page seen so far */
  cursors: [null],
  pageIndex: 0,
  /** @type {api.AccessLogConnection | null} */
  page: null,
  /** @type {api.MemberView[] | null} */
  members: null,
  /** @type {string} a problem with the filters, shown beside them */
  filterProblem: '',
  /** @type {Map<string, ProofState>} each shown entry's proof, by entry id */
  proofs: new Map(),
};

/** Counts the proof loads: the answer of an older one (the page changed since) is dropped. */
let proofRun = 0;

export function reset() {
  state.filters = { from: '', to: '', memberId: '' };
  state.cursors = [null];
  state.pageIndex = 0;
  state.page = null;
  state.members = null;
  state.filterProblem = '';
  state.proofs = new Map();
}

export const title = () => t('log.title');

/** @type {HTMLElement | null} */
let root = null;

/**
 * @param {HTMLElement} container
 * @param {boolean} fresh the citizen came to this view (reload), rather than changed language
 */
export async function mount(container, fresh) {
  root = container;
  if (fresh) {
    state.members = null;
    state.page = null;
    state.cursors = [null];
    state.pageIndex = 0;
  }
  render();
  // a change of language clears the alert: the warning about a proof that does not verify stays
  const page = state.page;
  if (page && failedProof(page.edges.map(({ node }) => state.proofs.get(node.id) ?? { status: 'checking' })))
    showError(t('proof.someFailed'));
  if (!state.members) void loadMembers();
  if (!page) await load();
}

async function loadMembers() {
  try {
    state.members = await api.myMembers();
    render();
  } catch (e) {
    showError(errorMessage(e));
  }
}

/** Loads the current page; `focusSummary` moves focus to the summary (after paging or filtering). */
async function load(focusSummary = false) {
  announce(t('status.loading'));
  showError('');
  const f = state.filters;
  /** @type {PageArgs} */
  const args = {
    first: PAGE_SIZE,
    after: state.cursors[state.pageIndex],
    from: f.from ? luxembourgDayStart(f.from).toISOString() : null,
    // `to` is exclusive at the broker: up to the start of the next day
    to: f.to ? luxembourgDayStart(nextDay(f.to)).toISOString() : null,
    memberId: f.memberId || null,
  };
  proofRun += 1;
  try {
    // with the registers' names (loaded once; without them the entries name registers by short name)
    [state.page] = await Promise.all([api.myAccessLog(args), ensureRegisters()]);
  } catch (e) {
    announce('');
    showError(errorMessage(e));
    return;
  }
  for (const { node } of state.page.edges) state.proofs.set(node.id, { status: 'checking' });
  render();
  announce(summaryText());
  // the proofs after the list: computing them takes the broker a few queries per entry
  void loadProofs(args, state.page);
  if (focusSummary)
    /** @type {HTMLElement | null} */ (root?.querySelector('#results-title') ?? null)?.focus();
}

/**
 * @param {string} day "YYYY-MM-DD"
 * @returns {string} the next day
 */
function nextDay(day) {
  const d = new Date(`${day}T12:00:00Z`);
  d.setUTCDate(d.getUTCDate() + 1);
  return d.toISOString().slice(0, 10);
}

function summaryText() {
  const page = state.page;
  if (!page) return '';
  if (!page.totalCount || !page.edges.length) {
    return hasFilters() ? t('log.emptyFiltered') : t('log.empty');
  }
  const first = state.pageIndex * PAGE_SIZE + 1;
  return t('log.summary', { first, last: first + page.edges.length - 1, total: page.totalCount });
}

function hasFilters() {
  const f = state.filters;
  return Boolean(f.from || f.to || f.memberId);
}

function render() {
  if (!root) return;
  replace(
    root,
    h('h1', { tabindex: '-1' }, t('log.title')),
    h('p', { class: 'lead' }, t('log.intro')),
    filtersForm(),
    results(),
    downloads(),
  );
}

// ---- filters ------------------------------------------------------------------------------------

function filtersForm() {
  const f = state.filters;
  const problemId = 'filter-problem';
  const invalid = state.filterProblem ? 'true' : null;
  const from = h('input', {
    type: 'date',
    id: 'filter-from',
    name: 'from',
    value: f.from,
    'aria-invalid': invalid,
    'aria-describedby': state.filterProblem ? problemId : null,
  });
  const to = h('input', {
    type: 'date',
    id: 'filter-to',
    name: 'to',
    value: f.to,
    'aria-invalid': invalid,
    'aria-describedby': state.filterProblem ? problemId : null,
  });
  const member = h(
    'select',
    { id: 'filter-member', name: 'memberId' },
    h('option', { value: '' }, t('filters.allMembers')),
    (state.members ?? []).map((m) =>
      h('option', { value: m.id, selected: m.id === f.memberId }, m.id === SELF ? t('channel.self') : m.name),
    ),
  );
  const form = h(
    'form',
    { class: 'filters', role: 'search', 'aria-labelledby': 'filters-title', novalidate: true },
    h('h2', { id: 'filters-title' }, t('filters.title')),
    h(
      'div',
      { class: 'filters__fields' },
      h('div', { class: 'field' }, h('label', { for: 'filter-from' }, t('filters.from')), from),
      h('div', { class: 'field' }, h('label', { for: 'filter-to' }, t('filters.to')), to),
      h('div', { class: 'field' }, h('label', { for: 'filter-member' }, t('filters.member')), member),
    ),
    state.filterProblem ? h('p', { id: problemId, class: 'field-problem' }, state.filterProblem) : null,
    h(
      'div',
      { class: 'filters__actions' },
      h('button', { type: 'submit', class: 'button' }, t('filters.apply')),
      h(
        'button',
        {
          type: 'button',
          class: 'button button--secondary',
          onclick: () => applyFilters({ from: '', to: '', memberId: '' }),
        },
        t('filters.clear'),
      ),
    ),
  );
  form.addEventListener('submit', (ev) => {
    ev.preventDefault();
    void applyFilters({ from: from.value, to: to.value, memberId: member.value });
  });
  return form;
}

/** @param {Filters} next */
async function applyFilters(next) {
  if (next.from && next.to && next.from > next.to) {
    state.filterProblem = t('filters.badPeriod');
    render();
    /** @type {HTMLElement | null} */ (root?.querySelector('#filter-from') ?? null)?.focus();
    return;
  }
  state.filterProblem = '';
  state.filters = next;
  state.cursors = [null];
  state.pageIndex = 0;
  await load(true);
}

// ---- the table ----------------------------------------------------------------------------------

function results() {
  const page = state.page;
  return h(
    'section',
    { class: 'results', 'aria-labelledby': 'results-title' },
    h('h2', { id: 'results-title', tabindex: '-1' }, t('log.resultsTitle')),
    h('p', { id: 'log-summary', class: 'summary' }, page ? summaryText() : t('status.loading')),
    page && page.edges.length ? h('p', { id: 'proof-intro', class: 'hint' }, t('proof.intro')) : null,
    page && page.edges.length ? table(page.edges.map((e) => e.node)) : null,
    page ? pager(page) : null,
  );
}

/** @param {api.AccessLogEntry[]} entries */
function table(entries) {
  const headers = [
    'col.when',
    'col.who',
    'col.why',
    'col.what',
    'col.consent',
    'col.outcome',
    'col.action',
    'col.proof',
  ];
  return h(
    'table',
    { class: 'log-table', role: 'table' },
    h('caption', {}, t('log.caption')),
    h(
      'thead',
      { role: 'rowgroup' },
      h(
        'tr',
        { role: 'row' },
        headers.map((key) => h('th', { scope: 'col', role: 'columnheader' }, t(key))),
      ),
    ),
    h('tbody', { role: 'rowgroup' }, entries.map(row)),
  );
}

/**
 * A safe id fragment for an entry.
 * @param {string} id
 */
const domId = (id) => `entry-${id.replace(/[^\w-]/g, '_')}`;

/** @param {api.AccessLogEntry} e */
function row(e) {
  const id = domId(e.id);
  /**
   * A cell with its column name for the narrow (stacked) layout.
   * @param {string} key
   * @param {...import('../dom.js').Child} content
   */
  const cell = (key, ...content) => h('td', { role: 'cell', 'data-label': t(key) }, ...content);
  const purpose = e.purpose ? localized(e.purpose.labels, e.purpose.code) : null;
  const refused = e.outcome !== 'DISCLOSED';
  return h(
    'tr',
    { role: 'row', id },
    h(
      'th',
      { scope: 'row', role: 'rowheader', id: `${id}-when`, 'data-label': t('col.when') },
      h('time', { datetime: e.occurredAt }, formatDateTime(e.occurredAt)),
    ),
    cell('col.who', h('span', { id: `${id}-who` }, who(e)), channelNote(e)),
    cell(
      'col.why',
      purpose
        ? h('span', { lang: purpose.lang }, purpose.text)
        : h('span', { class: 'muted' }, t('purpose.none')),
    ),
    cell('col.what', what(e)),
    cell('col.consent', consent(e)),
    cell(
      'col.outcome',
      refused
        ? h(
            'span',
            { class: 'outcome outcome--refused' },
            h('span', { class: 'outcome__icon', 'aria-hidden': 'true' }, '✕'),
            ' ',
            h('strong', {}, t('outcome.REFUSED')),
            h('br'),
            t('outcome.reason', { reason: reasonInWords(e.reasonCode) }),
          )
        : h(
            'span',
            { class: 'outcome outcome--disclosed' },
            h('span', { class: 'outcome__icon', 'aria-hidden': 'true' }, '✓'),
            ' ',
            h('strong', {}, t('outcome.DISCLOSED')),
          ),
    ),
    cell('col.action', action(e)),
    h('td', { role: 'cell', 'data-label': t('col.proof'), id: `${id}-proof` }, proofContent(e)),
  );
}

/**
 * Which data, register by register: what each register gave ("name, birth — National Register
 * of Natural Persons (RNPP)"), what it did not deliver, or, for a refusal, what was asked of which
 * register. An entry that read no register (an auditor's check) lists its items only.
 * @param {api.AccessLogEntry} e
 */
function what(e) {
  const refused = e.outcome !== 'DISCLOSED';
  if (!e.sources?.length) {
    return refused
      ? [t('items.asked', { items: itemsInWords(e.itemsRequested) }), h('br'), t('items.nothingGiven')]
      : itemsInWords(e.itemsDisclosed);
  }
  /** @param {string} source */
  const register = (source) => {
    const title = registerTitle(source);
    return h('span', { class: 'register', lang: title.lang }, title.text);
  };
  /** @type {HTMLLIElement[]} */
  const lines = [];
  for (const s of e.sources) {
    const failed = new Set(s.failedItems);
    const given = refused ? s.items : s.items.filter((i) => !failed.has(i));
    if (refused || given.length || !failed.size) {
      lines.push(
        h('li', {}, tParts('items.fromSource', { items: itemsInWords(given), source: register(s.source) })),
      );
    }
    if (!refused && failed.size) {
      lines.push(
        h(
          'li',
          { class: 'not-delivered' },
          h('span', { 'aria-hidden': 'true' }, '⚠ '),
          tParts('items.notDelivered', { items: itemsInWords(s.failedItems), source: register(s.source) }),
        ),
      );
    }
  }
  const list = h('ul', { class: 'plain-list sources' }, lines);
  return refused ? [t('items.askedFrom'), list, t('items.nothingGiven')] : list;
}

/** @param {api.AccessLogEntry} e */
function who(e) {
  return e.channel === 'self' ? t('channel.self') : e.member.name;
}

/** @param {api.AccessLogEntry} e */
function channelNote(e) {
  if (e.channel === 'async') return h('span', { class: 'note' }, t('channel.async'));
  if (e.channel === 'audit') return h('span', { class: 'note' }, t('channel.audit'));
  return null;
}

/** @param {api.AccessLogEntry} e */
function consent(e) {
  if (!e.consentJti) return h('span', { class: 'muted' }, t('consent.none'));
  const short = e.consentJti.length > 10 ? `${e.consentJti.slice(0, 8)}…` : e.consentJti;
  return [
    h('code', { class: 'jti', title: e.consentJti }, short),
    e.consentIssuer ? [h('br'), t('consent.from', { issuer: e.consentIssuer })] : null,
  ];
}

/** @param {api.AccessLogEntry} e */
function action(e) {
  if (e.reported) return reportedMark(e);
  if (e.channel === 'self') return h('span', { class: 'muted' }, t('report.notNeeded'));
  const id = domId(e.id);
  return h(
    'button',
    {
      type: 'button',
      class: 'button button--small button--secondary',
      'aria-describedby': `${id}-when ${id}-who`,
      onclick: () => void report(e),
    },
    t('report.button'),
  );
}

/** @param {api.AccessLogEntry} e */
function reportedMark(e) {
  return h(
    'span',
    { class: 'reported', id: `${domId(e.id)}-reported`, tabindex: '-1' },
    h('span', { 'aria-hidden': 'true' }, '⚑ '),
    t('report.done'),
  );
}

/** @param {api.AccessLogEntry} e */
async function report(e) {
  const textarea = h('textarea', {
    id: 'report-text',
    name: 'text',
    rows: 5,
    maxlength: REPORT_MAX,
    required: true,
    'aria-describedby': 'report-hint report-count',
  });
  const count = h('p', { id: 'report-count', class: 'hint' }, t('report.left', { n: REPORT_MAX }));
  const problem = h('p', { id: 'report-problem', class: 'field-problem', role: 'alert' });
  textarea.addEventListener('input', () => {
    count.textContent = t('report.left', { n: REPORT_MAX - textarea.value.length });
  });
  const done = await openDialog({
    title: t('report.title'),
    body: [
      h('p', {}, t('report.which', { when: formatDateTime(e.occurredAt), who: who(e) })),
      h('p', {}, t('report.intro')),
      h('div', { class: 'field' }, h('label', { for: 'report-text' }, t('report.label')), textarea),
      h('p', { id: 'report-hint', class: 'hint' }, t('report.hint', { max: REPORT_MAX })),
      count,
      problem,
    ],
    confirmLabel: t('report.send'),
    cancelLabel: t('dialog.cancel'),
    initialFocus: textarea,
    async onConfirm() {
      const text = textarea.value.trim();
      if (!text) {
        problem.textContent = t('report.empty');
        textarea.setAttribute('aria-invalid', 'true');
        textarea.focus();
        return false;
      }
      try {
        await api.reportAccess(e.id, text);
        return true;
      } catch (err) {
        problem.textContent = errorMessage(err);
        return false;
      }
    },
  });
  if (!done) return;
  e.reported = true;
  render();
  announce(t('report.sent'));
  /** @type {HTMLElement | null} */ (root?.querySelector(`#${domId(e.id)}-reported`) ?? null)?.focus();
}

// ---- proofs: is the entry in the public log? -----------------------------------------------------

/**
 * How long to wait before asking again for the proofs still open (not yet in a published
 * checkpoint, or not fetched), attempt after attempt; then the cells stay as they are until the
 * citizen reloads. Publication usually takes a second or two.
 */
const PROOF_RETRY_MS = [1000, 2000, 3000, 5000, 8000, 13000, 20000, 30000];

/** @param {string} id */
const isOpen = (id) => state.proofs.get(id)?.status !== 'checked';

/**
 * Whether the view shows this page: the run is the latest, the page is the one in the state, and
 * its proof cells are in the document (not another view in the same container).
 * @param {number} run
 * @param {api.AccessLogConnection} page
 */
function showing(run, page) {
  return (
    run === proofRun &&
    state.page === page &&
    page.edges.some(({ node }) => Boolean(root?.querySelector(`#${domId(node.id)}-proof`)))
  );
}

/**
 * Fetches the tlog-proofs of the page shown (same page arguments), verifies each against the keys
 * of GET /log/witnesses and updates the proof cells in place (no re-render: focus and typed
 * filters stay as they are). Entries whose proof is not published yet (or could not be fetched)
 * are asked for again, after a while, as long as the view shows this page; cells already checked
 * are not touched again. A change of language re-renders the cells from the state kept here.
 * @param {PageArgs} args
 * @param {api.AccessLogConnection} page
 * @param {number} [attempt] 0 for the first check, then the retries
 */
async function loadProofs(args, page, attempt = 0) {
  const run = proofRun;
  const entries = page.edges.map((e) => e.node).filter((e) => isOpen(e.id));
  /** @type {Map<string, ProofState>} */
  const found = new Map();
  try {
    const [trust, nodes] = await Promise.all([api.logTrust(), api.myAccessLogProofs(args)]);
    const texts = new Map(nodes.map((n) => [n.id, n.proof]));
    await Promise.all(
      entries.map(async (e) => {
        const text = texts.get(e.id);
        // an entry missing from the second answer (the log grew in between) is left unchecked
        if (text === undefined) return found.set(e.id, { status: 'unavailable' });
        if (text === null) return found.set(e.id, { status: 'pending' });
        const result = await verifyTlogProof(text, trust, {
          id: e.id,
          occurredAt: e.occurredAt,
          outcome: e.outcome,
          memberId: e.member.id,
          consentJti: e.consentJti,
        });
        return found.set(e.id, { status: 'checked', text, result });
      }),
    );
  } catch {
    // a retry that fails leaves the cells as they were ("not yet published" stays so)
    if (attempt === 0) for (const e of entries) found.set(e.id, { status: 'unavailable' });
  }
  if (run !== proofRun || state.page !== page) return;
  for (const e of entries) {
    const next = found.get(e.id);
    if (!next) continue;
    const before = state.proofs.get(e.id);
    state.proofs.set(e.id, next);
    if (attempt > 0 && before?.status === next.status && next.status !== 'checked') continue;
    const cell = root?.querySelector(`#${domId(e.id)}-proof`);
    if (cell) replace(cell, proofContent(e));
  }
  if (!showing(run, page)) return;
  if (failedProof(found.values())) showError(t('proof.someFailed'));
  if (attempt < PROOF_RETRY_MS.length && page.edges.some(({ node }) => isOpen(node.id))) {
    window.setTimeout(() => {
      if (showing(run, page)) void loadProofs(args, page, attempt + 1);
    }, PROOF_RETRY_MS[attempt]);
  }
}

/**
 * Whether one of these proofs was checked and does not verify.
 * @param {Iterable<ProofState>} proofs
 */
function failedProof(proofs) {
  return [...proofs].some((p) => p.status === 'checked' && !p.result.ok && p.result.code !== 'UNSUPPORTED');
}

/**
 * The proof cell: what the check found, in words, with a symbol (never colour alone), and the proof
 * to download.
 * @param {api.AccessLogEntry} e
 */
function proofContent(e) {
  const proof = state.proofs.get(e.id) ?? { status: 'checking' };
  if (proof.status === 'checking') return h('span', { class: 'muted' }, t('proof.checking'));
  if (proof.status === 'pending') return h('span', { class: 'proof proof--pending' }, t('proof.pending'));
  if (proof.status === 'unavailable') return h('span', { class: 'muted' }, t('proof.unavailable'));
  const { result, text } = proof;
  /** @type {import('../dom.js').Child} */
  let verdict;
  if (result.ok) {
    const n = (result.index ?? 0) + 1;
    const size = result.size ?? 0;
    const key = !result.witnesses.length
      ? 'proof.okNoWitness'
      : result.witnesses.length === 1
        ? 'proof.okOne'
        : 'proof.okMany';
    verdict = h(
      'span',
      { class: 'proof proof--ok' },
      h('span', { class: 'outcome__icon', 'aria-hidden': 'true' }, '✓'),
      ' ',
      t(key, { n, size, witnesses: formatList(result.witnesses) }),
    );
  } else if (result.code === 'UNSUPPORTED') {
    verdict = h('span', { class: 'muted' }, t('proof.unsupported'));
  } else {
    verdict = h(
      'span',
      { class: 'proof proof--failed' },
      h('span', { class: 'outcome__icon', 'aria-hidden': 'true' }, '✕'),
      ' ',
      h('strong', {}, t('proof.failed', { reason: t(`proof.reason.${result.code}`) })),
    );
  }
  const id = domId(e.id);
  return [
    verdict,
    h('br'),
    h(
      'button',
      {
        type: 'button',
        class: 'button button--small button--secondary proof__download',
        'aria-describedby': `${id}-when ${id}-who`,
        onclick: () => downloadProof(e, text, result),
      },
      t('proof.download'),
    ),
  ];
}

/**
 * Saves the proof as `<correlation id>.tlog-proof` (the entry's, from a proof that verified), else
 * `entry-<id>.tlog-proof`: the file `npm run cli -- proof verify` and other tlog-proof tools read.
 * @param {api.AccessLogEntry} e
 * @param {string} text
 * @param {import('../tlog-verify.js').ProofResult} result
 */
function downloadProof(e, text, result) {
  const correlation = result.ok ? result.entry?.correlationId : undefined;
  const name =
    typeof correlation === 'string' && /^[\w.-]{1,100}$/.test(correlation) && !correlation.startsWith('.')
      ? correlation
      : `entry-${e.id.replace(/[^\w-]/g, '_')}`;
  const url = URL.createObjectURL(new Blob([text], { type: 'text/plain' }));
  const link = h('a', { href: url, download: `${name}.tlog-proof`, hidden: true });
  document.body.append(link);
  link.click();
  link.remove();
  window.setTimeout(() => URL.revokeObjectURL(url), 10_000);
}

// ---- pages and downloads -----------------------------------------------------------------------

/** @param {api.AccessLogConnection} page */
function pager(page) {
  const hasPrevious = state.pageIndex > 0;
  const hasNext = page.pageInfo.hasNextPage && Boolean(page.pageInfo.endCursor);
  if (!hasPrevious && !hasNext) return null;
  return h(
    'nav',
    { class: 'pager', 'aria-label': t('pager.label') },
    hasPrevious
      ? h(
          'button',
          {
            type: 'button',
            class: 'button button--secondary',
            onclick: () => void goTo(state.pageIndex - 1),
          },
          h('span', { 'aria-hidden': 'true' }, '← '),
          t('pager.previous'),
        )
      : null,
    hasNext
      ? h(
          'button',
          {
            type: 'button',
            class: 'button button--secondary',
            onclick: () => {
              state.cursors[state.pageIndex + 1] = page.pageInfo.endCursor;
              void goTo(state.pageIndex + 1);
            },
          },
          t('pager.next'),
          h('span', { 'aria-hidden': 'true' }, ' →'),
        )
      : null,
  );
}

/** @param {number} index */
async function goTo(index) {
  state.pageIndex = index;
  await load(true);
}

function downloads() {
  return h(
    'section',
    { class: 'panel', 'aria-labelledby': 'download-title' },
    h('h2', { id: 'download-title' }, t('download.title')),
    h('p', {}, t('download.intro')),
    h(
      'ul',
      { class: 'downloads' },
      // plain links: the HttpOnly cookie authenticates them, the broker names the files
      h('li', {}, h('a', { href: `/me/access-log.csv?lang=${lang()}`, download: true }, t('download.csv'))),
      h('li', {}, h('a', { href: '/me/access-log.json', download: true }, t('download.json'))),
    ),
  );
}
