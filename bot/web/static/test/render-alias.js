/**
 * A module-resolution hook for node tests: `/agent/render.js`, which the console imports from
 * the server (bot/api/routes/console.py serves web_widget/render.js there), is that file.
 */

const RENDERER = new URL('../../../../web_widget/render.js', import.meta.url).href;

export async function resolve(specifier, context, next) {
  if (specifier === '/agent/render.js') return { url: RENDERER, shortCircuit: true };
  return next(specifier, context);
}
