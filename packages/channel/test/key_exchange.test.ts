import test from 'ava'
import { createKeyShare, groupById, GROUPS, type GroupName } from '../src/key_exchange.js'

for (const g of ['X25519', 'P-256'] as GroupName[]) {
  test(`${g} shares agree on one secret`, (t) => {
    const a = createKeyShare(g), b = createKeyShare(g)
    t.deepEqual(Buffer.from(a.computeSecret(b.publicKey)), Buffer.from(b.computeSecret(a.publicKey)))
    t.is(groupById(GROUPS[g]), g)
  })

  test(`${g} rejects a key share of the wrong length`, (t) => {
    t.throws(() => createKeyShare(g).computeSecret(new Uint8Array(31)), { code: 'ERR_CHANNEL_BAD_KEY_SHARE' })
  })
}

test('X25519 rejects a low-order point (all-zero secret)', (t) => {
  t.throws(() => createKeyShare('X25519').computeSecret(new Uint8Array(32)), { code: 'ERR_CHANNEL_BAD_KEY_SHARE' })
})

test('P-256 rejects a point that is not on the curve', (t) => {
  const bad = new Uint8Array(65); bad[0] = 4; bad[64] = 1
  t.throws(() => createKeyShare('P-256').computeSecret(bad), { code: 'ERR_CHANNEL_BAD_KEY_SHARE' })
})

test('unknown group numbers are not groups', (t) => {
  t.is(groupById(14), undefined)
})
