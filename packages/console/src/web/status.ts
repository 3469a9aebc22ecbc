/** Server status: listeners, counters, channel clients and their protection, validation. */
import { get } from './api.js'
import { badge, h, notice, show, table } from './dom.js'

interface Session { sessionId: string, address: string, subject: string, issuer: string, transform: string, group: string, prf: string, encrypted: boolean, establishedAt: string, rekeys: number }
interface Status {
  zones: { name: string, type: string, serial?: number, signed?: boolean, error?: string }[]
  listeners: { kind: string, address: string, port: number }[]
  counters: Record<string, number>
  channels: { stats: Record<string, unknown> | null, sessions: Session[] }[]
  recursion: { validation: Record<string, number> | null, trustAnchors: number | null } | null
}

const cards = (o: Record<string, number>): HTMLElement => h('div', { class: 'cards' },
  Object.entries(o).map(([k, v]) => h('div', { class: 'card' }, h('div', { class: 'n' }, String(v)), h('div', { class: 'l' }, k))))

/** Render the status page. */
export async function statusPage(): Promise<void> {
  const s = await get<Status>('/console/api/status')
  const sessions = s.channels.flatMap((c) => c.sessions)
  const chanStats: Record<string, number> = {}
  for (const c of s.channels) {
    for (const [k, v] of Object.entries(c.stats ?? {})) if (typeof v === 'number') chanStats[k] = (chanStats[k] ?? 0) + v
  }
  show(
    h('h1', {}, 'Server status'),
    h('h2', {}, 'Listeners'),
    table(['Kind', 'Address', 'Port'], s.listeners.map((l) => [l.kind, l.address, l.port])),
    h('h2', {}, 'Queries'),
    cards(s.counters),
    h('h2', {}, 'Validation'),
    s.recursion === null ? notice('Recursion is off: this server only answers for its own zones.')
      : h('div', {}, cards({ ...(s.recursion.validation ?? {}), ...(s.recursion.trustAnchors === null ? {} : { 'trust anchors': s.recursion.trustAnchors }) })),
    h('h2', {}, 'Protected-channel clients'),
    s.channels.length === 0 ? notice('No channel listener is configured.') : h('div', {},
      cards(chanStats),
      sessions.length === 0 ? notice('No client is connected now.') : table(['Client', 'Address', 'Protection', 'Key exchange', 'Since', 'Rekeys'], sessions.map((x) => [
        h('div', {}, x.subject, h('div', { class: 'muted' }, `issued by ${x.issuer}`)), x.address,
        h('div', {}, x.encrypted ? badge('encrypted', 'ok') : badge('integrity only', 'warn'), ' ', x.transform), `${x.group}, ${x.prf}`,
        x.establishedAt.replace('T', ' ').replace(/\.\d+Z$/, 'Z'), x.rekeys,
      ]))),
    h('h2', {}, 'Zones'),
    table(['Zone', 'Type', 'Serial', 'Signed', 'Problem'], s.zones.map((z) => [z.name, z.type, z.serial ?? '—', z.signed === true ? badge('signed', 'ok') : badge('unsigned'), z.error ?? ''])),
  )
}
