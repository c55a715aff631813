/** Line diffs (longest common subsequence), and drawing them as text. */

import { el } from '../shared/dom.js';

/**
 * A unified-style line diff of `a` and `b` (longest common subsequence), as lines starting
 * with ' ', '-' or '+'. Large texts are compared line by line without alignment.
 */
export function lineDiff(a, b, nameA = 'a', nameB = 'b') {
  const out = [`--- ${nameA}`, `+++ ${nameB}`];
  if (a.length * b.length > 4_000_000) {
    return out.concat(a.map((l) => `-${l}`), b.map((l) => `+${l}`));
  }
  const rows = a.length + 1;
  const cols = b.length + 1;
  const table = new Uint32Array(rows * cols);
  for (let i = a.length - 1; i >= 0; i -= 1) {
    for (let j = b.length - 1; j >= 0; j -= 1) {
      table[i * cols + j] = a[i] === b[j]
        ? table[(i + 1) * cols + j + 1] + 1
        : Math.max(table[(i + 1) * cols + j], table[i * cols + j + 1]);
    }
  }
  let i = 0;
  let j = 0;
  while (i < a.length || j < b.length) {
    if (i < a.length && j < b.length && a[i] === b[j]) {
      out.push(` ${a[i]}`);
      i += 1;
      j += 1;
    } else if (j < b.length && (i === a.length || table[i * cols + j + 1] > table[(i + 1) * cols + j])) {
      out.push(`+${b[j]}`);
      j += 1;
    } else {
      out.push(`-${a[i]}`);
      i += 1;
    }
  }
  return out;
}

export function renderDiff(node, lines) {
  node.replaceChildren(
    ...lines.map((line) => {
      const kind = line.startsWith('+++') || line.startsWith('---') ? 'file'
        : line.startsWith('@@') ? 'hunk'
          : line.startsWith('+') ? 'add'
            : line.startsWith('-') ? 'del' : 'same';
      return el('span', { className: `diff-line diff-${kind}`, text: `${line}\n` });
    }),
  );
}
