/**
 * The citizen page (GET /me) in a real browser: Debian's Chromium driven by playwright-core,
 * against a real gateway (development mode, demo sign-in) over a fresh PostgreSQL database and
 * the RNPP, CCSS and RCS simulators. Member requests are made in the test with real signatures; axe-core checks
 * every view (WCAG 2.1 A and AA rules) in all four languages; screenshots go to a temporary folder,
 * or to docs/screenshots with `npm run screenshots` (SCREENSHOTS_DIR). A real witness (apps/witness,
 * in-process) cosigns the transparency log's checkpoints: the page checks each entry's tlog-proof
 * with WebCrypto, and a tampered proof (changed in flight) is shown as not verifying.
 *
 * Needs Chromium at /usr/bin/chromium (apt-get install chromium) or CHROMIUM_PATH.
 */
import { randomUUID } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { parse as parseCsv } from 'csv-parse/sync';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';
import { request } from 'undici';
import { SOURCE_REGISTRY, type DataItem } from '@broker/data-items';
import { GRANTED_PURPOSE, OTHER_PURPOSE, mintConsent, mintMemberAssertion } from '@broker/testing';
import { verifyTlogProof } from '@broker/transparency';
import { readWitnessConfig } from '../../apps/witness/src/witness-config';
import { startWitness, type RunningWitness } from '../../apps/witness/src/witness-process';
import {
  codes,
  gql,
  personQuery,
  startSimulator,
  startTestBroker,
  type TestBroker,
  type TestSimulator,
} from '../support/test-broker';
import { startCitizenRegisters, type CitizenRegisters } from '../support/citizen-registers';

const ROOT = path.resolve(__dirname, '..', '..');
// `npm test` leaves the work tree clean: the documentation's screenshots change only when asked
// (`npm run screenshots` sets SCREENSHOTS_DIR=docs/screenshots)
const SHOTS = process.env.SCREENSHOTS_DIR
  ? path.resolve(ROOT, process.env.SCREENSHOTS_DIR)
  : path.join(tmpdir(), 'broker-citizen-page-screenshots');
const I18N_DIR = path.join(ROOT, 'apps', 'citizen-web', 'public', 'assets', 'i18n');
const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const AXE_SOURCE = readFileSync(require.resolve('axe-core/axe.min.js'), 'utf8');
const AXE_TAGS = ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa'];
const PAGE_SIZE = 20;
const WITNESS_NAME = 'witness.browser.test/w1';
/** The "My data" panel, once shown. */
const RECORD = 'section[aria-labelledby="record-title"]';

type Lang = 'en' | 'fr' | 'de' | 'lb';
const LANGS: Lang[] = ['en', 'fr', 'de', 'lb'];
const I18N = Object.fromEntries(
  LANGS.map((l) => [l, JSON.parse(readFileSync(path.join(I18N_DIR, `${l}.json`), 'utf8'))]),
) as Record<Lang, Record<string, string>>;

const PURPOSES = [
  {
    code: GRANTED_PURPOSE,
    labels: {
      en: 'Checking your right to a test benefit',
      fr: 'Vérifier votre droit à une aide de test',
      de: 'Ihren Anspruch auf eine Testleistung prüfen',
      lb: 'Ären Usproch op eng Testleeschtung iwwerpréiwen',
    },
  },
  {
    code: OTHER_PURPOSE,
    labels: {
      en: 'Updating your file',
      fr: 'Mettre votre dossier à jour',
      de: 'Ihre Akte aktualisieren',
      lb: 'Ären Dossier aktualiséieren',
    },
  },
];

/** A register's name in words, as the catalogue gives it. */
function registerTitle(source: string, lang: Lang): string {
  return SOURCE_REGISTRY.source(source)!.titles[lang];
}

/** A translated string, as the page shows it. */
function tr(lang: Lang, key: string, params: Record<string, string | number> = {}): string {
  const template = I18N[lang][key];
  if (template === undefined) throw new Error(`no ${lang}.${key}`);
  return template.replace(/\{(\w+)\}/g, (_, name: string) => String(params[name]));
}

/** "YYYY-MM-DD" in Luxembourg, `days` from today. */
function luxDay(days = 0): string {
  return new Intl.DateTimeFormat('en-CA', { timeZone: 'Europe/Luxembourg' }).format(
    new Date(Date.now() + days * 86_400_000),
  );
}

// Functions passed to page.evaluate run in the browser; the project is type-checked without
// lib.dom, so the little of the DOM they use is declared here (module scope only).
interface PageElement {
  id: string;
  className: string;
  textContent: string | null;
  closest(selector: string): PageElement | null;
}
interface PageStorage {
  getItem(key: string): string | null;
  setItem(key: string, value: string): void;
}
declare const document: {
  activeElement: PageElement | null;
  documentElement: { scrollWidth: number };
  querySelector(selector: string): PageElement | null;
  querySelectorAll(selector: string): ArrayLike<PageElement>;
};
declare const window: unknown;
declare const sessionStorage: PageStorage;
declare const localStorage: PageStorage;

interface AxeViolation {
  id: string;
  impact: string | null;
  help: string;
  nodes: string[];
}

// a browser test drives many steps: more than jest's default 5 s each
jest.setTimeout(60_000);

