// npm ws as a permessage-deflate (RFC 7692) peer of ws-echo and
// ws-echo-client: an echo server, or a client that sends text and binary
// messages of 10 bytes and 1 MiB and checks each echo byte for byte.
//
// node ws_deflate.mjs server PORT [--no-context-takeover] [--max-window-bits N]
// node ws_deflate.mjs client URL  [--no-context-takeover] [--max-window-bits N]
//
// Both roles offer or require the settings in both directions, with
// threshold 0 so that the 10-byte messages are compressed too. Node's zlib
// turns an 8-bit raw deflate window into a 9-bit one, so ws agrees to 8 but
// compresses with 512 bytes of history; a peer that inflates with at least 9
// bits (as ours does) reads it. The client fails (exit 1) unless
// permessage-deflate was negotiated: the suite must not pass without
// compression.
import { WebSocket, WebSocketServer } from 'ws';
import { chatText, compressibleBytes } from './payload.mjs';

const NAME = 'node-ws';
const [role, target, ...flags] = process.argv.slice(2);
if (!['server', 'client'].includes(role) || !target) {
  console.error('usage: server PORT | client URL [--no-context-takeover] [--max-window-bits N]');
  process.exit(2);
}
const noContextTakeover = flags.includes('--no-context-takeover');
const bitsAt = flags.indexOf('--max-window-bits');
const bits = bitsAt >= 0 ? Number(flags[bitsAt + 1]) : undefined;

// Options left undefined rather than false: ws reads `false` as "refuse".
const perMessageDeflate = { threshold: 0 };
if (noContextTakeover) {
  perMessageDeflate.serverNoContextTakeover = true;
  perMessageDeflate.clientNoContextTakeover = true;
}
if (bits !== undefined) {
  perMessageDeflate.serverMaxWindowBits = bits;
  perMessageDeflate.clientMaxWindowBits = bits;
}

if (role === 'server') {
  const server = new WebSocketServer({ host: '127.0.0.1', port: Number(target), perMessageDeflate });
  server.on('connection', (ws) => {
    ws.on('message', (data, isBinary) => ws.send(data, { binary: isBinary }));
  });
  server.on('listening', () => console.log(`${NAME} echo server on 127.0.0.1:${target}`));
} else {
  process.exit(await runClient(target));
}

async function runClient(url) {
  const watchdog = setTimeout(() => {
    console.log('FAIL: watchdog after 30 s');
    process.exit(1);
  }, 30000);
  const ws = new WebSocket(url, { perMessageDeflate });
  let header = 'none';
  let socket;
  ws.on('upgrade', (res) => {
    header = res.headers['sec-websocket-extensions'] ?? 'none';
    socket = res.socket;
  });
  const inbox = [];
  let wake = () => {};
  ws.on('message', (data, isBinary) => { inbox.push({ data, isBinary }); wake(); });
  ws.on('close', (code) => { inbox.push({ closed: code }); wake(); });
  const next = () => new Promise((resolve) => {
    if (inbox.length) return resolve(inbox.shift());
    wake = () => { wake = () => {}; resolve(inbox.shift()); };
  });
  await new Promise((resolve, reject) => { ws.once('open', resolve); ws.once('error', reject); });
  console.log(`negotiated: ${header}`);
  if (!header.includes('permessage-deflate')) return fail('permessage-deflate not negotiated');
  if (noContextTakeover && !header.includes('server_no_context_takeover')) {
    return fail('server_no_context_takeover not in the answer');
  }
  for (const size of [10, 1 << 20]) {
    for (const [kind, message] of [['text', chatText(size)], ['binary', compressibleBytes(size)]]) {
      const before = socket.bytesRead;
      ws.send(message, { binary: kind === 'binary' });
      const echo = await next();
      if (echo.closed !== undefined) return fail(`closed (${echo.closed}) before the ${kind} echo`);
      const expected = Buffer.from(message);
      if (echo.isBinary !== (kind === 'binary') || !expected.equals(echo.data)) {
        return fail(`${kind} echo of ${size} B differs`);
      }
      // Bytes read for the echo: how much the server's compression saved.
      console.log(`ok ${kind} ${size} B: ${socket.bytesRead - before} B back`);
    }
  }
  ws.close(1000);
  await next();
  clearTimeout(watchdog);
  return 0;
}

function fail(why) {
  console.log(`FAIL: ${why}`);
  return 1;
}
