import { describe, expect, it } from '@jest/globals';
import { createPublicKey, generateKeyPairSync } from 'node:crypto';
import fc from 'fast-check';
import { keyIdOf, signCheckpoint } from './checkpoint.js';
import { GENESIS_HASH, sealEntry, type AuditEntryData } from './hash-chain.js';
import { inclusionProof, merkleRoot } from './merkle.js';
import { parseReceipt, verifyReceipt } from './receipt.js';

const { privateKey } = generateKeyPairSync('ed25519');
const publicKey = createPublicKey(privateKey);
const otherKey = createPublicKey(generateKeyPairSync('ed25519').privateKey);

const entries: AuditEntryData[] = [];
for (let seq = 1; seq <= 5; seq++) {
  entries.push(
    sealEntry(
      { ledger: 'rcpt', actor: 'a@d', action: 'test.step', subjectType: 'Test', subjectId: String(seq), parties: ['d'], payload: { seq } },
      seq,
      entries.at(-1)?.hash ?? GENESIS_HASH,
      new Date(Date.UTC(2026, 10, 27, 8, 30, seq)),
    ),
  );
}
const hashes = entries.map((e) => e.hash);
const checkpoint = signCheckpoint(
  { ledger: 'rcpt', size: 5, rootHash: merkleRoot(hashes), signedAt: '2026-11-27T08:31:00.000Z' },
  privateKey,
);
/** As GraphQL serves it: seq and size as strings. */
const served = {
  ledger: 'rcpt',
  seq: '3',
  entryHash: hashes[2],
  entry: { ...entries[2], seq: '3' },
  checkpoint: { ...checkpoint, size: '5' },
  proof: inclusionProof(hashes, 2, 5),
};

describe('reading a receipt', () => {
  it('reads seq and size as numbers or decimal strings, and verifies', () => {
    expect(verifyReceipt(parseReceipt(JSON.stringify(served)), publicKey)).toEqual({ ok: true });
    const numeric = { ...served, seq: 3, entry: entries[2], checkpoint };
    expect(verifyReceipt(parseReceipt(JSON.stringify(numeric)), publicKey)).toEqual({ ok: true });
    // A GraphQL selection beside its document: what it shows agrees with the document.
    const selection = { __typename: 'AuditReceipt', seq: '3', entry: { seq: '3', payload: { seq: 3 } }, document: served };
    expect(verifyReceipt(parseReceipt(JSON.stringify(selection)), publicKey)).toEqual({ ok: true });
  });

  it('refuses a wrapper that shows beside its document what the document does not say', () => {
    const forged = { entry: { ...served.entry, payload: { seq: 3, purpose: 'FORGED' } }, document: served };
    expect(() => parseReceipt(JSON.stringify(forged))).toThrow(
      'not a receipt: entry.payload.purpose beside its document differs from the document, which is what verifies',
    );
    expect(() => parseReceipt(JSON.stringify({ seq: 'ignored', document: served }))).toThrow(
      /^not a receipt: seq beside its document differs/,
    );
    // Positions as the service writes them: no leading zero.
    expect(() => parseReceipt(JSON.stringify({ ...served, seq: '03' }))).toThrow('not a receipt: seq must be a positive whole number');
  });

  it('any JSON at all is a receipt or one sentence saying what is wrong; never a crash', () => {
    const oneLine = (run: () => unknown) => {
      try {
        run();
      } catch (error) {
        expect(error).toBeInstanceOf(Error);
        expect((error as Error).constructor).toBe(Error);
        expect((error as Error).message).toMatch(/^(not a receipt: |the receipt is not valid JSON)[^\n]*$/);
      }
    };
    fc.assert(
      fc.property(fc.jsonValue(), (value) => {
        oneLine(() => parseReceipt(JSON.stringify(value)));
      }),
    );
    // A real receipt with any one field replaced by any JSON value: read or refused, and never a crash in verification.
    const paths = [
      'ledger',
      'seq',
      'entryHash',
      'proof',
      'checkpoint',
      'entry',
      'checkpoint.size',
      'checkpoint.keyId',
      'checkpoint.signature',
      'entry.seq',
      'entry.parties',
      'entry.payload',
      'entry.hash',
    ];
    fc.assert(
      fc.property(fc.constantFrom(...paths), fc.jsonValue(), (path, value) => {
        const copy = structuredClone(served) as Record<string, any>;
        const [head, tail] = path.split('.');
        if (tail) copy[head][tail] = value;
        else copy[head] = value;
        oneLine(() => verifyReceipt(parseReceipt(JSON.stringify(copy)), publicKey));
      }),
    );
    for (const text of ['null', '[]', '42', '"receipt"', '{}', '{"ledger":"x","seq":null}', 'not json']) oneLine(() => parseReceipt(text));
    expect(() => parseReceipt('null')).toThrow('not a receipt: a receipt is a JSON object');
  });
});

describe('verifying a receipt', () => {
  const check = (receipt: unknown, key = publicKey) => verifyReceipt(parseReceipt(JSON.stringify(receipt)), key);

  it('uses the key the checkpoint names, and says so when it is not the key given', () => {
    expect(check(served, otherKey)).toEqual({
      ok: false,
      reason: expect.stringContaining(`names key ${keyIdOf(publicKey)}, not the key given (${keyIdOf(otherKey)})`),
    });
    expect(check({ ...served, checkpoint: { ...served.checkpoint, keyId: keyIdOf(otherKey) } }, otherKey)).toEqual({
      ok: false,
      reason: expect.stringMatching(/signature does not verify/),
    });
  });

  it('refuses an entry whose own hash field disagrees with entryHash', () => {
    expect(check({ ...served, entry: { ...served.entry, hash: hashes[1] } })).toEqual({
      ok: false,
      reason: expect.stringMatching(/hash field is not entryHash/),
    });
  });

  it('refuses an entry that does not hash to entryHash, another ledger, a seq past the checkpoint, a wrong proof', () => {
    expect(check({ ...served, entry: { ...served.entry, payload: { seq: 4 } } })).toMatchObject({
      ok: false,
      reason: expect.stringMatching(/does not hash/),
    });
    expect(check({ ...served, checkpoint: { ...served.checkpoint, ledger: 'other' } })).toMatchObject({
      ok: false,
      reason: expect.stringMatching(/another ledger/),
    });
    expect(check({ ...served, entry: null, seq: '6', entryHash: hashes[2] })).toMatchObject({
      ok: false,
      reason: expect.stringMatching(/past the checkpoint/),
    });
    expect(check({ ...served, proof: served.proof.slice(1) })).toMatchObject({
      ok: false,
      reason: expect.stringMatching(/inclusion proof/),
    });
    expect(check({ ...served, checkpoint: null })).toMatchObject({ ok: false, reason: expect.stringMatching(/no checkpoint/) });
  });
});
