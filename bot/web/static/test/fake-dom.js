/**
 * A small DOM for node tests of the staff modules: elements, text, fragments, events, ids and
 * simple selectors. Setting innerHTML throws, so a test fails if text could become markup.
 * `install()` puts a fresh `document` (and `location`) on globalThis; `html(node)` serialises
 * a node with its text escaped, as a browser's outerHTML would.
 */

class Text {
  constructor(text) {
    this.nodeType = 3;
    this.data = String(text);
    this.parentNode = null;
  }

  get textContent() {
    return this.data;
  }

  remove() {
    if (this.parentNode) this.parentNode.removeChild(this);
  }
}

const toDatasetKey = (name) => name.slice(5).replace(/-([a-z])/g, (_, c) => c.toUpperCase());
const toDataAttribute = (key) => `data-${key.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`)}`;

class Element {
  constructor(tagName, ownerDocument, namespaceURI = null) {
    this.nodeType = tagName === '#fragment' ? 11 : 1;
    this.tagName = tagName;
    this.namespaceURI = namespaceURI;
    this.ownerDocument = ownerDocument;
    this.attributes = new Map();
    this.childNodes = [];
    this.parentNode = null;
    this.listeners = {};
    this.hidden = false;
    this.disabled = false;
    this.value = '';
    this.checked = false;
    this.style = {};
    const node = this;
    this.dataset = new Proxy({}, {
      get: (_, key) => node.attributes.get(toDataAttribute(String(key))),
      set: (_, key, value) => {
        node.attributes.set(toDataAttribute(String(key)), String(value));
        return true;
      },
    });
  }

  set innerHTML(_) {
    throw new Error('innerHTML must not be used');
  }

  get className() {
    return this.attributes.get('class') || '';
  }

  set className(value) {
    this.attributes.set('class', String(value));
  }

  get id() {
    return this.attributes.get('id') || '';
  }

  set id(value) {
    this.attributes.set('id', String(value));
  }

  get textContent() {
    return this.childNodes.map((c) => c.textContent).join('');
  }

  set textContent(text) {
    this.replaceChildren(new Text(text));
  }

  get children() {
    return this.childNodes.filter((c) => c.nodeType === 1);
  }

  get firstElementChild() {
    return this.children[0] || null;
  }

  setAttribute(name, value) {
    this.attributes.set(name, String(value));
  }

  getAttribute(name) {
    return this.attributes.has(name) ? this.attributes.get(name) : null;
  }

  hasAttribute(name) {
    return this.attributes.has(name);
  }

  removeAttribute(name) {
    this.attributes.delete(name);
  }

  appendChild(child) {
    return this.insertBefore(child, null);
  }

  insertBefore(child, before) {
    const nodes = child.nodeType === 11 ? [...child.childNodes] : [child];
    for (const node of nodes) {
      if (node.parentNode) node.parentNode.removeChild(node);
      const index = before ? this.childNodes.indexOf(before) : -1;
      if (index === -1) this.childNodes.push(node);
      else this.childNodes.splice(index, 0, node);
      node.parentNode = this;
    }
    return child;
  }

  removeChild(child) {
    this.childNodes = this.childNodes.filter((c) => c !== child);
    child.parentNode = null;
    return child;
  }

  append(...nodes) {
    for (const node of nodes) this.appendChild(typeof node === 'string' ? new Text(node) : node);
  }

  replaceChildren(...nodes) {
    for (const child of this.childNodes) child.parentNode = null;
    this.childNodes = [];
    this.append(...nodes);
  }

  remove() {
    if (this.parentNode) this.parentNode.removeChild(this);
  }

  contains(node) {
    for (let n = node; n; n = n.parentNode) if (n === this) return true;
    return false;
  }

  addEventListener(type, handler) {
    (this.listeners[type] ||= []).push(handler);
  }

  dispatchEvent(event) {
    for (const handler of this.listeners[event.type] || []) handler(event);
  }

  click() {
    this.dispatchEvent({ type: 'click', target: this, preventDefault() {} });
  }

  focus() {
    this.ownerDocument.activeElement = this;
  }

  /** Descendant elements, depth first. */
  *descendants() {
    for (const child of this.children) {
      yield child;
      yield* child.descendants();
    }
  }

  /** Selectors: `tag`, `.class`, `[attr]`, `[attr="value"]`, and compounds of them (no combinators). */
  matches(selector) {
    const parts = selector.match(/^[a-z0-9-]+|\.[\w-]+|\[[^\]]+\]/gi) || [];
    if (parts.join('') !== selector) throw new Error(`fake-dom cannot match ${selector}`);
    return parts.every((part) => {
      if (part.startsWith('.')) return this.className.split(/\s+/).includes(part.slice(1));
      if (part.startsWith('[')) {
        const [, name, value] = /^\[([\w-]+)(?:="([^"]*)")?\]$/.exec(part);
        return value === undefined ? this.hasAttribute(name) : this.getAttribute(name) === value;
      }
      return this.tagName === part.toLowerCase();
    });
  }

  querySelectorAll(selector) {
    return [...this.descendants()].filter((node) => node.matches(selector));
  }

  querySelector(selector) {
    return this.querySelectorAll(selector)[0] || null;
  }
}

class Document {
  constructor() {
    this.body = new Element('body', this);
    this.activeElement = this.body;
    this.title = '';
    this.readyState = 'complete';
  }

  createElement(tag) {
    return new Element(tag.toLowerCase(), this);
  }

  createElementNS(namespace, tag) {
    return new Element(tag, this, namespace);
  }

  createTextNode(text) {
    return new Text(text);
  }

  createDocumentFragment() {
    return new Element('#fragment', this);
  }

  getElementById(id) {
    return [...this.body.descendants()].find((node) => node.id === id) || null;
  }

  querySelector(selector) {
    return this.body.querySelector(selector);
  }

  querySelectorAll(selector) {
    return this.body.querySelectorAll(selector);
  }
}

/** A fresh document (and location) on globalThis; returns the document. */
export function install(origin = 'https://support.example') {
  const document = new Document();
  globalThis.document = document;
  globalThis.location = new URL(`${origin}/`);
  return document;
}

/** Elements with these ids, in the body (`tag#id` or `#id` for a div). */
export function mount(...specs) {
  for (const spec of specs) {
    const [tag, id] = spec.includes('#') ? spec.split('#') : ['div', spec];
    const node = globalThis.document.createElement(tag || 'div');
    node.id = id;
    globalThis.document.body.append(node);
  }
}

const escape = (s) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');

/** Serialise like outerHTML, with text and attribute values escaped. */
export function html(node) {
  if (node.nodeType === 3) return escape(node.data);
  const inner = node.childNodes.map(html).join('');
  if (node.nodeType === 11) return inner;
  const attrs = [...node.attributes].map(([k, v]) => ` ${k}="${escape(v)}"`).join('');
  return `<${node.tagName}${attrs}>${inner}</${node.tagName}>`;
}
