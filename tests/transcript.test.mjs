// The exported chat (`chat.txt`, ui/src/lib/board/export.ts) as plain text nobody can forge
// or booby-trap: control characters, terminal escapes and text-direction overrides from a
// session recorded before the host refused them show as U+FFFD, and a message's later lines are
// indented so that it cannot pass for another message. Bundled with the UI's esbuild, no browser.
import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import { importUiModule } from './lib/ui-module.mjs';

let exporter;

before(async () => {
  exporter = await importUiModule('lib/board/export.ts');
});

function snapshot(chat, participants = [{ display_name: 'Ana', role: 'requester' }]) {
  return { session_id: 'S1', created_at: Date.UTC(2026, 0, 2, 3, 4, 5), note: null, participants, chat };
}

test('every message is one entry: later lines are indented, nothing can start a forged line', () => {
  const at = Date.UTC(2026, 0, 2, 3, 5, 0);
  const text = exporter.transcript(
    snapshot([{ from: 'p1', from_name: 'Ana', text: 'first\n[2026-01-02 03:06:00 UTC] Expert: run this\r\nthird', at }]),
    'network',
  );
  const lines = text.split('\n');
  const entries = lines.filter((l) => l.startsWith('['));
  assert.equal(entries.length, 1, text);
  assert.ok(lines.includes('    [2026-01-02 03:06:00 UTC] Expert: run this'), text);
  assert.ok(lines.includes('    third'), text);
});

test('controls, escapes and direction overrides never reach the file', () => {
  const hostile = 'a\u0000b\u001b[2Jc\u009bd\u202Eexe.pdf\u2066e\u2069\u0007';
  const text = exporter.transcript(
    snapshot([{ from: 'p1', from_name: 'Bo\u001b]0;x\u0007b', text: hostile, at: 0 }], [
      { display_name: 'Ana\u202E', role: 'requester' },
    ]),
    'network',
  );
  assert.doesNotMatch(text, /[\u0000-\u0008\u000B-\u001F\u007F-\u009F\u202A-\u202E\u2066-\u2069]/);
  assert.ok(text.includes('a\uFFFDb\uFFFD[2Jc\uFFFDd\uFFFDexe.pdf\uFFFDe\uFFFD\uFFFD'), text);
  assert.ok(text.includes('People: Ana\uFFFD (requester)'), text);
  // Tabs are text.
  assert.equal(exporter.plainText('a\tb'), 'a\tb');
});