describe('citizen page in Chromium (demo sign-in, real gateway)', () => {
  let sim: TestSimulator;
  let registers: CitizenRegisters;
  let broker: TestBroker;
  let witnessDir: string;
  let witness: RunningWitness;
  let browser: Browser;
  let context: BrowserContext;
  let page: Page;
  const pageErrors: string[] = [];
  let citizen: { matricule: string; name: string };
  let consentOne: { jti: string; token: string };
  let consentTwo: { jti: string; token: string };
  const axeRuns: { view: string; lang: Lang; violations: AxeViolation[] }[] = [];

  const t = () => broker.trust;

  /** A real member request about the citizen; resolves with the GraphQL error codes. */
  async function memberRequest(
    member: 'm1' | 'm2',
    consentToken: string,
    selection = 'surname givenNames',
  ): Promise<(string | undefined)[]> {
    const m = t()[member];
    const assertion = await mintMemberAssertion(m.key, m.id, t().brokerId);
    const res = await gql(
      broker.graphqlUrl,
      personQuery(selection),
      { m: citizen.matricule },
      {
        authorization: `Bearer ${assertion}`,
        'consent-token': consentToken,
        'x-correlation-id': `browser-${randomUUID()}`,
      },
    );
    expect(res.status).toBe(200);
    return codes(res);
  }

  async function makeConsent(member: 'm1' | 'm2', purpose: string, scope: DataItem[]) {
    const jti = randomUUID();
    const token = await mintConsent(t().i1.key, {
      issuer: t().i1.id,
      subject: citizen.matricule,
      audience: t()[member].id,
      purpose,
      scope,
      jti,
    });
    return { jti, token };
  }

  /** A new page whose script errors fail the test. */
  async function newPage(ctx: BrowserContext): Promise<Page> {
    const p = await ctx.newPage();
    p.on('pageerror', (e) => pageErrors.push(e.message));
    return p;
  }

  afterEach(() => {
    expect(pageErrors.splice(0)).toEqual([]);
  });

  /** Runs axe-core in the page; records and returns the violations. */
  async function axe(view: string, lang: Lang, p: Page = page): Promise<AxeViolation[]> {
    await p.evaluate(AXE_SOURCE);
    const violations = await p.evaluate(async (tags) => {
      const w = window as unknown as {
        axe: {
          run(
            ctx: typeof document,
            opts: object,
          ): Promise<{
            violations: { id: string; impact: string | null; help: string; nodes: { target: string[] }[] }[];
          }>;
        };
      };
      const result = await w.axe.run(document, {
        runOnly: { type: 'tag', values: tags },
        resultTypes: ['violations'],
      });
      return result.violations.map((v) => ({
        id: v.id,
        impact: v.impact,
        help: v.help,
        nodes: v.nodes.map((n) => n.target.join(' ')),
      }));
    }, AXE_TAGS);
    axeRuns.push({ view, lang, violations });
    return violations;
  }

  async function expectNoAxeViolations(view: string, lang: Lang, p: Page = page): Promise<void> {
    expect({ view, lang, violations: await axe(view, lang, p) }).toEqual({ view, lang, violations: [] });
  }

  /** Saves SHOTS/citizen-<name>.png: the whole page, or the first `height` pixels. */
  async function shot(name: string, opts: { fullPage?: boolean; height?: number } = {}): Promise<void> {
    const file = path.join(SHOTS, `citizen-${name}.png`);
    const viewport = page.viewportSize();
    if (opts.height && viewport) {
      await page.setViewportSize({ width: viewport.width, height: opts.height });
      await page.screenshot({ path: file });
      await page.setViewportSize(viewport);
      return;
    }
    await page.screenshot({ path: file, fullPage: opts.fullPage ?? true });
  }

  /** Waits until the element's text contains `text`. */
  async function waitText(selector: string, text: string, timeout = 10_000): Promise<void> {
    await page.waitForFunction(
      ([sel, want]) => (document.querySelector(sel)?.textContent ?? '').includes(want),
      [selector, text] as const,
      { timeout },
    );
  }

  const rows = () => page.$$eval('table.log-table tbody tr', (trs) => trs.map((tr) => tr.textContent ?? ''));

  async function openView(view: 'log' | 'data' | 'consents', lang: Lang): Promise<void> {
    await page.click(`#site-nav a[data-view="${view}"]`);
    const title = { log: 'log.title', data: 'data.title', consents: 'consents.title' }[view];
    await waitText('h1', tr(lang, title));
    // the summary says "Loading…" until the list is there
    if (view === 'log') {
      await page.waitForFunction(
        (loading) => !['', loading].includes(document.querySelector('#log-summary')?.textContent ?? ''),
        tr(lang, 'status.loading'),
      );
    }
    if (view === 'consents') await page.waitForSelector('.cards, main p');
  }

  beforeAll(async () => {
    if (!existsSync(CHROMIUM)) {
      throw new Error(`Chromium not found at ${CHROMIUM}: apt-get install -y chromium, or set CHROMIUM_PATH`);
    }
    mkdirSync(SHOTS, { recursive: true });
    sim = await startSimulator();
    registers = await startCitizenRegisters(sim.population);
    // a witness of the transparency log (trust on first use of the broker's key, as in development)
    witnessDir = await mkdtemp(path.join(tmpdir(), 'citizen-page-witness-'));
    witness = await startWitness(
      readWitnessConfig({
        BROKER_MODE: 'development',
        WITNESS_PORT: '0',
        WITNESS_DATA_DIR: witnessDir,
        WITNESS_NAME: WITNESS_NAME,
        WITNESS_LOG_LEVEL: 'error',
      }),
    );
    // purposes with labels in the four languages, as in the demo trust file
    broker = await startTestBroker(
      sim.url,
      { ...registers.env, RCS_BREAKER_HALF_OPEN_MS: '100' },
      undefined,
      (doc) => {
        doc.purposes = PURPOSES;
        doc.witnesses = [{ name: WITNESS_NAME, vkey: witness.vkey, url: witness.url }];
        doc.witnessQuorum = 1;
      },
    );
    browser = await chromium.launch({ executablePath: CHROMIUM });
    context = await browser.newContext({
      baseURL: broker.baseUrl,
      viewport: { width: 1280, height: 900 },
      locale: 'en-GB',
      timezoneId: 'Europe/Luxembourg',
      reducedMotion: 'reduce',
      acceptDownloads: true,
    });
    page = await newPage(context);

    // the demo sign-in's citizens, then real member requests about the first one
    const res = await request(`${broker.baseUrl}/me/demo/citizens`);
    expect(res.statusCode).toBe(200);
    const body = (await res.body.json()) as
      { matricule: string; name: string }[] | { citizens: { matricule: string; name: string }[] };
    const list = Array.isArray(body) ? body : body.citizens;
    expect(list.length).toBeGreaterThan(0);
    // a citizen with social-security affiliations, so that "My data" has a table to show
    citizen = list.find((c) => registers.ccss.register.affiliationsOf(c.matricule)!.length > 0)!;
    expect(citizen).toBeDefined();
    consentOne = await makeConsent('m1', GRANTED_PURPOSE, ['name', 'birth']);
    consentTwo = await makeConsent('m2', OTHER_PURPOSE, ['name', 'civilStatus']);
    for (let i = 0; i < 21; i++) expect(await memberRequest('m1', consentOne.token)).toEqual([]);
    for (let i = 0; i < 2; i++)
      expect(await memberRequest('m2', consentTwo.token, 'surname civilStatus')).toEqual([]);
    // outside the consent's scope: refused and logged
    expect(await memberRequest('m1', consentOne.token, 'surname address { street }')).toEqual([
      'SCOPE_NOT_GRANTED',
    ]);
  }, 120_000);

  afterAll(async () => {
    await browser?.close();
    await broker?.close();
    await witness?.close();
    if (witnessDir) await rm(witnessDir, { recursive: true, force: true });
    await registers?.close();
    await sim?.close();
    const total = axeRuns.length;
    const failing = axeRuns.filter((r) => r.violations.length);
    console.log(`axe-core: ${total} runs (${AXE_TAGS.join(', ')}), ${failing.length} with violations`);
  });

  it('offers a clearly labelled demo sign-in, in the browser language, keyboard first', async () => {
    await page.goto('/me');
    await waitText('h1', tr('en', 'signIn.title'));
    expect(await page.getAttribute('html', 'lang')).toBe('en');
    expect(await page.textContent('#demo-title')).toContain(tr('en', 'demo.title'));
    expect(await page.textContent('main')).toContain(tr('en', 'demo.warning'));
    // the first Tab reaches the skip link, which leads to the main content
    await page.keyboard.press('Tab');
    expect(await page.evaluate(() => document.activeElement?.className)).toBe('skip-link');
    await page.keyboard.press('Enter');
    expect(await page.evaluate(() => document.activeElement?.id)).toBe('main');
    await expectNoAxeViolations('sign-in', 'en');
    await shot('sign-in');
  });

  it('signs in as the demo citizen and shows the entries of the member requests, by pages', async () => {
    await page.selectOption('#demo-citizen', citizen.matricule);
    await page.click('main form button[type="submit"]');
    await waitText('h1', tr('en', 'log.title'));
    await waitText('#log-summary', tr('en', 'log.summary', { first: 1, last: PAGE_SIZE, total: 24 }));
    expect(await page.evaluate(() => sessionStorage.getItem('citizen-web.token'))).toBeTruthy();
    expect(await page.evaluate(() => localStorage.getItem('citizen-web.token'))).toBeNull();
    expect(await page.textContent('#session-who')).toContain(citizen.name);
    const first = await rows();
    expect(first).toHaveLength(PAGE_SIZE);
    // newest first: the refused request, in words
    expect(first[0]).toContain('Test member one');
    expect(first[0]).toContain(tr('en', 'outcome.REFUSED'));
    expect(first[0]).toContain(tr('en', 'reason.SCOPE_NOT_GRANTED'));
    expect(first[0]).toContain(tr('en', 'item.address'));
    expect(first[0]).toContain(consentOne.jti.slice(0, 8));
    expect(first[0]).toContain(t().i1.id);
    expect(first[1]).toContain('Test member two');
    expect(first[1]).toContain(tr('en', 'outcome.DISCLOSED'));
    expect(first[1]).toContain(tr('en', 'item.civilStatus'));
    expect(first[1]).toContain(PURPOSES[1].labels.en);
    expect(first[0]).toContain(PURPOSES[0].labels.en);
    // the table has a caption and header cells with a scope
    expect(await page.textContent('table caption')).toBe(tr('en', 'log.caption'));
    expect(await page.$$eval('thead th[scope="col"]', (ths) => ths.length)).toBe(8);
    await expectNoAxeViolations('who used my data', 'en');

    await page.click(`.pager button:has-text("${tr('en', 'pager.next')}")`);
    await waitText('#log-summary', tr('en', 'log.summary', { first: 21, last: 24, total: 24 }));
    expect(await rows()).toHaveLength(4);
    expect(await page.evaluate(() => document.activeElement?.id)).toBe('results-title');
    expect(await page.$(`.pager button:has-text("${tr('en', 'pager.next')}")`)).toBeNull();
    await page.click(`.pager button:has-text("${tr('en', 'pager.previous')}")`);
    await waitText('#log-summary', tr('en', 'log.summary', { first: 1, last: PAGE_SIZE, total: 24 }));
  });

  /** The proof cells' texts, once none is still being checked. */
  async function proofCells(p: Page = page): Promise<string[]> {
    await p.waitForFunction(
      (checking) => {
        const cells = Array.from(document.querySelectorAll('table.log-table tbody td[id$="-proof"]'));
        return cells.length > 0 && cells.every((td) => !(td.textContent ?? '').includes(checking));
      },
      tr('en', 'proof.checking'),
    );
    return p.$$eval('table.log-table tbody td[id$="-proof"]', (tds) => tds.map((td) => td.textContent ?? ''));
  }

  it("checks each entry's proof in the browser: in the public log, cosigned by the witness; downloads it", async () => {
    // the entries were written in beforeAll: published within a second or two; until then "not yet"
    let cells: string[] = [];
    for (let tries = 0; tries < 30; tries++) {
      cells = await proofCells();
      if (cells.every((c) => c.includes('In the public log'))) break;
      expect(
        cells.every((c) => c.includes(tr('en', 'proof.pending')) || c.includes('In the public log')),
      ).toBe(true);
      await page.waitForTimeout(500);
      await page.reload();
      await waitText('#log-summary', tr('en', 'log.summary', { first: 1, last: PAGE_SIZE, total: 24 }));
    }
    expect(cells).toHaveLength(PAGE_SIZE);
    // newest first: entry 24 of the log (the log holds only this test's entries)
    const size = Number(/entry \d+ of (\d+)/.exec(cells[0])![1]);
    expect(size).toBeGreaterThanOrEqual(24);
    cells.forEach((c, i) =>
      expect(c).toContain(tr('en', 'proof.okOne', { n: 24 - i, size, witnesses: WITNESS_NAME })),
    );
    expect(await page.$$eval('td[id$="-proof"] .proof--ok', (els) => els.length)).toBe(PAGE_SIZE);
    expect(await page.textContent('#proof-intro')).toBe(tr('en', 'proof.intro'));
    expect(await page.$('#alert p')).toBeNull();
    await expectNoAxeViolations('who used my data (proofs checked)', 'en');

    // the proof of the second entry, as a file: the CLI's verifier accepts it, and it is that entry
    const [download] = await Promise.all([
      page.waitForEvent('download'),
      page.click(`table.log-table tbody tr:nth-child(2) button:has-text("${tr('en', 'proof.download')}")`),
    ]);
    expect(download.suggestedFilename()).toMatch(/^browser-[0-9a-f-]{36}\.tlog-proof$/);
    const text = readFileSync((await download.path())!, 'utf8');
    const vkey = (await (await request(`${broker.baseUrl}/log/vkey`)).body.text()).trim();
    const verified = verifyTlogProof(text, { log: vkey, witnesses: [witness.vkey], quorum: 1 });
    expect(verified).toMatchObject({ ok: true, index: 22, witnesses: [WITNESS_NAME] });
    const leaf = JSON.parse(verified.ok ? verified.extra!.toString('utf8') : '{}') as Record<string, string>;
    expect(leaf).toMatchObject({ seq: '23', subject: citizen.matricule, memberId: t().m2.id });
    expect(download.suggestedFilename()).toBe(`${leaf.correlationId}.tlog-proof`);
  });

  it('shows a proof changed on the way as NOT verifying, in words and in red, and warns', async () => {
    const other = await browser.newContext({
      baseURL: broker.baseUrl,
      locale: 'en-GB',
      timezoneId: 'Europe/Luxembourg',
      acceptDownloads: true,
    });
    const main = page;
    page = await newPage(other);
    // one byte of the first entry's leaf (the extra line) flipped in the proofs' answer
    await other.route('**/graphql', async (route) => {
      if (!(route.request().postData() ?? '').includes('MyAccessLogProofs')) return route.continue();
      const response = await route.fetch();
      const body = (await response.json()) as {
        data: { myAccessLog: { edges: { node: { id: string; proof: string | null } }[] } };
      };
      const node = body.data.myAccessLog.edges[0].node;
      const lines = node.proof!.split('\n');
      const leaf = Buffer.from(lines[1].slice('extra '.length), 'base64');
      leaf[leaf.indexOf('"outcome"') + 12] ^= 0x01;
      lines[1] = `extra ${leaf.toString('base64')}`;
      node.proof = lines.join('\n');
      await route.fulfill({ response, json: body });
    });
    try {
      await page.goto('/me');
      await page.selectOption('#demo-citizen', citizen.matricule);
      await page.click('main form button[type="submit"]');
      await waitText('#log-summary', tr('en', 'log.summary', { first: 1, last: PAGE_SIZE, total: 24 }));
      const cells = await proofCells();
      expect(cells[0]).toContain(tr('en', 'proof.failed', { reason: tr('en', 'proof.reason.INCLUSION') }));
      expect(cells[0]).toContain('does NOT verify');
      expect(await page.$$eval('tr:first-child .proof--failed', (els) => els.length)).toBe(1);
      // the others still verify
      expect(cells.slice(1).every((c) => c.includes('In the public log'))).toBe(true);
      await waitText('#alert', tr('en', 'proof.someFailed'));
      await expectNoAxeViolations('who used my data (a proof does not verify)', 'en');
      await shot('proof-not-verifying', { height: 1300 });
      // it can still be downloaded (as evidence), under the entry's id
      const [download] = await Promise.all([
        page.waitForEvent('download'),
        page.click(`table.log-table tbody tr:nth-child(1) button:has-text("${tr('en', 'proof.download')}")`),
      ]);
      expect(download.suggestedFilename()).toMatch(/^entry-\d+\.tlog-proof$/);
      // a change of language keeps the verdict and the warning, in the new language
      await page.click('button[data-lang="fr"]');
      await waitText('h1', tr('fr', 'log.title'));
      await waitText('#alert', tr('fr', 'proof.someFailed'));
      expect(await page.textContent('tr:first-child td[id$="-proof"] .proof--failed')).toContain(
        tr('fr', 'proof.failed', { reason: tr('fr', 'proof.reason.INCLUSION') }),
      );
    } finally {
      await other.close();
      page = main;
    }
  });

  it('updates a proof not yet published in place once it is, through a change of language', async () => {
    const other = await browser.newContext({
      baseURL: broker.baseUrl,
      locale: 'en-GB',
      timezoneId: 'Europe/Luxembourg',
    });
    const main = page;
    page = await newPage(other);
    // the first proofs' answer says the newest entry is not in a published checkpoint yet (as
    // right after a request); the next answers are the broker's own, once the test lets them go
    let proofAnswers = 0;
    let release = () => {};
    const released = new Promise<void>((resolve) => (release = resolve));
    await other.route('**/graphql', async (route) => {
      if (!(route.request().postData() ?? '').includes('MyAccessLogProofs')) return route.continue();
      proofAnswers += 1;
      if (proofAnswers > 1) {
        await released;
        return route.continue();
      }
      const response = await route.fetch();
      const body = (await response.json()) as {
        data: { myAccessLog: { edges: { node: { id: string; proof: string | null } }[] } };
      };
      body.data.myAccessLog.edges[0].node.proof = null;
      await route.fulfill({ response, json: body });
    });
    const cell = (n: number) => `table.log-table tbody tr:nth-child(${n}) td[id$="-proof"]`;
    try {
      await page.goto('/me');
      await page.selectOption('#demo-citizen', citizen.matricule);
      await page.click('main form button[type="submit"]');
      await waitText('#log-summary', tr('en', 'log.summary', { first: 1, last: PAGE_SIZE, total: 24 }));
      const cells = await proofCells();
      expect(cells[0]).toBe(tr('en', 'proof.pending'));
      expect(cells.slice(1).every((c) => c.includes('In the public log'))).toBe(true);
      // the page asks again by itself (no reload), while the citizen changes language
      await page.click('button[data-lang="fr"]');
      await waitText('h1', tr('fr', 'log.title'));
      await waitText(cell(1), tr('fr', 'proof.pending'));
      await waitText(cell(2), I18N.fr['proof.okOne'].split('{n}')[0]);
      // focus on another entry's proof stays where it is when the cell is updated
      await page.focus(`${cell(2)} button`);
      release();
      // "entrée 23 sur M": the size of the checkpoint the proofs are against
      const [, n, size] = /(\d+)\D+(\d+)/
        .exec((await page.textContent(`${cell(2)} .proof--ok`))!)!
        .map(Number);
      expect(n).toBe(23);
      expect(size).toBeGreaterThanOrEqual(24);
      await waitText(cell(1), tr('fr', 'proof.okOne', { n: 24, size, witnesses: WITNESS_NAME }));
      expect(await page.$$eval(`${cell(1)} .proof--ok`, (els) => els.length)).toBe(1);
      expect(
        await page.evaluate(() => {
          const el = document.activeElement;
          return [el?.className, el?.closest('tr')?.id];
        }),
      ).toEqual([
        'button button--small button--secondary proof__download',
        await page.getAttribute('table.log-table tbody tr:nth-child(2)', 'id'),
      ]);
      expect(await page.$('#alert p')).toBeNull();
    } finally {
      release();
      await other.close();
      page = main;
    }
  });

  it('filters by administration and by period', async () => {
    const options = await page.$$eval('#filter-member option', (os) => os.map((o) => o.textContent));
    expect(options).toEqual(expect.arrayContaining(['Test member one', 'Test member two']));
    await page.selectOption('#filter-member', t().m2.id);
    await page.click(`form[role="search"] button[type="submit"]`);
    await waitText('#log-summary', tr('en', 'log.summary', { first: 1, last: 2, total: 2 }));
    expect((await rows()).every((r) => r.includes('Test member two'))).toBe(true);

    // a period in the past: nothing
    await page.selectOption('#filter-member', '');
    await page.fill('#filter-from', luxDay(-10));
    await page.fill('#filter-to', luxDay(-3));
    await page.click(`form[role="search"] button[type="submit"]`);
    await waitText('#log-summary', tr('en', 'log.emptyFiltered'));
    expect(await page.$('table.log-table')).toBeNull();

    // a period around today, for one administration
    await page.fill('#filter-from', luxDay(-1));
    await page.fill('#filter-to', luxDay(1));
    await page.selectOption('#filter-member', t().m1.id);
    await page.click(`form[role="search"] button[type="submit"]`);
    await waitText('#log-summary', tr('en', 'log.summary', { first: 1, last: 20, total: 22 }));

    // a period that ends before it starts is explained next to the fields
    await page.fill('#filter-from', luxDay(1));
    await page.fill('#filter-to', luxDay(-1));
    await page.click(`form[role="search"] button[type="submit"]`);
    await waitText('#filter-problem', tr('en', 'filters.badPeriod'));
    expect(await page.getAttribute('#filter-from', 'aria-invalid')).toBe('true');
    expect(await page.getAttribute('#filter-from', 'aria-describedby')).toBe('filter-problem');
    await expectNoAxeViolations('who used my data (filter problem)', 'en');

    await page.click(`button:has-text("${tr('en', 'filters.clear')}")`);
    await waitText('#log-summary', tr('en', 'log.summary', { first: 1, last: PAGE_SIZE, total: 24 }));
  });

  it('downloads the whole log as CSV and as JSON (right of access)', async () => {
    const [csvDownload] = await Promise.all([
      page.waitForEvent('download'),
      page.click(`a:has-text("${tr('en', 'download.csv')}")`),
    ]);
    const csv = readFileSync((await csvDownload.path())!, 'utf8');
    expect(csvDownload.suggestedFilename()).toMatch(/\.csv$/);
    const records = parseCsv(csv, { columns: true, bom: true }) as Record<string, string>[];
    expect(records).toHaveLength(24);
    expect(records.filter((r) => r.consentJti === consentOne.jti)).toHaveLength(22);
    expect(records.filter((r) => r.consentJti === consentTwo.jti)).toHaveLength(2);
    expect(records.filter((r) => r.outcome === 'REFUSED').map((r) => r.reasonCode)).toEqual([
      'SCOPE_NOT_GRANTED',
    ]);

    const [jsonDownload] = await Promise.all([
      page.waitForEvent('download'),
      page.click(`a:has-text("${tr('en', 'download.json')}")`),
    ]);
    expect(jsonDownload.suggestedFilename()).toMatch(/\.json$/);
    const json = JSON.parse(readFileSync((await jsonDownload.path())!, 'utf8')) as
      | { entries: { consentJti: string | null; outcome: string }[] }
      | { consentJti: string | null; outcome: string }[];
    const entries = Array.isArray(json) ? json : json.entries;
    expect(entries).toHaveLength(24);
    expect(entries.filter((e) => e.consentJti === consentTwo.jti)).toHaveLength(2);
    expect(entries.filter((e) => e.outcome === 'REFUSED')).toHaveLength(1);
  });

  it('reports an access through an accessible dialog', async () => {
    const button = `table.log-table tbody tr:nth-child(2) button:has-text("${tr('en', 'report.button')}")`;
    await page.click(button);
    await page.waitForSelector('dialog[open]');
    expect(await page.evaluate(() => document.activeElement?.id)).toBe('report-text');
    expect(await page.getAttribute('#report-text', 'maxlength')).toBe('1000');
    await expectNoAxeViolations('report dialog', 'en');
    await shot('report-dialog', { fullPage: false });
    // Escape closes it and focus goes back to the button
    await page.keyboard.press('Escape');
    await page.waitForSelector('dialog', { state: 'detached' });
    expect(await page.evaluate(() => document.activeElement?.textContent)).toBe(tr('en', 'report.button'));

    // an empty message is explained, then a real one is sent
    await page.click(button);
    await page.waitForSelector('dialog[open]');
    // Tab stays inside the dialog
    for (let i = 0; i < 4; i++) await page.keyboard.press('Tab');
    expect(await page.evaluate(() => Boolean(document.activeElement?.closest('dialog')))).toBe(true);
    await page.click(`dialog button[type="submit"]`);
    await waitText('#report-problem', tr('en', 'report.empty'));
    await page.fill('#report-text', 'I never asked Test member two for anything.');
    await page.click(`dialog button[type="submit"]`);
    await page.waitForSelector('dialog', { state: 'detached' });
    await waitText('table.log-table tbody tr:nth-child(2)', tr('en', 'report.done'));
    await waitText('#status', tr('en', 'report.sent'));

    // the broker keeps it: after a reload the entry is still reported
    await page.reload();
    await waitText('#log-summary', tr('en', 'log.summary', { first: 1, last: PAGE_SIZE, total: 24 }));
    expect((await rows())[1]).toContain(tr('en', 'report.done'));
  });

  it('shows my data after saying that looking is logged, and logs that look', async () => {
    await openView('data', 'en');
    expect(await page.textContent('#data-logged')).toContain(tr('en', 'data.logged'));
    await expectNoAxeViolations('my data (before)', 'en');
    await page.click(`main button:has-text("${tr('en', 'data.show')}")`);
    await page.waitForSelector('#register-rnpp dl.record');
    const truth = sim.population.get(citizen.matricule)!;
    const record = (await page.textContent(RECORD))!;
    expect(record).toContain(citizen.matricule);
    expect(record).toContain(truth.surname!);
    expect(record).toContain(tr('en', `sex.${truth.sex}`));
    // one section per register, named in words
    expect(await page.$$eval('.register-data h3', (hs) => hs.map((x) => x.textContent))).toEqual(
      SOURCE_REGISTRY.sources.map((s) => s.titles.en),
    );
    // the affiliations, one row each, in words
    const affiliations = registers.ccss.register.affiliationsOf(citizen.matricule)!;
    expect(await page.textContent('#affiliations caption')).toBe(tr('en', 'data.affiliations'));
    const cells = await page.$$eval('#affiliations tbody tr', (trs) => trs.map((tr) => tr.textContent ?? ''));
    expect(cells).toHaveLength(affiliations.length);
    expect(cells[0]).toContain(tr('en', `affiliationStatus.${affiliations[0].status}`));
    expect(cells[0]).toContain(affiliations[0].employerName);
    if (affiliations.some((a) => a.endDate === null))
      expect(cells.join()).toContain(tr('en', 'data.ongoing'));
    // the roles: a table, or "None" when the register holds none
    const roles = registers.rcs.register.rolesOf(citizen.matricule)!;
    if (roles.length) {
      expect(await page.$$eval('#business-roles tbody tr', (trs) => trs.length)).toBe(roles.length);
      expect(await page.textContent('#business-roles')).toContain(roles[0].rcsNumber);
    } else {
      expect(await page.textContent('#business-roles')).toContain(tr('en', 'data.none'));
    }
    expect(await page.$('#data-partial')).toBeNull();
    await expectNoAxeViolations('my data', 'en');
    await shot('my-data');

    await openView('log', 'en');
    await waitText('#log-summary', tr('en', 'log.summary', { first: 1, last: PAGE_SIZE, total: 25 }));
    const [self] = await rows();
    expect(self).toContain(tr('en', 'channel.self'));
    expect(self).toContain(tr('en', 'report.notNeeded'));
    // what each register gave, the register named in words
    for (const s of SOURCE_REGISTRY.sources) expect(self).toContain(s.titles.en);
    expect(self).toContain(`${tr('en', 'item.affiliation')} — ${registerTitle('ccss', 'en')}`);
    // the citizen's own looks can be filtered too, named in words
    await page.waitForSelector(`#filter-member option:text-is("${tr('en', 'channel.self')}")`, {
      state: 'attached',
    });
    await page.selectOption('#filter-member', { label: tr('en', 'channel.self') });
    await page.click(`form[role="search"] button[type="submit"]`);
    await waitText('#log-summary', tr('en', 'log.summary', { first: 1, last: 1, total: 1 }));
    await page.click(`button:has-text("${tr('en', 'filters.clear')}")`);
    await waitText('#log-summary', tr('en', 'log.summary', { first: 1, last: PAGE_SIZE, total: 25 }));
  });

  it('withdraws a consent; the next member request with it is refused and shows in the log', async () => {
    await openView('consents', 'en');
    const card = `li#consent-${consentOne.jti}`;
    await page.waitForSelector(card);
    expect(await page.textContent(card)).toContain(tr('en', 'status.ACTIVE'));
    expect(await page.textContent(card)).toContain('Test member one');
    await expectNoAxeViolations('my consents', 'en');
    await shot('consents');

    await page.click(`${card} button:has-text("${tr('en', 'consent.withdraw')}")`);
    await page.waitForSelector('dialog[open]');
    expect(await page.textContent('dialog')).toContain('Test member one');
    // a step that cannot be undone: focus starts on the safe choice
    expect(await page.evaluate(() => document.activeElement?.textContent)).toBe(tr('en', 'withdraw.cancel'));
    await expectNoAxeViolations('withdraw dialog', 'en');
    await shot('withdraw-dialog', { fullPage: false });
    await page.click(`dialog button:has-text("${tr('en', 'withdraw.confirm')}")`);
    await page.waitForSelector('dialog', { state: 'detached' });
    await waitText(card, tr('en', 'status.WITHDRAWN'));
    expect(await page.$(`${card} button`)).toBeNull();
    expect(await page.textContent(`li#consent-${consentTwo.jti}`)).toContain(tr('en', 'status.ACTIVE'));

    expect(await memberRequest('m1', consentOne.token)).toEqual(['CONSENT_REVOKED']);
    expect(await memberRequest('m2', consentTwo.token, 'surname')).toEqual([]);

    await openView('log', 'en');
    await waitText('#log-summary', tr('en', 'log.summary', { first: 1, last: PAGE_SIZE, total: 27 }));
    const [latest, refused] = await rows();
    expect(latest).toContain('Test member two');
    expect(latest).toContain(tr('en', 'outcome.DISCLOSED'));
    expect(refused).toContain('Test member one');
    expect(refused).toContain(tr('en', 'outcome.REFUSED'));
    expect(refused).toContain(tr('en', 'reason.CONSENT_REVOKED'));
    expect(refused).toContain(consentOne.jti.slice(0, 8));
    // the two requests just made: "not yet published", then (the page asks again) in the public log
    for (const n of [1, 2]) {
      await waitText(
        `table.log-table tbody tr:nth-child(${n}) td[id$="-proof"]`,
        `entry ${28 - n} of`,
        20_000,
      );
    }
    await shot('access-log', { height: 1500 });
  });

  it('speaks four languages: every view has no axe violation in each', async () => {
    for (const lang of ['fr', 'de', 'lb', 'en'] as Lang[]) {
      await page.click(`button[data-lang="${lang}"]`);
      await waitText('h1', tr(lang, 'log.title'));
      expect(await page.getAttribute('html', 'lang')).toBe(lang);
      expect(await page.getAttribute(`button[data-lang="${lang}"]`, 'aria-pressed')).toBe('true');
      expect(await page.evaluate(() => localStorage.getItem('citizen-web.lang'))).toBe(lang);
      expect(await page.textContent('#site-nav a[data-view="consents"]')).toBe(tr(lang, 'nav.consents'));
      expect(await page.textContent('table caption')).toBe(tr(lang, 'log.caption'));
      expect((await rows())[1]).toContain(tr(lang, 'reason.CONSENT_REVOKED'));
      expect((await rows())[1]).toContain(PURPOSES[0].labels[lang]);
      // each register named in this language: the member's request (RNPP), my own look (all three)
      expect((await rows())[0]).toContain(registerTitle('rnpp', lang));
      expect((await rows())[2]).toContain(
        `${tr(lang, 'item.businessRoles')} — ${registerTitle('rcs', lang)}`,
      );
      expect(await page.title()).toContain(tr(lang, 'log.title'));
      // the proof's verdict in this language, naming the witness
      const verdict = I18N[lang]['proof.okOne'].split('{n}')[0];
      await waitText('table.log-table tbody tr:nth-child(1) td[id$="-proof"]', verdict);
      await waitText('table.log-table tbody tr:nth-child(1) td[id$="-proof"]', WITNESS_NAME);
      expect(await page.textContent('table.log-table tbody tr:nth-child(1) td[id$="-proof"] button')).toBe(
        tr(lang, 'proof.download'),
      );
      await expectNoAxeViolations('who used my data', lang);
      if (lang === 'fr') await shot('access-log-fr', { height: 1500 });
      await page.click(`table.log-table tbody tr:nth-child(1) button`);
      await page.waitForSelector('dialog[open]');
      expect(await page.textContent('dialog h2')).toBe(tr(lang, 'report.title'));
      await expectNoAxeViolations('report dialog', lang);
      await page.keyboard.press('Escape');
      await page.waitForSelector('dialog', { state: 'detached' });

      await openView('data', lang);
      expect(await page.textContent(RECORD)).toContain(tr(lang, 'data.surname'));
      expect(await page.textContent('#register-ccss h3')).toBe(registerTitle('ccss', lang));
      expect(await page.textContent('#affiliations caption')).toBe(tr(lang, 'data.affiliations'));
      await expectNoAxeViolations('my data', lang);
      await openView('consents', lang);
      await waitText(`li#consent-${consentOne.jti}`, tr(lang, 'status.WITHDRAWN'));
      await expectNoAxeViolations('my consents', lang);
      await page.click(`li#consent-${consentTwo.jti} button`);
      await page.waitForSelector('dialog[open]');
      expect(await page.textContent('dialog h2')).toBe(tr(lang, 'withdraw.title'));
      await expectNoAxeViolations('withdraw dialog', lang);
      await page.keyboard.press('Escape');
      await page.waitForSelector('dialog', { state: 'detached' });
      await openView('log', lang);
    }
    // the choice is remembered
    await page.click('button[data-lang="lb"]');
    await waitText('h1', tr('lb', 'log.title'));
    await page.reload();
    await waitText('h1', tr('lb', 'log.title'));
    expect(await page.getAttribute('html', 'lang')).toBe('lb');
    await page.click('button[data-lang="en"]');
    await waitText('h1', tr('en', 'log.title'));
  });

  it('works at 320 px wide', async () => {
    await page.setViewportSize({ width: 320, height: 800 });
    await page.reload();
    await waitText('#log-summary', tr('en', 'log.summary', { first: 1, last: PAGE_SIZE, total: 27 }));
    // no horizontal scrolling
    expect(await page.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(320);
    await expectNoAxeViolations('who used my data (320 px)', 'en');
    await shot('access-log-mobile', { fullPage: false });
    await page.setViewportSize({ width: 1280, height: 900 });
  });

  it('chooses the language from the browser, and French when it has none of the four', async () => {
    for (const [locale, lang] of [
      ['de-LU', 'de'],
      ['lb-LU', 'lb'],
      ['pt-PT', 'fr'],
    ] as [string, Lang][]) {
      const other = await browser.newContext({ baseURL: broker.baseUrl, locale });
      const p = await newPage(other);
      await p.goto('/me');
      await p.waitForFunction(
        (want) => document.querySelector('h1')?.textContent === want,
        tr(lang, 'signIn.title'),
      );
      expect(await p.getAttribute('html', 'lang')).toBe(lang);
      await expectNoAxeViolations('sign-in', lang, p);
      await other.close();
    }
  });

  it('explains the national sign-in when the demo sign-in is off (production)', async () => {
    const other = await browser.newContext({ baseURL: broker.baseUrl, locale: 'fr-LU' });
    await other.route('**/me/demo/citizens', (route) =>
      route.fulfill({ status: 404, contentType: 'application/json', body: '{}' }),
    );
    const main = page;
    page = await newPage(other);
    try {
      await page.goto('/me');
      await waitText('#national-title', tr('fr', 'national.title'));
      expect(await page.$('#demo-citizen')).toBeNull();
      await expectNoAxeViolations('national sign-in', 'fr');
      await shot('national-sign-in');
    } finally {
      await other.close();
      page = main;
    }
  });

  it("shows a register that does not answer as such, with the other registers' data", async () => {
    const other = await browser.newContext({
      baseURL: broker.baseUrl,
      locale: 'de-LU',
      timezoneId: 'Europe/Luxembourg',
    });
    const main = page;
    page = await newPage(other);
    await registers.rcs.setKnobs({ failureRate: 1 });
    try {
      await page.goto('/me');
      await page.selectOption('#demo-citizen', citizen.matricule);
      await page.click('main form button[type="submit"]');
      await waitText('h1', tr('de', 'log.title'));
      await openView('data', 'de');
      await page.click(`main button:has-text("${tr('de', 'data.show')}")`);
      await page.waitForSelector('#register-rcs .register-failed');
      expect(await page.textContent('#register-rcs')).toContain(tr('de', 'data.sourceFailed'));
      expect(await page.textContent('#data-partial')).toBe(tr('de', 'data.partial'));
      expect(await page.$('#alert p')).toBeNull();
      // the other registers' data is there
      expect(await page.textContent(RECORD)).toContain(sim.population.get(citizen.matricule)!.surname!);
      expect(await page.$$eval('#affiliations tbody tr', (trs) => trs.length)).toBeGreaterThan(0);
      await expectNoAxeViolations('my data (a register down)', 'de');

      // the log says which register did not deliver what
      await openView('log', 'de');
      const [self] = await rows();
      expect(self).toContain(
        tr('de', 'items.notDelivered', {
          items: tr('de', 'item.businessRoles'),
          source: registerTitle('rcs', 'de'),
        }),
      );
      await expectNoAxeViolations('who used my data (a register down)', 'de');
    } finally {
      await registers.rcs.setKnobs({ failureRate: 0 });
      await other.close();
      page = main;
    }
  });

  it('goes back to sign-in when the token is no longer accepted, and signs out', async () => {
    await page.goto('/me#consents');
    await waitText('h1', tr('en', 'consents.title'));
    await page.evaluate(() => sessionStorage.setItem('citizen-web.token', 'not-a-token'));
    await page.click('#site-nav a[data-view="log"]');
    await waitText('h1', tr('en', 'signIn.title'));
    await waitText('#alert', tr('en', 'error.sessionEnded'));

    // the cookie still holds the session: a new page picks it up; signing out ends it
    await page.goto('/me');
    await waitText('h1', tr('en', 'log.title'));
    await page.click('#sign-out');
    await waitText('h1', tr('en', 'signIn.title'));
    expect(await page.evaluate(() => sessionStorage.getItem('citizen-web.token'))).toBeNull();
    const after = await page.request.get('/me/access-log.json');
    expect(after.ok()).toBe(false);
    await page.goto('/me');
    await waitText('h1', tr('en', 'signIn.title'));
  });
});
