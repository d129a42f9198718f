// @ts-check
// Sign-in: the demo sign-in (a list of invented people) when the broker offers it, otherwise the
// explanation of the national sign-in (the identity provider sends the citizen back to /me).

import * as api from '../api.js';
import { announce, h, replace, showError } from '../dom.js';
import { t } from '../i18n.js';
import { errorMessage } from '../errors.js';

/** @type {{ citizens: api.DemoCitizen[] | null | undefined, selected: string }} */
const state = { citizens: undefined, selected: '' };

export function reset() {
  state.selected = '';
}

export const title = () => t('signIn.title');

/**
 * @param {HTMLElement} root
 * @param {{ onSignedIn: () => void }} ctx
 */
export async function mount(root, ctx) {
  render(root, ctx);
  if (state.citizens !== undefined) return;
  announce(t('status.loading'));
  try {
    state.citizens = await api.demoCitizens();
    announce('');
  } catch (e) {
    state.citizens = null;
    showError(errorMessage(e));
  }
  render(root, ctx);
}

/**
 * @param {HTMLElement} root
 * @param {{ onSignedIn: () => void }} ctx
 */
function render(root, ctx) {
  replace(
    root,
    h('h1', { tabindex: '-1' }, t('signIn.title')),
    h('p', { class: 'lead' }, t('signIn.intro')),
    state.citizens === undefined ? null : state.citizens ? demoBox(state.citizens, ctx) : nationalBox(),
  );
}

/**
 * @param {api.DemoCitizen[]} citizens
 * @param {{ onSignedIn: () => void }} ctx
 */
function demoBox(citizens, ctx) {
  const select = h(
    'select',
    { id: 'demo-citizen', name: 'matricule', required: true, 'aria-describedby': 'demo-warning' },
    citizens.map((c) =>
      h(
        'option',
        { value: c.matricule, selected: c.matricule === state.selected },
        `${c.name} (${c.matricule})`,
      ),
    ),
  );
  select.addEventListener('change', () => (state.selected = select.value));
  const submit = h('button', { type: 'submit', class: 'button' }, t('demo.submit'));
  const form = h(
    'form',
    { class: 'stack', novalidate: true },
    h('label', { for: 'demo-citizen' }, t('demo.choose')),
    select,
    h('div', {}, submit),
  );
  form.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    const citizen = citizens.find((c) => c.matricule === select.value);
    if (!citizen) return;
    submit.disabled = true;
    showError('');
    announce(t('status.signingIn'));
    try {
      await api.demoSignIn(citizen);
      announce('');
      ctx.onSignedIn();
    } catch (e) {
      announce('');
      showError(t('signIn.failed') + ' ' + errorMessage(e));
      submit.disabled = false;
    }
  });
  return h(
    'section',
    { class: 'panel panel--demo', 'aria-labelledby': 'demo-title' },
    h('h2', { id: 'demo-title' }, h('span', { class: 'tag' }, t('demo.tag')), ' ', t('demo.title')),
    h('p', { id: 'demo-warning' }, t('demo.warning')),
    citizens.length ? form : h('p', {}, t('demo.empty')),
  );
}

function nationalBox() {
  return h(
    'section',
    { class: 'panel', 'aria-labelledby': 'national-title' },
    h('h2', { id: 'national-title' }, t('national.title')),
    h('p', {}, t('national.how')),
    h('p', {}, t('national.back')),
    h('p', {}, t('national.secret')),
  );
}
