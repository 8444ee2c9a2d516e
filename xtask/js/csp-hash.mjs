// Trunk post_build hook (Trunk.toml): allows the inline scripts of the built index.html under
// its Content-Security-Policy. Trunk writes its wasm loader (and, under `trunk serve`, its
// live-reload script) inline, which a policy without 'unsafe-inline' blocks; this puts each one's
// sha256 into the meta tag's script-src, replacing the hashes an earlier run put there, so that
// running it twice changes nothing. It reads $TRUNK_STAGING_DIR/index.html, Trunk's output
// before it is moved to dist/.
import { createHash } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

const fail = (message) => {
  console.error(`csp-hash: ${message}`);
  process.exit(1);
};

const dir = process.env.TRUNK_STAGING_DIR;
if (!dir) fail('TRUNK_STAGING_DIR is not set: run me as a Trunk hook');
const file = join(dir, 'index.html');
let html = readFileSync(file, 'utf8');

// Inline scripts only: the browser hashes exactly the text between the tags, as UTF-8.
const hashes = [...html.matchAll(/<script\b([^>]*)>([\s\S]*?)<\/script>/gi)]
  .filter(([, attrs]) => !/\bsrc\s*=/i.test(attrs))
  .map(([, , body]) => `'sha256-${createHash('sha256').update(body, 'utf8').digest('base64')}'`);

const meta = /(<meta\s+http-equiv="Content-Security-Policy"\s+content=")([^"]*)(")/i;
const found = html.match(meta);
if (!found) fail(`${file} has no <meta http-equiv="Content-Security-Policy" content="...">`);
const directives = found[2].split(';').map((d) => d.trim()).filter(Boolean);
if (!directives.some((d) => d.split(/\s+/)[0] === 'script-src')) fail('the policy has no script-src');
const policy = directives.map((d) => {
  const [name, ...sources] = d.split(/\s+/);
  if (name !== 'script-src') return d;
  return [name, ...sources.filter((s) => !s.startsWith("'sha256-")), ...hashes].join(' ');
}).join('; ');
html = html.replace(meta, (_, open, _old, close) => `${open}${policy}${close}`);
writeFileSync(file, html);
console.log(`csp-hash: ${hashes.length} inline script(s) allowed in ${file}`);
