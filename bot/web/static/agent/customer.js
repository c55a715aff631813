/**
 * The context panel: who the customer is (verified facts apart from what they supplied),
 * why the bot handed over, the articles it used, and replies made from them.
 * Safety rule: text from the server (customer, bot and agent messages, notes, summaries,
 * context) goes into the page only with textContent or createTextNode, through el()
 * (shared/dom.js), or, for messages, through the chat widget's renderer; never innerHTML.
 */

import { $, el, link } from '../shared/dom.js';
import { percent } from '../shared/format.js';
import { reasonLabel } from './labels.js';

/** What the customer wrote about themselves in the chat (name, order numbers): unverified. */
export function saidInChat(customer) {
  const said = customer && typeof customer.said_in_chat === 'object' ? customer.said_in_chat : null;
  return {
    name: (said && typeof said.name === 'string' && said.name) || '',
    orders: said && Array.isArray(said.order_numbers) ? said.order_numbers.map(String) : [],
  };
}

/** The customer's own claims (name, email, metadata...): never shown as verified facts. */
export function suppliedBy(customer) {
  const supplied = customer && typeof customer.customer_supplied === 'object' ? customer.customer_supplied : null;
  return supplied || {};
}

/**
 * Who the customer is. Only `customer.verified` (checked by the server) is shown as fact;
 * everything the customer or their page sent, metadata included, goes under "Provided by the
 * customer (unverified)", as text, so a metadata key like "verified" or "Identity check"
 * cannot pass for a server field (issue 15, item 10).
 */
export function renderCustomer(ticket, customer) {
  const verified = customer.verified && typeof customer.verified === 'object' ? Object.entries(customer.verified) : [];
  const problem = typeof customer.identity_problem === 'string' ? customer.identity_problem : '';
  const shown = [
    verified.length
      ? el(
          'dl',
          { className: 'kv verified', attrs: { 'aria-label': 'Verified by the server' } },
          ...verified.flatMap(([k, v]) => [el('dt', { text: k }), el('dd', { text: String(v) })]),
        )
      : el('p', { className: 'muted small', text: 'Nothing about this customer has been verified.' }),
    problem ? el('p', { className: 'chip chip-unverified', text: `Unverified identity: ${problem}` }) : null,
    ...accountRows(customer),
  ];
  $('ctx-verified').replaceChildren(...shown.filter(Boolean));
  const supplied = suppliedBy(customer);
  const said = saidInChat(customer);
  const saidChip = () => el('span', { className: 'chip chip-said', text: 'said by the customer' });
  const metadata = supplied.metadata && typeof supplied.metadata === 'object' ? supplied.metadata : {};
  const rows = [
    ['Name', supplied.name || (said.name ? el('span', {}, said.name, saidChip()) : '–')],
    ['Email', supplied.email || ticket.customer_email || '–'],
    ['Page', supplied.page_url ? link(supplied.page_url) : '–'],
    ['Page title', metadata.page_title ? String(metadata.page_title) : '–'],
    ['Locale', supplied.locale || '–'],
  ];
  if (said.name && supplied.name && said.name !== supplied.name) {
    rows.push(['Name in chat', el('span', {}, said.name, saidChip())]);
  }
  if (said.orders.length) rows.push(['Order numbers', el('span', {}, said.orders.join(', '), saidChip())]);
  for (const [key, value] of Object.entries(metadata)) {
    if (key !== 'page_title') rows.push([`“${key}”`, String(value)]);
  }
  $('ctx-customer').replaceChildren(...rows.flatMap(([k, v]) => [el('dt', { text: k }), el('dd', {}, v)]));
}

/** The verified customer's account from the company's connector (issue 21), as text. */
export function accountRows(customer) {
  if (customer.account_problem) {
    return [el('p', { className: 'muted small', text: `Account data unavailable (${customer.account_problem}).` })];
  }
  const account = customer.account && typeof customer.account === 'object' ? customer.account : null;
  if (!account) return [];
  const rows = [];
  for (const o of Array.isArray(account.orders) ? account.orders : []) {
    const when = o.delivered_at || o.shipped_at || o.placed_at || '';
    rows.push([`Order #${o.id}`, [o.status, when, o.carrier, o.tracking].filter(Boolean).join(' · ')]);
  }
  const sub = account.subscription;
  if (sub && typeof sub === 'object') rows.push(['Subscription', [sub.plan, sub.status, sub.renews_at && `renews ${sub.renews_at}`].filter(Boolean).join(' · ')]);
  for (const i of Array.isArray(account.invoices) ? account.invoices : []) {
    rows.push([`Invoice ${i.id}`, [i.amount, i.due_at && `due ${i.due_at}`, i.status].filter(Boolean).join(' · ')]);
  }
  return [
    el(
      'dl',
      { className: 'kv account', attrs: { 'aria-label': 'From the customer data connector' } },
      ...rows.flatMap(([k, v]) => [el('dt', { text: k }), el('dd', { text: String(v) })]),
    ),
  ];
}

