// The contract test: schemathesis against the committed OpenAPI document
// (crates/host/openapi.json), with a live host and a live session, every check enabled.
//
// Not a node:test suite: it sets up what the API's operations need to succeed, as the e2e
// suites do (the host binary, its CLI, the HTTP API and WebSockets: lib/host.mjs), and runs the
// `st` command it is given (scripts/contract-test.sh installs it) with the credentials in the
// environment that tests/contract/schemathesis.toml reads:
//
//   IS_DEVICE       an enrolled device's credential                (security scheme `device`)
//   IS_PARTICIPANT  the expert's participant token of the session  (security scheme `participant`)
//   IS_CONSOLE_USER, IS_CONSOLE_PASSWORD   the expert's sign-in: schemathesis signs in for the
//                   login cookie (security scheme `console`), and again after testing logout
//   IS_SESSION      the session's id                               (path parameter `session_id`)
//   IS_IMAGE        a picture on the session's board               (path parameter `image_id`)
//
// The session is active: a requester with its socket open, the expert who accepted it from the
// console. The expert's console stays open too, so `POST /api/v1/expert/ticket` and the
// experts' routes meet a real expert.
//
//   node tests/contract/run.mjs ST_BINARY [st run options...]
import { spawn } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Host, SessionSocket } from '../lib/host.mjs';
import { hostBin, outputDir } from '../lib/paths.mjs';

const here = path.dirname(fileURLToPath(import.meta.url));
const root = path.resolve(here, '../..');
const [st, ...stArgs] = process.argv.slice(2);
if (!st) {
  console.error('usage: node tests/contract/run.mjs ST_BINARY [st run options...]');
  process.exit(2);
}

// schemathesis signs in with generated, wrong passwords from one address, then signs in
// correctly for the console's operations: with the host's usual budgets that address and the
// expert's name are soon blocked (429), which is the throttle working, not the contract
// failing. The throttle has tests of its own (crates/host/tests/sign_in_limits.rs).
const host = new Host({
  name: 'contract-host',
  extraArgs: ['--failed-sign-ins-per-address', '1000000', '--failed-sign-ins-per-account', '1000000'],
});
// Stopped from outside (Ctrl-C, a timeout): exit, which stops the host (lib/host.mjs).
for (const signal of ['SIGINT', 'SIGTERM']) process.on(signal, () => process.exit(1));
const sockets = [];
let status = 1;
try {
  await host.start();
  const password = 'contract-test-password';
  await host.addExpert({ username: 'contract-expert', displayName: 'Contract Expert', password });

  const login = await fetch(`${host.url}/api/v1/expert/login`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ username: 'contract-expert', password }),
  });
  if (login.status !== 200) throw new Error(`signing in answered ${login.status}: ${await login.text()}`);
  const cookie = /instant_share_login=([^;]+)/.exec(login.headers.get('set-cookie') ?? '')?.[1];
  if (!cookie) throw new Error('signing in set no login cookie');

  const ticket = await host.api('POST', '/api/v1/expert/ticket', {
    body: {},
    headers: { cookie: `instant_share_login=${cookie}` },
  });
  if (ticket.status !== 200) throw new Error(`the console ticket answered ${ticket.status}`);
  const console_ = await SessionSocket.open(ticket.body.ws_url, ticket.body.ticket);
  sockets.push(console_);
  await console_.next('console_welcome');
  console_.send({ type: 'set_availability', available: true });

  const device = await host.enrolDevice('Contract Requester');
  const pointer = await host.requestShare(device.credential, { topic: 'network' });
  const requester = await SessionSocket.open(pointer.ws_url, pointer.participant_token);
  sockets.push(requester);
  await requester.next('welcome');
  await console_.next('offered', (m) => m.offer.entry.session_id === pointer.session_id);
  console_.send({ type: 'accept', session_id: pointer.session_id });
  const joined = await console_.next('joined');
  const expert = await SessionSocket.open(joined.ws_url ?? pointer.ws_url, joined.participant_token);
  sockets.push(expert);
  await expert.next('welcome');
  await requester.next('status', (m) => m.status === 'active');
  // A picture on the board, so that fetching one meets a real picture (its id cannot be
  // guessed): the app's smallest icon.
  const png = await readFile(path.join(root, 'icons/32x32.png'));
  const uploaded = await fetch(`${host.url}/api/v1/sessions/${pointer.session_id}/images?name=pixel.png`, {
    method: 'POST',
    headers: { authorization: `Bearer ${pointer.participant_token}`, 'content-type': 'image/png' },
    body: png,
  });
  if (uploaded.status !== 201) throw new Error(`the picture upload answered ${uploaded.status}: ${await uploaded.text()}`);
  const image = await uploaded.json();
  console.log(`contract test: ${hostBin} at ${host.url}, active session ${pointer.session_id}`);

  const child = spawn(
    st,
    [
      '--config-file', path.join(here, 'schemathesis.toml'),
      // Plain text: a CI log stays readable. Each failure comes with a curl command that
      // reproduces it.
      '--no-color',
      'run', path.join(root, 'crates/host/openapi.json'), '--url', host.url, ...stArgs,
    ],
    {
      // schemathesis keeps the failures it found in .schemathesis/ under its working directory
      // and tries them first next time: the run's output folder, never the source tree.
      cwd: outputDir,
      stdio: 'inherit',
      env: {
        ...process.env,
        IS_DEVICE: device.credential,
        IS_PARTICIPANT: joined.participant_token,
        IS_CONSOLE_USER: 'contract-expert',
        IS_CONSOLE_PASSWORD: password,
        IS_SESSION: pointer.session_id,
        IS_IMAGE: image.id,
      },
    },
  );
  status = await new Promise((resolve) => child.on('exit', (code, signal) => resolve(code ?? (signal ? 1 : 0))));
  for (const socket of sockets) socket.failed();
} catch (error) {
  console.error(`contract test: ${error.stack ?? error}`);
  status = 1;
} finally {
  for (const socket of sockets) socket.close();
  await host.stop();
}
process.exit(status);
