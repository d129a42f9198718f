// @ts-check
// The citizen page: picks the language, shows the sign-in or one of the three views, and keeps
// the header (language buttons, who is signed in, sign out, menu) up to date.
//
// Views are plain links (#log, #data, #consents): they work with the keyboard, the back button
// and bookmarks. After a change of view, focus moves to the view's heading so that keyboard and
// screen-reader users start at the new content.

import * as api from './api.js';
import { announce, byId, showError } from './dom.js';
import { lang, onLanguageChange, pickLanguage, setLanguage, t, translateStatic, isLang } from './i18n.js';
import * as signIn from './views/sign-in.js';
import * as accessLog from './views/access-log.js';
import * as myData from './views/my-data.js';
import * as consents from './views/consents.js';

/**
 * @typedef {{ title: () => string, mount: (root: HTMLElement, fresh: boolean) => unknown, reset: () => void }} View
 */

/** @type {Record<string, View>} */
const VIEWS = { log: accessLog, data: myData, consents };
const DEFAULT_VIEW = 'log';

function route() {
  const name = window.location.hash.slice(1);
  return name in VIEWS ? name : DEFAULT_VIEW;
}

function resetViews() {
  for (const view of [signIn, ...Object.values(VIEWS)]) view.reset();
}

/**
 * Shows the sign-in or the current view.
 * @param {{ fresh: boolean, focus: boolean }} how fresh: reload the view's data; focus: move focus to its h1
 */
async function show({ fresh, focus }) {
  const signedIn = Boolean(api.token());
  updateHeader(signedIn);
  const root = byId('view');
  /** @type {unknown} */
  let loading;
  if (!signedIn) {
    document.title = `${signIn.title()} – ${t('shell.brand')}`;
    loading = signIn.mount(root, { onSignedIn });
  } else {
    const name = route();
    const view = VIEWS[name];
    for (const link of byId('site-nav').querySelectorAll('a[data-view]')) {
      if (link.getAttribute('data-view') === name) link.setAttribute('aria-current', 'page');
      else link.removeAttribute('aria-current');
    }
    document.title = `${view.title()} – ${t('shell.brand')}`;
    loading = view.mount(root, fresh);
  }
  if (focus) /** @type {HTMLElement | null} */ (root.querySelector('h1'))?.focus();
  await loading;
}

/** @param {boolean} signedIn */
function updateHeader(signedIn) {
  byId('site-nav').hidden = !signedIn;
  byId('session').hidden = !signedIn;
  const name = api.signedInName();
  byId('session-who').textContent = name ? t('shell.signedInAs', { name }) : t('shell.signedIn');
  for (const button of document.querySelectorAll('button[data-lang]')) {
    button.setAttribute('aria-pressed', String(button.getAttribute('data-lang') === lang()));
  }
}

async function onSignedIn() {
  resetViews();
  showError('');
  if (!(window.location.hash.slice(1) in VIEWS)) {
    window.history.replaceState(null, '', `#${DEFAULT_VIEW}`);
  }
  announce(t('status.signedIn'));
  await show({ fresh: true, focus: true });
}

async function onSignOut() {
  await api.signOut();
  resetViews();
  showError('');
  window.history.replaceState(null, '', window.location.pathname);
  await show({ fresh: true, focus: true });
  announce(t('status.signedOut'));
}

async function start() {
  await setLanguage(pickLanguage());
  translateStatic();
  onLanguageChange(() => {
    translateStatic();
    showError('');
    void show({ fresh: false, focus: false });
  });
  for (const button of document.querySelectorAll('button[data-lang]')) {
    button.addEventListener('click', async () => {
      const next = button.getAttribute('data-lang');
      if (isLang(next) && next !== lang()) {
        try {
          await setLanguage(next);
        } catch {
          showError(t('error.network'));
        }
      }
    });
  }
  byId('sign-out').addEventListener('click', () => void onSignOut());
  // the skip link moves focus without touching the address (the hash names the view)
  byId('skip-link').addEventListener('click', (ev) => {
    ev.preventDefault();
    byId('main').focus();
  });
  window.addEventListener('hashchange', () => {
    const name = window.location.hash.slice(1);
    if (name && !(name in VIEWS)) return;
    showError('');
    void show({ fresh: true, focus: true });
  });
  api.setUnauthenticatedHandler(() => {
    resetViews();
    void show({ fresh: true, focus: true }).then(() => showError(t('error.sessionEnded')));
  });
  if (!api.token()) await api.restoreSession();
  await show({ fresh: true, focus: false });
}

void start();