export function renderContext(ticket, context, suggestions) {
  $('ctx-summary').textContent = ticket.summary || 'No summary.';

  const findings = Array.isArray(context.findings) ? context.findings : [];
  $('ctx-findings').replaceChildren(
    ...(findings.length
      ? findings.map((f) =>
          el(
            'li',
            { className: 'finding' },
            el(
              'div',
              { className: 'finding-head' },
              el('span', { className: 'chip', text: reasonLabel(f.reason) }),
              el('span', { className: 'score', text: `score ${percent(f.score)}` }),
              f.priority ? el('span', { className: `badge prio prio-${f.priority}`, text: f.priority }) : null,
            ),
            f.detail ? el('p', { className: 'finding-detail', text: f.detail }) : null,
          ),
        )
      : ticket.reasons.map((r) => el('li', { className: 'finding' }, el('span', { className: 'chip', text: reasonLabel(r) })))),
  );

  const scores = context.scores && typeof context.scores === 'object' ? context.scores : {};
  const scoreRows = [];
  for (const [name, value] of Object.entries(scores)) {
    if (name === 'answer_confidences') continue;
    if (typeof value === 'number') scoreRows.push([name.replace(/_/g, ' '), percent(value)]);
  }
  const confidences = Array.isArray(scores.answer_confidences) ? scores.answer_confidences : [];
  scoreRows.push([
    'answer confidences',
    confidences.length ? confidences.map((c) => (typeof c === 'number' ? percent(c) : '–')).join(', ') : 'no bot answers',
  ]);
  $('ctx-scores').replaceChildren(...scoreRows.flatMap(([k, v]) => [el('dt', { text: k }), el('dd', { text: v })]));

  const sources = Array.isArray(context.sources) ? context.sources : [];
  $('ctx-sources').replaceChildren(
    ...(sources.length
      ? sources.map((s) =>
          el(
            'li',
            { className: 'source' },
            el('div', { className: 'source-title' }, link(s.url, s.title || s.article_id), s.section ? el('span', { className: 'muted', text: ` · ${s.section}` }) : null),
            s.snippet ? el('p', { className: 'snippet', text: s.snippet }) : null,
            el('span', { className: 'muted small', text: `answer #${s.turn} · relevance ${percent(s.relevance)}` }),
          ),
        )
      : [el('li', { className: 'muted', text: 'The bot cited no articles.' })]),
  );

  $('ctx-suggestions').replaceChildren(
    ...(suggestions.length
      ? suggestions.map((s) =>
          el(
            'li',
            { className: 'source' },
            el('div', { className: 'source-title' }, link(s.url, s.title || s.article_id)),
            s.snippet ? el('p', { className: 'snippet', text: s.snippet }) : null,
            el('span', { className: 'muted small', text: `relevance ${percent(s.relevance)}` }),
          ),
        )
      : [el('li', { className: 'muted', text: 'No matching articles.' })]),
  );
}

/** Replies made from the articles the bot used; "Insert" puts one in the reply box (not sent). */
export function renderReplies(replies) {
  $('ctx-replies').replaceChildren(
    ...(replies.length
      ? replies.map((reply) =>
          el(
            'li',
            { className: 'source suggested-reply' },
            el('div', { className: 'source-title' }, link(reply.url, reply.title || reply.article_id)),
            el('p', { className: 'snippet', text: reply.passage }),
            el('button', {
              className: 'btn insert-reply',
              text: 'Insert',
              attrs: { type: 'button', 'aria-label': `Insert a reply from “${reply.title}”` },
              on: { click: () => insertReply(reply.text) },
            }),
          ),
        )
      : [el('li', { className: 'muted', text: 'The bot used no articles in this chat.' })]),
  );
}

/** Put `text` in the reply box at the cursor (a draft stays); the agent reviews and sends it. */
function insertReply(text) {
  const box = $('reply-text');
  if (box.disabled) return;
  const before = box.value.slice(0, box.selectionStart);
  const after = box.value.slice(box.selectionEnd);
  const gap = before && !before.endsWith('\n') ? '\n\n' : '';
  box.value = `${before}${gap}${text}${after}`;
  const end = before.length + gap.length + text.length;
  box.focus();
  box.setSelectionRange(end, end);
}
