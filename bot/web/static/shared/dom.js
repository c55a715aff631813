/**
 * Building the staff pages' DOM. Safety rule: text from the server goes into the page only
 * with textContent or createTextNode, through el(); links are made only for http(s) URLs.
 */

/** The element with this id. */
export const $ = (id) => document.getElementById(id);

/**
 * Create an element. `props` may hold className, text, attrs (plain attributes), dataset,
 * on (event listeners); children are nodes or strings (strings become text nodes).
 */
export function el(tag, props = {}, ...children) {
  const node = document.createElement(tag);
  if (props.className) node.className = props.className;
  if (props.text !== undefined && props.text !== null) node.textContent = String(props.text);
  for (const [name, value] of Object.entries(props.attrs || {})) {
    if (value !== undefined && value !== null && value !== false) node.setAttribute(name, String(value));
  }
  for (const [name, value] of Object.entries(props.dataset || {})) node.dataset[name] = String(value);
  for (const [name, handler] of Object.entries(props.on || {})) node.addEventListener(name, handler);
  for (const child of children) {
    if (child === null || child === undefined || child === false) continue;
    node.append(typeof child === 'string' ? document.createTextNode(child) : child);
  }
  return node;
}

/**
 * The URL if it is http(s), else null (no javascript:, data:, relative tricks). Relative
 * URLs count only with a `base` to resolve them against.
 */
export function safeUrl(value, base = undefined) {
  if (typeof value !== 'string' || !value) return null;
  try {
    const url = new URL(value, base);
    return url.protocol === 'http:' || url.protocol === 'https:' ? url.href : null;
  } catch {
    return null;
  }
}

/** A link (new tab) for http(s) URLs, plain text otherwise. */
export function link(url, label, base = undefined) {
  const href = safeUrl(url, base);
  const text = label || url || '';
  if (!href) return el('span', { text });
  return el('a', { text, attrs: { href, target: '_blank', rel: 'noopener noreferrer nofollow' } });
}

export function show(node, visible) {
  node.hidden = !visible;
}

/** Show `text` in `node`, or hide the node when there is none. */
export function setMessage(node, text) {
  node.textContent = text || '';
  show(node, Boolean(text));
}
