// strophe.js 5 (Node build: ws + @xmldom/xmldom) against chat-server over
// WebSocket (RFC 7395): two accounts log in, fetch the roster, ping the
// server (XEP-0199) and exchange a chat message each way.
// node strophe.mjs URL DOMAIN USER1 PASS1 USER2 PASS2
import { $iq, $msg, $pres, Strophe } from 'strophe.js';
import { accounts, harness, token, waiter } from './lib.mjs';

const { url, domain, a, b } = accounts();
const h = harness('strophe.js');
Strophe.setLogLevel(Strophe.LogLevel.WARN);

function start(account, resource) {
  const conn = new Strophe.Connection(url);
  const inbox = waiter();
  conn.addHandler((m) => {
    const body = m.getElementsByTagName('body')[0];
    // Strophe.getText() XML-escapes; the body's text is textContent.
    if (body) inbox.feed({ from: m.getAttribute('from'), body: body.textContent });
    return true;
  }, null, 'message');
  let closed;
  const disconnected = new Promise((resolve) => { closed = resolve; });
  const online = new Promise((resolve, reject) => {
    conn.connect(`${account.user}@${domain}/${resource}`, account.password, (status, condition) => {
      if (status === Strophe.Status.DISCONNECTED) closed();
      if (status === Strophe.Status.CONNECTED) resolve(conn.jid);
      else if ([Strophe.Status.AUTHFAIL, Strophe.Status.CONNFAIL, Strophe.Status.ERROR].includes(status)) {
        reject(new Error(`status ${status} ${condition || ''}`));
      }
    });
  });
  online.catch(() => {}); // reported by its step
  return { conn, inbox, online, disconnected };
}

function iq(conn, stanza) {
  return new Promise((resolve, reject) => {
    conn.sendIQ(stanza, resolve, (e) => reject(new Error(e ? Strophe.serialize(e) : 'iq timeout')), 8000);
  });
}

const one = start(a, 'strophe-a');
const two = start(b, 'strophe-b');
const jidA = await h.step(`${a.user} logs in`, () => one.online);
const jidB = await h.step(`${b.user} logs in`, () => two.online);
if (!jidA || !jidB) h.finish();

await h.step('roster get', async () => {
  const answer = await iq(one.conn, $iq({ type: 'get' }).c('query', { xmlns: Strophe.NS.ROSTER }));
  const query = answer.getElementsByTagName('query')[0];
  if (!query || query.getAttribute('xmlns') !== Strophe.NS.ROSTER) throw new Error(Strophe.serialize(answer));
  const items = Array.from(query.getElementsByTagName('item')).map((i) => i.getAttribute('jid'));
  console.log(`  roster of ${a.user}: ${items.join(' ') || '(empty)'}`);
});

await h.step(`ping ${domain}`, async () => {
  const answer = await iq(one.conn, $iq({ type: 'get', to: domain }).c('ping', { xmlns: 'urn:xmpp:ping' }));
  if (answer.getAttribute('type') !== 'result') throw new Error(Strophe.serialize(answer));
});

await h.step('both send available presence', async () => {
  one.conn.send($pres());
  two.conn.send($pres());
});

for (const [from, to, toJid, fromJid, label] of [
  [one, two, jidB, jidA, 'a->b'],
  [two, one, jidA, jidB, 'b->a'],
]) {
  const body = token(`strophe ${label}`);
  await h.step(`message ${label}`, async () => {
    const got = to.inbox.wait((m) => m.body === body);
    from.conn.send($msg({ to: Strophe.getBareJidFromJid(toJid), type: 'chat' }).c('body').t(body));
    const m = await got;
    if (Strophe.getBareJidFromJid(m.from) !== Strophe.getBareJidFromJid(fromJid)) {
      throw new Error(`from ${m.from}, expected ${fromJid}`);
    }
  });
}

await h.step('both log out', async () => {
  for (const c of [one, two]) {
    c.conn.disconnect('done');
    await c.disconnected;
  }
});
h.finish();
