import test from 'ava'
import { DEFAULT_LIMITS, resolveLimits, NSEC3_SOFT_ITERATION_LIMIT, NSEC3_HARD_ITERATION_LIMIT } from '../src/limits.js'

test('the NSEC3 iteration limits are those of RFC 9276 as STYLE.md §5 sets them', (t) => {
  t.deepEqual([NSEC3_SOFT_ITERATION_LIMIT, NSEC3_HARD_ITERATION_LIMIT], [100, 500])
})

test('overrides change only the limits given', (t) => {
  const l = resolveLimits({ maxCnameChain: 3 })
  t.is(l.maxCnameChain, 3)
  t.is(l.maxReferralDepth, DEFAULT_LIMITS.maxReferralDepth)
})
