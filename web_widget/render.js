/**
 * The markdown subset of chat messages: **bold**, "- " and "1. " lists, http(s) links and [n]
 * citations. parseMessage is pure (a tree of plain objects); toNodes turns it into DOM with
 * createElement and text nodes only, so message text never goes through innerHTML.
 */

const INLINE = /\*\*(\S(?:.*?\S)?)\*\*|\[([^\]\n]+)\]\(([^()\s]+)\)|\[(\d{1,3})\]|(https?:\/\/[^\s<>()[\]]+)/g;
const BULLET = /^\s*[-*]\s+(.*)$/;
const NUMBERED = /^\s*(\d{1,4})[.)]\s+(.*)$/;
const TRAILING_PUNCTUATION = /[.,;:!?'"]+$/;

/**
 * The URL if it is http(s), normalised; null for anything else (javascript:, data:). A relative
 * URL (a citation's `/help/<id>`) resolves against `base`, the supportbot server; without a base
 * only absolute URLs pass.
 */
export function safeUrl(raw, base = undefined) {
  try {
    const url = new URL(raw, base);
    return url.protocol === 'http:' || url.protocol === 'https:' ? url.href : null;
  } catch {
    return null;
  }
}

function pushText(nodes, text) {
  if (!text) return;
  const last = nodes[nodes.length - 1];
  if (last && last.type === 'text') last.text += text;
  else nodes.push({ type: 'text', text });
}

/** Inline nodes of one line: text, strong, link and cite. */
export function parseInline(text, sources = new Map(), allowBold = true) {
  const nodes = [];
  let at = 0;
  for (const match of text.matchAll(INLINE)) {
    const [whole, bold, label, href, cite, bare] = match;
    if (bold !== undefined && !allowBold) continue;
    pushText(nodes, text.slice(at, match.index));
    at = match.index + whole.length;
    if (bold !== undefined) {
      nodes.push({ type: 'strong', children: parseInline(bold, sources, false) });
    } else if (label !== undefined) {
      const url = safeUrl(href);
      if (url) nodes.push({ type: 'link', href: url, text: label });
      else pushText(nodes, label);
    } else if (cite !== undefined) {
      const source = sources.get(Number(cite));
      if (source) nodes.push({ type: 'cite', n: Number(cite), href: source.href, title: source.title });
      else pushText(nodes, whole);
    } else {
      const trimmed = bare.replace(TRAILING_PUNCTUATION, '');
      const url = safeUrl(trimmed);
      if (url) nodes.push({ type: 'link', href: url, text: trimmed });
      else pushText(nodes, trimmed);
      pushText(nodes, bare.slice(trimmed.length));
    }
  }
  pushText(nodes, text.slice(at));
  return nodes;
}

/** Citations with a safe URL, by number. */
function citationMap(citations = [], base = undefined) {
  const sources = new Map();
  for (const citation of citations) {
    const href = citation.url ? safeUrl(citation.url, base) : null; // an account source: no page
    if (href) sources.set(citation.n, { href, title: citation.title || '' });
  }
  return sources;
}

/** Blocks of a message: paragraphs (lines kept) and lists, with inline nodes parsed. */
export function parseMessage(text, citations = [], base = undefined) {
  const sources = citationMap(citations, base);
  const blocks = [];
  let current = null;
  for (const line of String(text).replace(/\r\n?/g, '\n').split('\n')) {
    const bullet = BULLET.exec(line);
    const numbered = bullet ? null : NUMBERED.exec(line);
    if (bullet || numbered) {
      const type = bullet ? 'ul' : 'ol';
      if (!current || current.type !== type) {
        current = { type, items: [] };
        if (numbered) current.start = Number(numbered[1]);
        blocks.push(current);
      }
      current.items.push(parseInline(bullet ? bullet[1] : numbered[2], sources));
    } else if (line.trim() === '') {
      current = null;
    } else if (current && current.type === 'p') {
      current.lines.push(parseInline(line, sources));
    } else {
      current = { type: 'p', lines: [parseInline(line, sources)] };
      blocks.push(current);
    }
  }
  return blocks;
}

function element(doc, tag, text) {
  const node = doc.createElement(tag);
  if (text !== undefined) node.textContent = text;
  return node;
}

function link(doc, href, text) {
  const a = element(doc, 'a', text);
  a.setAttribute('href', href);
  a.setAttribute('target', '_blank');
  a.setAttribute('rel', 'noopener noreferrer');
  return a;
}

function appendInline(doc, parent, nodes, citeLabel) {
  for (const node of nodes) {
    if (node.type === 'text') {
      parent.appendChild(doc.createTextNode(node.text));
    } else if (node.type === 'strong') {
      const strong = element(doc, 'strong');
      appendInline(doc, strong, node.children, citeLabel);
      parent.appendChild(strong);
    } else if (node.type === 'link') {
      parent.appendChild(link(doc, node.href, node.text));
    } else {
      const sup = element(doc, 'sup');
      sup.className = 'cite';
      const a = link(doc, node.href, String(node.n));
      a.setAttribute('aria-label', citeLabel(node.n, node.title));
      sup.appendChild(a);
      parent.appendChild(sup);
    }
  }
}

/** A DocumentFragment for parsed blocks; citeLabel(n, title) names citation links. */
export function toNodes(doc, blocks, citeLabel = (n) => `[${n}]`) {
  const fragment = doc.createDocumentFragment();
  for (const block of blocks) {
    if (block.type === 'p') {
      const p = element(doc, 'p');
      block.lines.forEach((line, i) => {
        if (i) p.appendChild(element(doc, 'br'));
        appendInline(doc, p, line, citeLabel);
      });
      fragment.appendChild(p);
    } else {
      const list = element(doc, block.type);
      if (block.type === 'ol' && block.start !== 1) list.setAttribute('start', String(block.start));
      for (const item of block.items) {
        const li = element(doc, 'li');
        appendInline(doc, li, item, citeLabel);
        list.appendChild(li);
      }
      fragment.appendChild(list);
    }
  }
  return fragment;
}
