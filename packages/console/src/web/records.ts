/** One zone's records, each RRset followed by its RRSIGs, with NSEC/NSEC3; filter by type and owner. */
import { get } from './api.js'
import { h, notice, show, table } from './dom.js'

interface Rec { name: string, ttl: number, type: string, rdata: string, covers?: string }
interface Page { zone: string, signed: boolean, serial: number, total: number, offset: number, limit: number, records: Rec[] }

const TYPES = ['', 'SOA', 'NS', 'A', 'AAAA', 'MX', 'TXT', 'CNAME', 'DS', 'DNSKEY', 'RRSIG', 'NSEC', 'NSEC3', 'NSEC3PARAM']

/**
 * Render a zone's records.
 * @param zone the zone name
 * @param params type, name, offset from the page address
 */
export async function recordsPage(zone: string, params: URLSearchParams): Promise<void> {
  const q = new URLSearchParams()
  for (const k of ['type', 'name', 'offset']) { const v = params.get(k); if (v !== null && v !== '') q.set(k, v) }
  q.set('limit', '500')
  const p = await get<Page>(`/console/api/zones/${encodeURIComponent(zone)}/records?${q.toString()}`)
  const go = (next: URLSearchParams): void => { location.hash = `#/zone/${encodeURIComponent(zone)}?${next.toString()}` }
  const typeSel = h('select', { id: 'type-filter', 'aria-label': 'type' }, TYPES.map((t) => h('option', { value: t, selected: (params.get('type') ?? '') === t }, t === '' ? 'all types' : t)))
  const nameIn = h('input', { id: 'name-filter', type: 'search', placeholder: 'owner contains…', value: params.get('name') ?? '' })
  const apply = (ev: Event): void => { ev.preventDefault(); const n = new URLSearchParams(); if (typeSel.value !== '') n.set('type', typeSel.value); if (nameIn.value !== '') n.set('name', nameIn.value); go(n) }
  const page = (offset: number) => (): void => { const n = new URLSearchParams(q); n.delete('limit'); n.set('offset', String(offset)); go(n) }
  const counts = new Map<string, number>()
  for (const r of p.records) counts.set(r.type, (counts.get(r.type) ?? 0) + 1)
  show(
    h('h1', {}, `Zone ${p.zone}`, ' ', h('span', { class: 'muted' }, `serial ${p.serial}, ${p.signed ? 'signed' : 'not signed'}`)),
    h('form', { class: 'inline', onsubmit: apply }, typeSel, nameIn, h('button', { type: 'submit' }, 'Filter'),
      h('a', { href: '#/zones' }, 'back to zones')),
    h('p', { class: 'muted' }, `${p.total} record(s) match; showing ${p.records.length === 0 ? 0 : p.offset + 1}–${p.offset + p.records.length}. On this page: `,
      [...counts].map(([t, n]) => `${t} ${n}`).join(', ') || 'none'),
    p.records.length === 0 ? notice('No records match.') : table(['Owner', 'TTL', 'Type', 'Data'],
      p.records.map((r) => [r.name, r.ttl, r.covers !== undefined ? `RRSIG (${r.covers})` : r.type, h('td', { class: 'rdata' }, r.rdata)]),
      (i) => ({ class: p.records[i]!.type === 'RRSIG' ? 'sig' : undefined, 'data-type': p.records[i]!.type })),
    h('div', { class: 'toolbar' },
      h('button', { type: 'button', class: 'secondary', disabled: p.offset === 0, onclick: page(Math.max(0, p.offset - p.limit)) }, 'Previous'),
      h('button', { type: 'button', class: 'secondary', disabled: p.offset + p.records.length >= p.total, onclick: page(p.offset + p.limit) }, 'Next')),
  )
}
