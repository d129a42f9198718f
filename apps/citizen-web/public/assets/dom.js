// @ts-check
// Small DOM helpers. Everything is built with createElement and textContent:
// no innerHTML, so nothing the server sends can become markup.

/**
 * @typedef {string | number | Node | null | undefined | false} Leaf
 * @typedef {Leaf | ChildList} Child
 * @typedef {Array<Child>} ChildList
 * @typedef {Record<string, string | number | boolean | null | undefined | ((ev: any) => void)>} Attrs
 */

/**
 * Creates an element. Attributes starting with "on" become event listeners; `true` sets an
 * empty attribute, `false`/null/undefined leave it out.
 * @template {keyof HTMLElementTagNameMap} K
 * @param {K} tag
 * @param {Attrs} [attrs]
 * @param {...Child} children
 * @returns {HTMLElementTagNameMap[K]}
 */
export function h(tag, attrs = {}, ...children) {
  const el = document.createElement(tag);
  for (const [name, value] of Object.entries(attrs)) {
    if (value === false || value === null || value === undefined) continue;
    if (typeof value === 'function') {
      el.addEventListener(name.slice(2).toLowerCase(), value);
    } else if (value === true) {
      el.setAttribute(name, '');
    } else {
      el.setAttribute(name, String(value));
    }
  }
  append(el, children);
  return el;
}

/**
 * Appends children (nested arrays allowed; strings become text nodes).
 * @param {Node} parent
 * @param {Child[]} children
 */
export function append(parent, children) {
  for (const child of children) {
    if (child === null || child === undefined || child === false) continue;
    if (Array.isArray(child)) append(parent, child);
    else parent.appendChild(child instanceof Node ? child : document.createTextNode(String(child)));
  }
}

/**
 * Replaces all children of `parent`.
 * @param {Element} parent
 * @param {...Child} children
 */
export function replace(parent, ...children) {
  parent.replaceChildren();
  append(parent, children);
}

/**
 * @param {string} id
 * @returns {HTMLElement}
 */
export function byId(id) {
  const el = document.getElementById(id);
  if (!el) throw new Error(`#${id} is missing from index.html`);
  return el;
}

let statusTimer = 0;

/**
 * Says something politely in the live region (loading, done). Cleared after a while so that
 * the same message can be announced again.
 * @param {string} text
 */
export function announce(text) {
  const region = byId('status');
  window.clearTimeout(statusTimer);
  region.textContent = text;
  if (text) statusTimer = window.setTimeout(() => (region.textContent = ''), 8000);
}

/**
 * Shows an error in the alert region (empty string clears it).
 * @param {string} text
 */
export function showError(text) {
  const region = byId('alert');
  region.replaceChildren();
  if (text) region.appendChild(h('p', { class: 'alert__text' }, text));
}
