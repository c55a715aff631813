/**
 * Builds the served widget, dist/widget.js: the modules bundled from loader.js by esbuild into
 * one minified classic script, with widget.css minified and defined as WIDGET_CSS.
 * `make widget` runs it; tests/browser/test_bundle.py checks the committed file is this output.
 * Usage: node build.mjs [outfile]
 */

import { readFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build, transform } from 'esbuild';

const here = dirname(fileURLToPath(import.meta.url));
const outfile = process.argv[2] ?? join(here, 'dist', 'widget.js');
const target = 'es2020';

const css = await transform(await readFile(join(here, 'widget.css'), 'utf8'), {
  loader: 'css',
  minify: true,
  target,
});

await build({
  entryPoints: [join(here, 'loader.js')],
  outfile,
  bundle: true,
  minify: true,
  format: 'iife',
  target,
  charset: 'utf8',
  legalComments: 'none',
  define: { WIDGET_CSS: JSON.stringify(css.code.trim()) },
  banner: { js: '/*! supportbot widget: built from web_widget/ by build.mjs */' },
  logLevel: 'warning',
});
