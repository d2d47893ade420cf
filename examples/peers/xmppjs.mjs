// @xmpp/client 0.14 against chat-server over WebSocket (RFC 7395): two
// accounts log in, fetch the roster (RFC 6121 2.2), ping the server
// (XEP-0199) and exchange a chat message each way.
// node --experimental-websocket xmppjs.mjs URL DOMAIN USER1 PASS1 USER2 PASS2
import { client, xml } from '@xmpp/client';
import { accounts, harness, token, waiter } from './lib.mjs';

const { url, domain, a, b } = accounts();
const h = harness('@xmpp/client');

function start(account, resource) {
  const xmpp = client({ service: url, domain, username: account.user, password: account.password, resource });
  const inbox = waiter();
  xmpp.on('error', (e) => console.log(`  @xmpp/client ${account.user} error: ${e.message}`));
  xmpp.on('stanza', (s) => {
    if (s.is('message') && s.getChildText('body') !== null) {
      inbox.feed({ from: s.attrs.from, body: s.getChildText('body') });
    }
  });
  const online = xmpp.start();
  online.catch(() => {}); // reported by its step
  return { xmpp, inbox, online };
}

const one = start(a, 'xmppjs-a');
const two = start(b, 'xmppjs-b');
const jidA = await h.step(`${a.user} logs in`, () => one.online);
const jidB = await h.step(`${b.user} logs in`, () => two.online);
if (!jidA || !jidB) h.finish();

await h.step('roster get', async () => {
  const answer = await one.xmpp.iqCaller.request(
    xml('iq', { type: 'get' }, xml('query', { xmlns: 'jabber:iq:roster' })),
  );
  const query = answer.getChild('query', 'jabber:iq:roster');
  if (!query) throw new Error(`no roster query in ${answer}`);
  console.log(`  roster of ${a.user}: ${query.getChildren('item').map((i) => i.attrs.jid).join(' ') || '(empty)'}`);
});

await h.step(`ping ${domain}`, async () => {
  const answer = await one.xmpp.iqCaller.request(
    xml('iq', { type: 'get', to: domain }, xml('ping', { xmlns: 'urn:xmpp:ping' })),
  );
  if (answer.attrs.type !== 'result') throw new Error(`answer ${answer}`);
});

await h.step('both send available presence', async () => {
  await one.xmpp.send(xml('presence'));
  await two.xmpp.send(xml('presence'));
});

const bare = (jid) => jid.toString().split('/')[0];
for (const [from, to, label] of [[one, two, 'a->b'], [two, one, 'b->a']]) {
  const body = token(`xmppjs ${label}`);
  await h.step(`message ${label}`, async () => {
    const got = to.inbox.wait((m) => m.body === body);
    const toJid = label === 'a->b' ? bare(jidB) : bare(jidA);
    await from.xmpp.send(xml('message', { to: toJid, type: 'chat' }, xml('body', {}, body)));
    const m = await got;
    const expected = label === 'a->b' ? bare(jidA) : bare(jidB);
    if (bare(m.from) !== expected) throw new Error(`from ${m.from}, expected ${expected}`);
  });
}

await h.step('both log out', async () => {
  await one.xmpp.stop();
  await two.xmpp.stop();
});
h.finish();
