// Deterministic test messages for the permessage-deflate peers: chat-like
// text and pseudo-random bytes from 16 values. Both compress without being
// trivially repetitive. Each function is self-contained so that
// chromium_deflate.mjs can hand its source to the page.

/** Chat-like text of exactly `size` bytes (ASCII). */
export function chatText(size) {
  let seed = size + 1;
  const rand = (n) => {
    seed = (Math.imul(seed, 1103515245) + 12345) >>> 0;
    return (seed >>> 16) % n;
  };
  const words = ['hello', 'are', 'you', 'coming', 'tonight', 'the', 'train', 'late'];
  const lines = [];
  let total = 0;
  while (total < size) {
    const body = Array.from({ length: 1 + rand(6) }, () => words[rand(words.length)]).join(' ');
    const line = `<message to='nurse@example.org' id='n${lines.length}'><body>${body}</body></message>\n`;
    lines.push(line);
    total += line.length;
  }
  return lines.join('').slice(0, size);
}

/** `size` pseudo-random bytes, each one of 16 values: compressible, not UTF-8. */
export function compressibleBytes(size) {
  let seed = ~size >>> 0;
  const out = new Uint8Array(size);
  for (let i = 0; i < size; i += 1) {
    seed = (Math.imul(seed, 1103515245) + 12345) >>> 0;
    out[i] = ((seed >>> 16) & 15) * 17;
  }
  return out;
}
