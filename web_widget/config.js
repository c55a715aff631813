/**
 * The widget's configuration: the script tag's data-* attributes, then window.SupportBotConfig,
 * then defaults. Only the server URL is required.
 */

const DEFAULTS = {
  brandColor: '#0f766e',
  position: 'right',
  greeting: '',
  locale: '',
  launcherText: '',
  title: '',
};

function pick(...values) {
  return values.find((v) => typeof v === 'string' && v.trim() !== '')?.trim();
}

// The server's rules (bot/api/schemas/chat.py CustomerIn): a value it rejects would stop every chat.
const EMAIL = /^[^@\s]+@[^@\s]+\.[^@\s]+$/;
const LOCALE = /^[A-Za-z]{2,3}([-_][A-Za-z0-9]+)*$/;

/** The customer identity ({name, email, plan}): blanks dropped, an invalid email ignored. */
export function cleanCustomer(customer = {}) {
  const clean = {};
  for (const key of ['name', 'email', 'plan']) {
    const value = pick(customer[key]);
    if (!value) continue;
    if (key === 'email' && (!EMAIL.test(value) || value.length > 320)) {
      console.warn(`SupportBot: ignoring the customer email "${value}", which is not an address.`);
      continue;
    }
    clean[key] = value.slice(0, 200);
  }
  return clean;
}

/**
 * The signed identity ({payload, signature}) made by the host site's server, or null. The
 * server checks it; a bad one only makes the customer anonymous.
 */
export function cleanIdentity(identity) {
  if (!identity || typeof identity !== 'object') return null;
  const { payload, signature } = identity;
  if (typeof payload !== 'string' || typeof signature !== 'string' || !payload || !signature) return null;
  return payload.length <= 4000 && signature.length <= 128 ? { payload, signature } : null;
}

/** The locale if the server accepts it ("es-MX"), else "". */
export function cleanLocale(locale) {
  return LOCALE.test(locale || '') && locale.length <= 20 ? locale : '';
}

/**
 * Resolve the configuration. `dataset` is the script tag's dataset (data-supportbot-url →
 * supportbotUrl), `global` is window.SupportBotConfig (or undefined).
 */
export function resolveConfig(dataset = {}, global = {}) {
  const g = global && typeof global === 'object' ? global : {};
  const url = pick(dataset.supportbotUrl, g.url);
  if (!url || !/^https?:\/\/[^/]+/i.test(url)) {
    throw new Error(
      'SupportBot: set data-supportbot-url="https://your-supportbot-host" on the script tag ' +
        '(or window.SupportBotConfig.url) to the address of your supportbot server.',
    );
  }
  const position = pick(dataset.position, g.position, DEFAULTS.position);
  const customer = cleanCustomer({
    name: pick(dataset.customerName, g.customer?.name),
    email: pick(dataset.customerEmail, g.customer?.email),
    plan: pick(dataset.customerPlan, g.customer?.plan),
  });
  return Object.freeze({
    url: url.replace(/\/+$/, ''),
    brandColor: pick(dataset.brandColor, g.brandColor, DEFAULTS.brandColor),
    position: position === 'left' ? 'left' : 'right',
    greeting: pick(dataset.greeting, g.greeting, DEFAULTS.greeting) || '',
    locale: pick(dataset.locale, g.locale, DEFAULTS.locale) || '',
    launcherText: pick(dataset.launcherText, g.launcherText, DEFAULTS.launcherText) || '',
    title: pick(dataset.title, g.title, DEFAULTS.title) || '',
    customer,
    identity: cleanIdentity(
      dataset.identityPayload
        ? { payload: dataset.identityPayload, signature: dataset.identitySignature }
        : g.identity,
    ),
  });
}
