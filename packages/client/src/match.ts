/**
 * NRPT matching. The most specific rule wins, as in Windows:
 *   1. a rule whose FQDN namespace is the query name;
 *   2. else the rule with the longest matching suffix (a subnet counts as the reverse
 *      suffix its prefix spells, see {@link namespaceSpecificity});
 *   3. else a `.` rule;
 *   4. else no rule: the default servers, no DNSSEC policy.
 * Equal specificity cannot happen between two namespaces of one kind (the loader refuses
 * duplicates); between a subnet and the same-length suffix the earlier rule wins.
 */
import { Name } from '@secdns/wire'
import { NAMESPACE_RANK, namespaceCovers, namespaceSpecificity, reverseAddress, type Namespace } from './namespace.js'
import type { CompiledNrpt, CompiledRule } from './nrpt.js'

/** One rule namespace that covers the name. */
export interface Candidate {
  readonly rule: CompiledRule
  readonly namespace: Namespace
  /** [rank, specificity, -index]: compared lexicographically, bigger wins. */
  readonly score: readonly [number, number, number]
}

/** The outcome of matching a name against the table. */
export interface NrptMatch {
  /** The winning rule, or undefined when no rule covers the name. */
  readonly rule: CompiledRule | undefined
  /** The namespace of the winning rule that matched. */
  readonly namespace: Namespace | undefined
  /** Every covering namespace, best first. */
  readonly candidates: readonly Candidate[]
  /** Why this rule applies, in words. */
  readonly reason: string
}

/** Compare two scores: positive when `a` is more specific than `b`. */
export function compareScore(a: readonly [number, number, number], b: readonly [number, number, number]): number {
  return a[0] - b[0] || a[1] - b[1] || a[2] - b[2]
}

function kindWords(ns: Namespace): string {
  switch (ns.kind) {
    case 'fqdn': return `the FQDN ${ns.text}`
    case 'suffix': return `the suffix ${ns.text} (${ns.name.labelCount} label${ns.name.labelCount === 1 ? '' : 's'})`
    case 'subnet': return `the subnet ${ns.text} (reverse names under a /${ns.prefix})`
    case 'any': return 'the "." rule (any name)'
  }
}

/**
 * Find the rule that applies to `name`.
 *
 * @param nrpt a compiled table
 * @param name the query name (string or Name)
 * @example
 * const m = matchNrpt(nrpt, 'www.corp.example')
 * m.rule?.rule.name // the winning rule
 */
export function matchNrpt(nrpt: CompiledNrpt, name: Name | string): NrptMatch {
  const n = typeof name === 'string' ? Name.fromString(name.endsWith('.') ? name : `${name}.`) : name
  const rev = reverseAddress(n)
  const candidates: Candidate[] = []
  for (const rule of nrpt.rules) {
    for (const ns of rule.namespaces) {
      if (namespaceCovers(ns, n, rev)) {
        candidates.push({ rule, namespace: ns, score: [NAMESPACE_RANK[ns.kind], namespaceSpecificity(ns), -rule.index] })
      }
    }
  }
  candidates.sort((a, b) => compareScore(b.score, a.score))
  const best = candidates[0]
  if (best === undefined) {
    return { rule: undefined, namespace: undefined, candidates, reason: `no rule covers ${n.toString()}: default servers, no DNSSEC policy` }
  }
  const others = candidates.slice(1).map((c) => `rule "${c.rule.rule.name}" (${c.namespace.text})`)
  const exempt = best.rule.exempt ? '; the rule has no name servers, so the name is exempt: default servers, no DNSSEC policy' : ''
  const beat = others.length === 0 ? '' : `; it is more specific than ${others.join(', ')}`
  const reason = `${n.toString()} matches ${kindWords(best.namespace)} of rule "${best.rule.rule.name}"${beat}${exempt}`
  return { rule: best.rule, namespace: best.namespace, candidates, reason }
}
