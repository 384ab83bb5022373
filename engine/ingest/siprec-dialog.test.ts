import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { openSipsSiprecInvite, OPENSIPS_FROM_TAG } from './fixtures/opensips-siprec-invite.js';
import { inDialogRequest, siprecInvite, type InviteParams } from './fixtures/siprec-invite.js';
import { createCounters } from './ingest-counters.js';
import { admitInvite } from './invite-admission.js';
import { dialogFromInvite, SiprecDialogs, type ReplyOptions, type SiprecDialog } from './siprec-dialog.js';
import { headerValue, headerValues, type SipRequest } from './sip-message.js';
import { parseSipMessage } from './sip-parser.js';
import type { ServerTransaction, SipTransactionLayer } from './sip-transaction.js';
import type { SipFlow } from './sip-transport.js';

/** The dialog layer without sockets: transactions and the flow are stand-ins that record what would be sent. */
const PEER = { address: '192.0.2.10', port: 5070, transport: 'udp' as const };
const BASE: InviteParams = { callId: 'dlg-1', local: `${PEER.address}:${PEER.port}`, target: '192.0.2.1:5060' };

function harness() {
  const replies: Array<{ method: string; status: number; reason: string; o: ReplyOptions | undefined }> = [];
  const sent: Array<{ data: string; dest: { address: string; port: number } | undefined }> = [];
  const acked: ServerTransaction[] = [];
  const ended: string[] = [];
  const counters = createCounters();
  const flow: SipFlow = {
    peer: PEER,
    send: (d, dest) => void sent.push({ data: d.toString(), dest }),
    isOpen: () => true,
  };
  const transactions = {
    ack2xx: (tx: ServerTransaction) => void acked.push(tx),
    sendRequest: (_key: string, send: () => void) => send(),
  } as unknown as SipTransactionLayer;
  const dialogs = new SiprecDialogs<SiprecDialog>({
    transactions,
    counters,
    advertised: '192.0.2.1',
    sipPort: () => 5060,
    mediaAddress: '192.0.2.1',
    reply: (tx, status, reason, o) => void replies.push({ method: tx.request.method, status, reason, o }),
    endCall: (call, reason, sendBye) => {
      call.state = 'ended';
      ended.push(`${call.callId}:${reason}:${sendBye}`);
    },
  });
  const tx = (data: Buffer): ServerTransaction => {
    const parsed = parseSipMessage(data, { maxMessageBytes: 65535, maxHeaders: 128 });
    if (!parsed.ok || parsed.message.kind !== 'request') throw new Error('fixture does not parse');
    const request: SipRequest = parsed.message;
    return { request, flow, finalStatus: 0 } as unknown as ServerTransaction;
  };
  /** Admits and records an INVITE, answered as the server would leave it. */
  const answered = (data: Buffer): SiprecDialog => {
    const invite = tx(data);
    const a = admitInvite(invite.request, {
      protectedLeg: 'auto',
      subscriberPrefixes: [],
      defaultDirection: 'incoming',
    });
    if (!a.ok) throw new Error(`rejected: ${a.status}`);
    const d = dialogFromInvite(invite, a.offer);
    d.state = 'answered';
    invite.finalStatus = 200;
    dialogs.calls.set(d.callId, d);
    return d;
  };
  return { dialogs, replies, sent, acked, ended, counters, tx, answered };
}

test('dialogFromInvite: the remote target is the Contact, or where the INVITE came from without one', () => {
  const h = harness();
  const d = h.answered(openSipsSiprecInvite({ ...BASE, ports: [35000, 35002] }));
  assert.equal(
    [d.remoteTarget, d.remoteTag, d.remoteCSeq, d.state],
    ['sip:192.0.2.10:5070', OPENSIPS_FROM_TAG, 2, 'answered'],
  );
  const bare = siprecInvite({ ...BASE, callId: 'dlg-2' })
    .toString('latin1')
    .replace(/Contact: [^\r]*\r\n/, '');
  assert.is(h.answered(Buffer.from(bare, 'latin1')).remoteTarget, 'sip:192.0.2.10:5070');
});

test('ACK confirms, BYE is answered 200 and ends the call; a wrong tag is an unknown dialog', () => {
  const h = harness();
  const d = h.answered(siprecInvite(BASE));
  const inDialog = { ...BASE, toTag: d.localTag };
  h.dialogs.onAck(h.tx(inDialogRequest('ACK', { ...inDialog, cseq: 1 })).request);
  assert.equal([d.state, h.acked], ['confirmed', [d.inviteTx]]);
  h.dialogs.onBye(h.tx(inDialogRequest('BYE', { ...inDialog, toTag: 'someone-else', cseq: 2 })));
  assert.equal(h.replies.at(-1)?.status, 481);
  assert.is(h.counters['sip.unknownDialog'], 1);
  h.dialogs.onBye(h.tx(inDialogRequest('BYE', { ...inDialog, cseq: 2 })));
  assert.equal(h.replies.at(-1), { method: 'BYE', status: 200, reason: 'OK', o: { toTag: d.localTag } });
  assert.equal(h.ended, ['dlg-1:bye:false']);
});

test('re-INVITE: 491 while one is pending, 500 for a CSeq out of order', () => {
  const h = harness();
  const d = h.answered(siprecInvite({ ...BASE, cseq: 5 }));
  const first = h.tx(inDialogRequest('INVITE', { ...BASE, toTag: d.localTag, cseq: 6 }));
  assert.is(h.dialogs.reinviteDialog(first), d);
  assert.ok(h.dialogs.takeOffer(first, d));
  assert.is(d.reinviteTx, first);
  const second = h.tx(inDialogRequest('INVITE', { ...BASE, toTag: d.localTag, cseq: 7 }));
  assert.is(h.dialogs.reinviteDialog(second), null);
  assert.is(h.replies.at(-1)?.status, 491);
  first.finalStatus = 200;
  const stale = h.tx(inDialogRequest('INVITE', { ...BASE, toTag: d.localTag, cseq: 6 }));
  assert.ok(!h.dialogs.takeOffer(stale, d));
  assert.equal(h.replies.at(-1)?.reason, 'Server Internal Error (CSeq out of order)');
});

test('the BYE we send: From with our tag, To the SBC, Route from Record-Route, sent to the first hop', () => {
  const h = harness();
  const rr = 'Record-Route: <sip:192.0.2.20:5080;lr>';
  const d = h.answered(siprecInvite({ ...BASE, extraHeaders: [rr] }));
  h.dialogs.sendBye(d);
  h.dialogs.sendBye(d);
  assert.is(h.sent.length, 2);
  const bye = h.tx(Buffer.from(h.sent[1].data)).request;
  assert.is(bye.uri, 'sip:src@192.0.2.10:5070');
  assert.is(headerValue(bye, 'from'), `<sip:srs@192.0.2.1:5060>;tag=${d.localTag}`);
  assert.is(headerValue(bye, 'to'), '<sip:src@192.0.2.10:5070>;tag=srctag1');
  assert.is(headerValue(bye, 'cseq'), '2 BYE');
  assert.equal(headerValues(bye, 'route'), ['<sip:192.0.2.20:5080;lr>']);
  assert.match(headerValue(bye, 'via') ?? '', /^SIP\/2\.0\/UDP 192\.0\.2\.1:5060;branch=z9hG4bK/);
  assert.equal(h.sent[1].dest, { address: '192.0.2.20', port: 5080 });
});

test.run();
