import assert from 'node:assert/strict';
import fc from 'fast-check';
import { findCredentials, maskCredentials, type CredentialKind, type ScanMeter } from '../../src/domain/credentialText';
import { maskSecrets } from '../../src/observability/logger';
import { serializeWithoutSecrets } from '../../src/storage/secretGuard';

const part = (value: object): string => Buffer.from(JSON.stringify(value)).toString('base64url');
const JWT = `${part({ alg: 'RS256', typ: 'JWT' })}.${part({ sub: 'someone' })}.${'s'.repeat(20)}`;
const kinds = (text: string, minBearerLength?: number): CredentialKind[] => findCredentials(text, { minBearerLength }).map((s) => s.kind);

describe('credential-shaped text', function () {
  it('when text holds a JWT, a bearer or basic credential, a private key or an Entra client secret, then each is found where it is', function () {
    assert.deepEqual(findCredentials(`id_token=${JWT}&state=1`), [{ kind: 'jwt', start: 9, end: 9 + JWT.length }]);
    assert.deepEqual(kinds(`${JWT.split('.').slice(0, 2).join('.')}.`), ['jwt'], 'an unsigned token too');
    assert.deepEqual(kinds('a.b.c eyJhbGciOiJub25lIn0.eyJzdWIiOiJ4In0.sig.more.parts end'), ['jwt'], 'JWE has five parts');
    assert.deepEqual(kinds('authorization: bearer abcdefghijklmnopqrstuvwxyz0123'), ['bearer_credential']);
    assert.deepEqual(kinds('Authorization: Basic dXNlcjpwYXNzd29yZA=='), ['bearer_credential']);
    assert.deepEqual(kinds('-----BEGIN EC PRIVATE KEY-----\nMHcC\n-----END EC PRIVATE KEY-----'), ['private_key']);
    assert.deepEqual(kinds(`Ab18Q~${'x'.repeat(34)}`), ['client_secret']);
  });

  it('when text is prose or an identifier, then nothing is found', function () {
    for (const text of [
      'Basic auth is disabled',
      'the bearer must sign in again',
      'eyJ alone is not a token',
      'eyJabc.defg.',
      'Bearer short',
      'BEGIN PRIVATE KEY',
      'x1Q~short',
      '6e7f8091-a2b3-4c5d-9e8f-1a2b3c4d5e6f',
    ]) {
      assert.deepEqual(kinds(text), [], text);
    }
  });

  it('when masking, then each credential is replaced and the words around it stay', function () {
    assert.equal(maskCredentials(`Authorization: Bearer ${JWT} (expired)`), 'Authorization: Bearer [jwt redacted] (expired)');
    assert.equal(maskCredentials('Authorization: Basic dXNlcjpwYXNzd29yZA=='), 'Authorization: Basic [redacted]');
    assert.equal(
      maskCredentials('key: -----BEGIN PRIVATE KEY-----\nMIIE\n-----END PRIVATE KEY----- done'),
      'key: [private key redacted] done',
    );
    assert.equal(
      maskSecrets('Authorization: Bearer abcdefghijkl'),
      'Authorization: Bearer [redacted]',
      'the logger masks from 8 characters',
    );
    assert.equal(maskSecrets('no secrets here'), 'no secrets here');
  });

  it('for short texts built from credential pieces, finds exactly what the former regular expressions found (fast-check)', function () {
    // The patterns this scanner replaces, as an oracle: fine on short inputs, quadratic on long ones.
    const former: [CredentialKind, RegExp][] = [
      ['jwt', /eyJ[A-Za-z0-9_-]{4,}\.[A-Za-z0-9_-]{4,}\./],
      ['bearer_credential', /\b(?:Bearer|Basic)\s+[A-Za-z0-9._~+/=-]{16,}/i],
      ['private_key', /-----BEGIN [A-Z0-9 ]*PRIVATE KEY-----/],
      ['client_secret', /[A-Za-z0-9_~.-]{3}\dQ~[A-Za-z0-9_~.-]{30,}/],
    ];
    const piece = fc.constantFrom(
      'eyJ',
      'eyJhbGc',
      '.',
      'abcd',
      'x',
      '_',
      '-',
      '=',
      ' ',
      '\n',
      '\u00A0',
      'Bearer',
      'bAsIc',
      'Basic ',
      'a1',
      '1Q~',
      'Q~',
      'abcdefghijklmnop',
      '-----BEGIN ',
      'RSA ',
      'PRIVATE KEY',
      '-----',
      'é',
      '~',
    );
    fc.assert(
      fc.property(fc.array(piece, { maxLength: 40 }), (pieces) => {
        const text = pieces.join('');
        for (const [kind, pattern] of former) {
          assert.equal(
            findCredentials(text).some((s) => s.kind === kind),
            pattern.test(text),
            `${kind} in ${JSON.stringify(text)}`,
          );
        }
      }),
      { seed: 120_003, numRuns: 3000 },
    );
  });

  describe('Quadratic regular expressions: scans stay linear on hostile input', function () {
    // Linearity is proven by counting, not timing: every scan reads the text through a meter, and on
    // each input built to make the former patterns backtrack (one of them took about a minute at
    // 250,000 characters) the reads stay under a small constant times the length. A quadratic scan
    // would read billions of characters here.
    const n = 250_000;
    const fill = (unit: string, prefix = '', suffix = ''): string => prefix + unit.repeat(Math.ceil(n / unit.length)).slice(0, n) + suffix;
    const hostile: Record<string, string> = {
      'eyJ repeated': fill('eyJ'),
      'one long header without a dot': fill('a', 'eyJ'),
      'headers and dots without payloads': fill('eyJaaaa.'),
      'header.payload pairs without the second dot': fill('eyJaaaa.bbbb '),
      'dots and letters': fill('a.'),
      'Bearer repeated': fill('Bearer '),
      'bearer and a run of spaces': fill(' ', 'bearer', 'x'),
      'Basic and short words': fill('Basic abc '),
      'BEGIN repeated': fill('-----BEGIN '),
      'BEGIN and a long label': fill('A', '-----BEGIN '),
      'a private key header and dashes without an END': fill('-', '-----BEGIN RSA PRIVATE KEY-----'),
      'client secret prefixes with short tails': fill('aa1Q~bbb '),
      'client secret prefixes in one run': fill('1Q~'),
      'random pieces': new Array(n / 5)
        .fill(0)
        .map((_, i) => ['eyJ', '.', 'ab', ' ', 'Bearer', '1Q~', '-----BEGIN '][(i * 7919) % 7])
        .join('')
        .slice(0, n),
    };
    for (const [label, text] of Object.entries(hostile)) {
      it(`when the text is ${label} (${text.length.toLocaleString('en')} characters), then the scan reads each character a bounded number of times`, function () {
        const meter: ScanMeter = { reads: 0 };
        findCredentials(text, { meter });
        assert.ok(meter.reads <= 16 * text.length, `${meter.reads} reads for ${text.length} characters`);
        // The guard and the logger run the same scan over the same text.
        assert.equal(typeof maskSecrets(text), 'string');
        assert.equal(typeof serializeWithoutSecrets({ jobTitle: text }), 'string');
      });
    }
  });
});
