/** A tiny DOM for node tests: enough for render.toNodes, and innerHTML is a trap. */

class FakeNode {
  constructor(tag) {
    this.tagName = tag;
    this.attributes = {};
    this.childNodes = [];
    this.className = '';
  }

  set innerHTML(_) {
    throw new Error('innerHTML must not be used');
  }

  set textContent(text) {
    this.childNodes = [new FakeText(String(text))];
  }

  get textContent() {
    return this.childNodes.map((c) => c.textContent).join('');
  }

  setAttribute(name, value) {
    this.attributes[name] = String(value);
  }

  getAttribute(name) {
    return this.attributes[name] ?? null;
  }

  appendChild(child) {
    this.childNodes.push(child);
    return child;
  }

  replaceChildren(...children) {
    this.childNodes = children;
  }
}

class FakeText {
  constructor(text) {
    this.text = text;
  }

  get textContent() {
    return this.text;
  }
}

const escape = (s) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');

/** Serialise like outerHTML (escaped), to compare structures in tests. */
export function html(node) {
  if (node instanceof FakeText) return escape(node.text);
  const inner = node.childNodes.map(html).join('');
  if (node.tagName === '#fragment') return inner;
  const attrs = Object.entries(node.attributes).map(([k, v]) => ` ${k}="${escape(v)}"`);
  if (node.className) attrs.unshift(` class="${node.className}"`);
  return `<${node.tagName}${attrs.join('')}>${inner}</${node.tagName}>`;
}

export const fakeDocument = {
  createElement: (tag) => new FakeNode(tag),
  createTextNode: (text) => new FakeText(text),
  createDocumentFragment: () => new FakeNode('#fragment'),
};
