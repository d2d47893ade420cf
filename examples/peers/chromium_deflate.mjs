// Chromium's own WebSocket client (headless, driven by playwright-core)
// against ws-echo: the page sends text and binary messages of 10 bytes and
// 1 MiB, checks each echo byte for byte and reports `ws.extensions`, which
// must name permessage-deflate. Chromium offers
// `permessage-deflate; client_max_window_bits`.
// node chromium_deflate.mjs WS_URL
import { chatText, compressibleBytes } from './payload.mjs';
import { launchChromium, loopbackOnly } from './lib.mjs';

const [url] = process.argv.slice(2);
if (!url) {
  console.error('usage: WS_URL');
  process.exit(2);
}
const watchdog = setTimeout(() => {
  console.log('FAIL: watchdog after 60 s');
  process.exit(1);
}, 60000);

const browser = await launchChromium();
let failed = false;
try {
  const page = await browser.newPage();
  await loopbackOnly(page);
  await page.addScriptTag({ content: `${chatText}\n${compressibleBytes}` });
  const report = await page.evaluate(echoInPage, url);
  console.log(`negotiated: ${report.extensions || 'none'}`);
  for (const line of report.lines) console.log(line);
  failed = report.failed || !report.extensions.includes('permessage-deflate');
  if (!report.extensions.includes('permessage-deflate')) console.log('FAIL: permessage-deflate not negotiated');
} catch (e) {
  console.log(`FAIL: ${e.message}`);
  failed = true;
} finally {
  await browser.close();
}
clearTimeout(watchdog);
process.exit(failed ? 1 : 0);

/** Runs in the page: one connection, every message echoed in turn. */
async function echoInPage(wsUrl) {
  const lines = [];
  const ws = new WebSocket(wsUrl);
  ws.binaryType = 'arraybuffer';
  const inbox = [];
  let wake = () => {};
  ws.onmessage = (e) => { inbox.push(e.data); wake(); };
  ws.onclose = (e) => { inbox.push({ closed: e.code }); wake(); };
  const next = () => new Promise((resolve) => {
    if (inbox.length) return resolve(inbox.shift());
    wake = () => { wake = () => {}; resolve(inbox.shift()); };
  });
  await new Promise((resolve, reject) => { ws.onopen = resolve; ws.onerror = () => reject(new Error('WebSocket error')); });
  const same = (a, b) => a.length === b.length && a.every((x, i) => x === b[i]);
  for (const size of [10, 1 << 20]) {
    for (const [kind, message] of [['text', chatText(size)], ['binary', compressibleBytes(size)]]) {
      ws.send(message);
      const echo = await next();
      const ok = kind === 'text'
        ? echo === message
        : echo instanceof ArrayBuffer && same(new Uint8Array(echo), message);
      lines.push(`${ok ? 'ok' : 'FAIL:'} ${kind} ${size} B`);
      if (!ok) return { extensions: ws.extensions, lines, failed: true };
    }
  }
  const extensions = ws.extensions;
  ws.close(1000);
  await next();
  return { extensions, lines, failed: false };
}
