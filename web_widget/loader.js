/**
 * The embed entry point (last in the bundle): reads the configuration from the script tag and
 * window.SupportBotConfig, guards against loading twice, defines <support-bot>, adds one to the
 * page and publishes window.SupportBot. Everything else stays inside the bundle's closure.
 */

import { resolveConfig } from './config.js';
import { mountWidget } from './widget.js';

function start(script) {
  if (window.SupportBot) return; // the tag is on the page twice
  const config = resolveConfig(script?.dataset, window.SupportBotConfig);
  if (!customElements.get('support-bot')) {
    customElements.define('support-bot', class extends HTMLElement {});
  }
  const host = document.createElement('support-bot');
  document.body.append(host);
  window.SupportBot = mountWidget(host, config);
}

const script = document.currentScript;
if (document.body) start(script);
else document.addEventListener('DOMContentLoaded', () => start(script), { once: true });
