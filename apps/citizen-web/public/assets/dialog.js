// @ts-check
// An accessible modal dialog on the native <dialog> element: showModal() makes the rest of the
// page inert, Escape closes it, Tab and Shift+Tab stay inside, and focus goes back to the button
// that opened it.

import { h } from './dom.js';

const FOCUSABLE =
  'a[href], button:not([disabled]), textarea:not([disabled]), input:not([disabled]), select:not([disabled]), [tabindex]:not([tabindex="-1"])';

/**
 * @typedef {object} DialogOptions
 * @property {string} title
 * @property {(Node | string)[]} body
 * @property {string} confirmLabel
 * @property {string} cancelLabel
 * @property {boolean} [danger] the confirm button does something that cannot be undone
 * @property {(form: HTMLFormElement) => Promise<boolean>} onConfirm resolves true to close
 * @property {HTMLElement | null} [initialFocus]
 */

let counter = 0;

/**
 * Opens a dialog; resolves when it closes, with true when confirmed.
 * @param {DialogOptions} options
 * @returns {Promise<boolean>}
 */
export function openDialog(options) {
  const opener = /** @type {HTMLElement | null} */ (document.activeElement);
  const id = `dialog-${++counter}`;
  const confirm = h(
    'button',
    { type: 'submit', class: options.danger ? 'button button--danger' : 'button' },
    options.confirmLabel,
  );
  const cancel = h('button', { type: 'button', class: 'button button--secondary' }, options.cancelLabel);
  const form = h(
    'form',
    { method: 'dialog', class: 'dialog__form', novalidate: true },
    h('h2', { id: `${id}-title`, class: 'dialog__title' }, options.title),
    h('div', { id: `${id}-body`, class: 'dialog__body' }, ...options.body),
    h('div', { class: 'dialog__actions' }, confirm, cancel),
  );
  const dialog = h(
    'dialog',
    { class: 'dialog', 'aria-labelledby': `${id}-title`, 'aria-describedby': `${id}-body` },
    form,
  );
  document.body.appendChild(dialog);

  return new Promise((resolve) => {
    let confirmed = false;
    let busy = false;

    const close = () => dialog.close();
    cancel.addEventListener('click', close);
    dialog.addEventListener('cancel', (ev) => {
      if (busy) ev.preventDefault();
    });
    dialog.addEventListener('keydown', (ev) => trapTab(dialog, ev));
    form.addEventListener('submit', async (ev) => {
      ev.preventDefault();
      if (busy) return;
      busy = true;
      confirm.disabled = true;
      confirm.setAttribute('aria-busy', 'true');
      try {
        if (await options.onConfirm(form)) {
          confirmed = true;
          busy = false;
          close();
          return;
        }
      } finally {
        busy = false;
        confirm.disabled = false;
        confirm.removeAttribute('aria-busy');
      }
    });
    dialog.addEventListener('close', () => {
      dialog.remove();
      if (opener && opener.isConnected) opener.focus();
      resolve(confirmed);
    });

    dialog.showModal();
    // a step that cannot be undone starts on the safe choice
    (options.initialFocus ?? (options.danger ? cancel : confirm)).focus();
  });
}

/**
 * Keeps Tab inside the dialog.
 * @param {HTMLDialogElement} dialog
 * @param {KeyboardEvent} ev
 */
function trapTab(dialog, ev) {
  if (ev.key !== 'Tab') return;
  const items = /** @type {HTMLElement[]} */ ([...dialog.querySelectorAll(FOCUSABLE)]);
  if (!items.length) return;
  const first = items[0];
  const last = items[items.length - 1];
  if (ev.shiftKey && document.activeElement === first) {
    ev.preventDefault();
    last.focus();
  } else if (!ev.shiftKey && document.activeElement === last) {
    ev.preventDefault();
    first.focus();
  }
}
