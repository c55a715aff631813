/** A small DOM with events for node tests of widget modules that build their own nodes. */

class Node {
  constructor(tag) {
    this.tagName = tag.toUpperCase();
    this.attributes = {};
    this.children = [];
    this.parent = null;
    this.listeners = {};
    this.text = '';
    this.disabled = false;
    this.value = '';
  }

  set textContent(text) {
    this.children = [];
    this.text = String(text);
  }

  get textContent() {
    return this.text + this.children.map((c) => c.textContent).join('');
  }

  setAttribute(name, value) {
    this.attributes[name] = String(value);
    if (name === 'disabled') this.disabled = true;
  }

  getAttribute(name) {
    return this.attributes[name] ?? null;
  }

  addEventListener(type, fn) {
    (this.listeners[type] ||= []).push(fn);
  }

  /** Run the listeners of `type`; resolves when async ones finish. */
  async fire(type) {
    const event = { type, preventDefault() {} };
    await Promise.all((this.listeners[type] || []).map((fn) => fn(event)));
  }

  append(...nodes) {
    for (const node of nodes) {
      node.remove?.();
      node.parent = this;
      this.children.push(node);
    }
  }

  prepend(node) {
    node.remove();
    node.parent = this;
    this.children.unshift(node);
  }

  replaceChildren(...nodes) {
    this.children = [];
    this.text = '';
    this.append(...nodes);
  }

  remove() {
    if (!this.parent) return;
    this.parent.children = this.parent.children.filter((c) => c !== this);
    this.parent = null;
  }

  /** Every descendant with tag `tag` (upper or lower case), in document order. */
  all(tag) {
    const found = [];
    for (const child of this.children) {
      if (child.tagName === tag.toUpperCase()) found.push(child);
      found.push(...child.all(tag));
    }
    return found;
  }
}

/** Install the fake as `globalThis.document`; returns a root element to place nodes in. */
export function installDocument() {
  globalThis.document = { createElement: (tag) => new Node(tag) };
  return new Node('div');
}
