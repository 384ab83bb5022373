import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { parseRsMetadata } from './rs-metadata.js';
import { mapLegs, type LegRules } from './call-legs.js';
import { negotiateOffer, parseSdp } from './sdp.js';
import { numberFromUri } from './e164.js';
import { parseXml } from './xml-tree.js';
import { ACME_ORACLE, BROADWORKS, CISCO_CUBE, SONUS_RIBBON } from './fixtures/rs-metadata-samples.js';
import { sdpOffer } from './fixtures/siprec-invite.js';

const RULES: LegRules = { protectedLeg: 'auto', subscriberPrefixes: [], defaultDirection: 'incoming' };

function legsFor(xml: string, labels: [string, string], rules = RULES, countryCode?: string) {
  const md = parseRsMetadata(xml, countryCode);
  if (!md.ok) throw new Error(md.detail);
  const sdp = parseSdp(sdpOffer({ labels }));
  if (!sdp.ok) throw new Error('sdp');
  return { md: md.metadata, map: mapLegs(negotiateOffer(sdp.sdp), md.metadata, rules) };
}

test('Acme/Oracle style (draft schema, apkt:callingParty)', () => {
  const { md, map } = legsFor(ACME_ORACLE, ['1', '2']);
  assert.is(md.schema, 'draft');
  assert.is(md.sessionId, 'urn:uuid:2fe1e3f0-3a2c-4c1a-9a44-000000000001');
  assert.equal(
    map.legs.map((l) => [l.role, l.e164]),
    [
      ['caller', '+33612345678'],
      ['callee', '+33698765432'],
    ],
  );
  assert.is(map.mappingSource, 'label');
  assert.is(map.roleSource, 'metadata');
  assert.is(map.protectedLeg, 1);
});

test('Cisco CUBE style (RFC 7865, participantstreamassoc, national number, inbound direction)', () => {
  const { md, map } = legsFor(CISCO_CUBE, ['1', '2'], RULES, '33');
  assert.is(md.schema, 'rfc7865');
  assert.is(md.directionHint, 'incoming');
  assert.equal(
    map.legs.map((l) => [l.role, l.e164]),
    [
      ['caller', '+33612345678'],
      ['callee', '+33698765432'],
    ],
  );
  assert.is(map.protectedLeg, 1);
  // Without a country code the national number is not turned into E.164.
  assert.is(legsFor(CISCO_CUBE, ['1', '2']).map.legs[0].e164, null);
});

test('Sonus/Ribbon style (prefixed elements, callee listed first, role extension)', () => {
  const { map } = legsFor(SONUS_RIBBON, ['10', '11']);
  assert.equal(
    map.legs.map((l) => [l.role, l.e164]),
    [
      ['caller', '+4930123456789'],
      ['callee', '+4915112345678'],
    ],
  );
  assert.is(map.protectedLeg, 1);
});

test('BroadWorks style (tel: URIs with separators, no hints: document order)', () => {
  const { map } = legsFor(BROADWORKS, ['a1', 'a2']);
  assert.equal(
    map.legs.map((l) => [l.role, l.e164]),
    [
      ['caller', '+12125550100'],
      ['callee', '+16465550199'],
    ],
  );
  assert.is(map.roleSource, 'document-order');
});

test('protected leg rules: caller, subscriber prefixes decide direction, outgoing -> caller', () => {
  assert.is(legsFor(BROADWORKS, ['a1', 'a2'], { ...RULES, protectedLeg: 'caller' }).map.protectedLeg, 0);
  const out = legsFor(BROADWORKS, ['a1', 'a2'], { ...RULES, subscriberPrefixes: ['+1212'] }).map;
  assert.is(out.direction, 'outgoing');
  assert.is(out.protectedLeg, 0);
  assert.is(legsFor(BROADWORKS, ['a1', 'a2'], { ...RULES, defaultDirection: 'outgoing' }).map.protectedLeg, 0);
});

test('labels that match nothing fall back to m-line order', () => {
  const { map } = legsFor(BROADWORKS, ['x', 'y']);
  assert.is(map.mappingSource, 'order');
  assert.equal(
    map.legs.map((l) => l.role),
    ['caller', 'callee'],
  );
});

test('bad metadata: coded errors, no throw, DOCTYPE refused', () => {
  const bad: Array<[string, string]> = [
    ['', 'METADATA_MALFORMED'],
    ['<recording>', 'METADATA_MALFORMED'],
    ['<recording><participant></recording>', 'METADATA_MALFORMED'],
    ['<!DOCTYPE x [<!ENTITY a "aaaa">]><recording/>', 'METADATA_MALFORMED'],
    ['<foo/>', 'METADATA_INVALID'],
    ['<recording xmlns="urn:ietf:params:xml:ns:recording:1"/>', 'METADATA_INVALID'],
    ['<recording><participant/></recording>', 'METADATA_INVALID'],
    ['<recording a="&bogus;"/>', 'METADATA_MALFORMED'],
  ];
  for (const [xml, code] of bad) {
    const r = parseRsMetadata(xml);
    assert.ok(!r.ok, xml);
    if (!r.ok) assert.is(r.code, code, xml);
  }
  const deep = '<a>'.repeat(100) + '</a>'.repeat(100);
  assert.ok(!parseXml(deep).ok);
});

test('E.164 from URIs', () => {
  const cases: Array<[string, string | null, string?]> = [
    ['tel:+33612345678', '+33612345678'],
    ['tel:+1-212-555-0100;phone-context=+1', '+12125550100'],
    ['sip:+4915112345678@ims.example;user=phone', '+4915112345678'],
    ['sip:004930123456789@gw', '+4930123456789'],
    ['sip:0612345678@gw', '+33612345678', '33'],
    ['sip:0612345678@gw', null],
    ['sip:alice@example.com', null],
    ['sip:%2B33612345678@gw', '+33612345678'],
    ['mailto:x@y', null],
  ];
  for (const [uri, e164, cc] of cases) assert.is(numberFromUri(uri, cc).e164, e164, uri);
});

test.run();
