import assert from 'node:assert/strict';
import { test } from 'node:test';

import { cleanCustomer, cleanIdentity, cleanLocale, resolveConfig } from '../config.js';
import { pickLanguage, textDirection, translator } from '../i18n.js';
import { contrastRatio, parseRgb, textColorOn } from '../theme.js';

test('data-* attributes beat window.SupportBotConfig, which beats the defaults', () => {
  const config = resolveConfig(
    { supportbotUrl: 'https://bot.example/', position: 'left', customerName: 'Ann', brandColor: ' ' },
    { url: 'https://other.example', greeting: 'Hello!', position: 'right', customer: { email: 'ann@example.com', plan: 'pro' } },
  );
  assert.equal(config.url, 'https://bot.example');
  assert.equal(config.position, 'left');
  assert.equal(config.greeting, 'Hello!');
  assert.equal(config.brandColor, '#0f766e', 'blank attributes do not count');
  assert.deepEqual(config.customer, { name: 'Ann', email: 'ann@example.com', plan: 'pro' });
  assert.equal(resolveConfig({}, { url: 'http://localhost:8000' }).position, 'right');
  assert.equal(resolveConfig({ supportbotUrl: 'https://b.example', position: 'middle' }).position, 'right');
  assert.ok(Object.isFrozen(config));
});

test('a missing or non-http server URL is a clear error', () => {
  for (const dataset of [{}, { supportbotUrl: 'bot.example' }, { supportbotUrl: 'javascript:alert(1)' }]) {
    assert.throws(() => resolveConfig(dataset, undefined), /data-supportbot-url/);
  }
});

test('identity and locale are cleaned to what the server accepts', (t) => {
  const warn = t.mock.method(console, 'warn', () => {});
  assert.deepEqual(cleanCustomer({ name: ' Ann ', email: 'not-an-email', plan: '', extra: 'x' }), { name: 'Ann' });
  assert.equal(warn.mock.callCount(), 1);
  assert.deepEqual(cleanCustomer({ email: 'ann@example.com' }), { email: 'ann@example.com' });
  assert.equal(cleanCustomer({ name: 'x'.repeat(300) }).name.length, 200);
  assert.equal(cleanLocale('es-MX'), 'es-MX');
  assert.equal(cleanLocale('english please'), '');
  assert.equal(cleanLocale(undefined), '');
});

test('a signed identity passes as {payload, signature}; anything else is none', () => {
  const signed = { payload: 'eyJ1c2VyX2lkIjoidTEifQ', signature: 'ab12' };
  assert.deepEqual(cleanIdentity({ ...signed, extra: 1 }), signed);
  assert.equal(cleanIdentity({ payload: 'x' }), null);
  assert.equal(cleanIdentity('x'), null);
  assert.equal(cleanIdentity({ payload: 'x'.repeat(4001), signature: 'ab' }), null);
  const url = 'https://bot.example';
  assert.deepEqual(resolveConfig({ supportbotUrl: url }, { identity: signed }).identity, signed);
  const fromTag = resolveConfig({ supportbotUrl: url, identityPayload: 'p', identitySignature: 's' }, { identity: signed });
  assert.deepEqual(fromTag.identity, { payload: 'p', signature: 's' });
  assert.equal(resolveConfig({ supportbotUrl: url }).identity, null);
});

test('language and direction from the locale', () => {
  assert.equal(pickLanguage('es-MX'), 'es');
  assert.equal(pickLanguage('ES_es'), 'es');
  assert.equal(pickLanguage('fr-FR'), 'en');
  assert.equal(pickLanguage(''), 'en');
  assert.equal(textDirection('ar-EG'), 'rtl');
  assert.equal(textDirection('he'), 'rtl');
  assert.equal(textDirection('es'), 'ltr');
});

test('translations interpolate and fall back to English', () => {
  const es = translator('es');
  assert.equal(es('statusAgent', { name: 'Marta' }), 'Hablando con Marta');
  assert.equal(es('talkToPerson'), 'Hablar con una persona');
  assert.equal(translator('de')('send'), 'Send');
  assert.equal(es('no-such-key'), 'no-such-key');
  assert.equal(es('statusAgent'), 'Hablando con {name}');
});

test('brand text colour keeps WCAG AA contrast', () => {
  assert.deepEqual(parseRgb('rgb(15, 118, 110)'), [15, 118, 110]);
  assert.deepEqual(parseRgb('rgba(1, 2, 3, 0.5)'), [1, 2, 3]);
  assert.deepEqual(parseRgb('rgb(1 2 3)'), [1, 2, 3]);
  assert.equal(parseRgb('red'), null);
  assert.equal(Math.round(contrastRatio([0, 0, 0], [255, 255, 255])), 21);
  for (const brand of [[15, 118, 110], [250, 204, 21], [37, 99, 235], [255, 255, 255], [0, 0, 0], [236, 72, 153]]) {
    const text = textColorOn(brand) === '#ffffff' ? [255, 255, 255] : [17, 24, 39];
    assert.ok(contrastRatio(text, brand) >= 4.5, `${brand} → ${textColorOn(brand)}`);
  }
  assert.equal(textColorOn([250, 204, 21]), '#111827');
  assert.equal(textColorOn([15, 118, 110]), '#ffffff');
});
