// Shared by the Node peer scripts: numbered checks with a time limit each,
// a pass/fail count, and a watchdog so that a hung peer fails instead of
// hanging CI.

import { WebSocket as WsWebSocket } from 'ws';

// @xmpp/client uses the global WebSocket: Node's own (node
// --experimental-websocket on Node 20, default from Node 22); without it,
// the `ws` package's.
if (typeof globalThis.WebSocket === 'undefined') globalThis.WebSocket = WsWebSocket;

export function harness(name, { watchdogMs = 60000 } = {}) {
  let passed = 0;
  let failed = 0;
  const watchdog = setTimeout(() => {
    console.log(`FAIL ${name}: watchdog after ${watchdogMs} ms`);
    console.log(`${name}: ${passed} passed, ${failed + 1} failed`);
    process.exit(1);
  }, watchdogMs);

  /** Runs one check; a throw or a timeout fails it. Returns its value (true
   * for none) when it passes, undefined when it fails. */
  async function step(label, fn, ms = 10000) {
    let timer;
    try {
      const value = await Promise.race([
        fn(),
        new Promise((_, reject) => {
          timer = setTimeout(() => reject(new Error(`timeout after ${ms} ms`)), ms);
        }),
      ]);
      passed += 1;
      console.log(`ok   ${name}: ${label}`);
      return value === undefined || value === null ? true : value;
    } catch (e) {
      failed += 1;
      console.log(`FAIL ${name}: ${label}: ${e && e.message ? e.message : e}`);
      return undefined;
    } finally {
      clearTimeout(timer);
    }
  }

  function finish() {
    clearTimeout(watchdog);
    console.log(`${name}: ${passed} passed, ${failed} failed`);
    process.exit(failed ? 1 : 0);
  }

  return { step, finish, get failed() { return failed; } };
}

/** A promise resolved by the first value `test` accepts, fed by `feed`. */
export function waiter() {
  const pending = [];
  const seen = [];
  return {
    feed(value) {
      seen.push(value);
      for (const p of [...pending]) {
        if (p.test(value)) {
          pending.splice(pending.indexOf(p), 1);
          p.resolve(value);
        }
      }
    },
    wait(test) {
      const old = seen.find(test);
      if (old !== undefined) return Promise.resolve(old);
      return new Promise((resolve) => pending.push({ test, resolve }));
    },
  };
}

/** Command line: URL DOMAIN USER1 PASS1 USER2 PASS2. */
export function accounts(argv = process.argv.slice(2)) {
  const [url, domain, user1, pass1, user2, pass2] = argv;
  if (!pass2) {
    console.error('usage: URL DOMAIN USER1 PASS1 USER2 PASS2');
    process.exit(2);
  }
  return { url, domain, a: { user: user1, password: pass1 }, b: { user: user2, password: pass2 } };
}

/** A message body that cannot match an older run's. */
export function token(label) {
  return `${label} ${process.pid}-${Date.now()} ✓ <&>`;
}

/** Debian's headless Chromium through playwright-core (which never downloads
 * a browser of its own); CHROMIUM names another binary. */
export async function launchChromium() {
  const { chromium } = await import('playwright-core');
  return chromium.launch({
    executablePath: process.env.CHROMIUM || '/usr/lib/chromium/chromium',
    headless: true,
    args: [
      '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
      '--disable-background-networking', '--disable-component-update', '--disable-sync',
      '--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE localhost, EXCLUDE 127.0.0.1',
    ],
  });
}

/** Aborts every request of `page` that is not to loopback (pages link outside
 * logos and fonts); returns the list of what was blocked. */
export async function loopbackOnly(page) {
  const blocked = [];
  await page.route('**/*', (route) => {
    const u = new URL(route.request().url());
    if (['127.0.0.1', 'localhost'].includes(u.hostname) || u.protocol === 'data:' || u.protocol === 'blob:') {
      return route.continue();
    }
    blocked.push(u.href);
    return route.abort();
  });
  return blocked;
}
