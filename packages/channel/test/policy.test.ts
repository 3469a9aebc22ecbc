import test from 'ava'
import { chooseTransform, clientProposals, satisfiesLevel, ENCRYPTION_LEVELS, SERVER_ENCRYPTION, type EncryptionLevel, type ServerEncryption } from '../src/policy.js'
import type { TransformName } from '../src/transforms.js'

const expected: Record<EncryptionLevel, Record<ServerEncryption, TransformName | undefined>> = {
  None: { require: undefined, request: 'AES-GMAC', none: 'AES-GMAC' },
  Low: { require: 'AES-256-GCM', request: 'AES-256-GCM', none: 'AES-GMAC' },
  Medium: { require: 'AES-256-GCM', request: 'AES-256-GCM', none: undefined },
  High: { require: 'AES-256-GCM', request: 'AES-256-GCM', none: undefined },
}

for (const level of ENCRYPTION_LEVELS) {
  for (const rule of SERVER_ENCRYPTION) {
    test(`client ${level} against server ${rule} negotiates ${expected[level][rule] ?? 'nothing'}`, (t) => {
      const got = chooseTransform(clientProposals(level), rule)
      t.is(got, expected[level][rule])
      if (got !== undefined) t.true(satisfiesLevel(level, got))
    })
  }
}

test('levels that require encryption never offer integrity only', (t) => {
  for (const level of ['Medium', 'High'] as const) t.false(clientProposals(level).includes('AES-GMAC'))
  t.false(satisfiesLevel('Medium', 'AES-GMAC'))
  t.false(satisfiesLevel('High', 'AES-128-GCM'))
  t.true(satisfiesLevel('High', 'ChaCha20-Poly1305'))
})

test('a server preference list picks ChaCha20-Poly1305 when the client offers it', (t) => {
  t.is(chooseTransform(['ChaCha20-Poly1305', 'AES-256-GCM'], 'require', ['ChaCha20-Poly1305']), 'ChaCha20-Poly1305')
  t.is(chooseTransform(['AES-128-GCM'], 'require', ['ChaCha20-Poly1305']), undefined)
})
