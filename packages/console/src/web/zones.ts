/** The zones page: signed or not, algorithms, keys and their state, DS for the parent, signature expiry. */
import { get, post, ApiError } from './api.js'
import { badge, duration, h, notice, show, table, type Child } from './dom.js'

interface Key { keyTag: number, flags: number, role: string, algorithm: number, algorithmName: string, state: string, signs: string[] }
interface Zone {
  name: string, type: string, serial?: number, signed?: boolean, loadedAt?: string, error?: string
  denial?: 'NSEC' | 'NSEC3' | null, nsec3?: { iterations: number, salt: string, optOut: boolean }
  algorithms?: { number: number, name: string }[], keys?: Key[], ds?: string[], records?: number, rrsigs?: number
  earliest?: { expiration: string, owner: string, type: string, keyTag: number, secondsLeft: number }
  orphanSignatures?: number[], warning?: string
}

function keyCell(k: Key): Child {
  const kind = k.state === 'active' ? 'ok' : k.state === 'revoked' ? 'bad' : 'warn'
  return h('div', {}, h('span', { class: 'mono' }, `${k.role} ${k.keyTag}`), ' ', h('span', { class: 'muted' }, k.algorithmName), ' ', badge(k.state, kind),
    k.signs.length > 0 ? h('span', { class: 'muted' }, ` signs ${k.signs.length > 4 ? `${k.signs.slice(0, 4).join(' ')} …` : k.signs.join(' ')}`) : null)
}

function expiryCell(z: Zone): Child {
  if (z.earliest === undefined) return h('span', { class: 'muted' }, '—')
  const left = z.earliest.secondsLeft
  return h('div', {},
    h('div', {}, z.earliest.expiration.replace('T', ' ').replace(/\.\d+Z$/, 'Z')),
    h('div', { class: z.warning !== undefined ? 'warning' : 'muted' }, left <= 0 ? 'expired' : `in ${duration(left)}`),
    z.warning !== undefined ? badge('re-sign soon', left <= 0 ? 'bad' : 'warn') : null)
}

/**
 * Render the zones page.
 *
 * @param message a notice to show above the table (the outcome of a reload, which re-renders the page)
 */
export async function zonesPage(message?: HTMLElement): Promise<void> {
  const { zones } = await get<{ zones: Zone[] }>('/console/api/zones')
  const msg = h('div', {}, message ?? null)
  const reload = (name?: string) => async (ev: Event): Promise<void> => {
    const b = ev.currentTarget as HTMLButtonElement
    b.disabled = true
    try {
      const r = await post<{ results: { zone: string, ok: boolean, serial?: number }[] }>(name === undefined ? '/reload' : `/reload/${encodeURIComponent(name)}`)
      // The page is drawn again with the new serials; the outcome stays on it.
      await zonesPage(notice(r.results.map((x) => `${x.zone}: ${x.ok ? `reloaded, serial ${x.serial}` : 'failed'}`).join('; '), 'ok'))
    } catch (e) {
      msg.replaceChildren(notice(`Reload failed: ${(e as ApiError).message}`, 'error'))
      b.disabled = false
    }
  }
  const rows = zones.map((z) => [
    h('td', {}, h('a', { href: `#/zone/${encodeURIComponent(z.name)}` }, z.name), h('div', { class: 'muted' }, `${z.type}, serial ${z.serial ?? '—'}`),
      z.error !== undefined ? h('div', { class: 'error' }, z.error) : null),
    h('td', {}, z.signed === true ? badge('signed', 'ok') : badge('unsigned'),
      z.denial === 'NSEC3' ? h('div', { class: 'muted' }, `NSEC3, ${z.nsec3?.iterations ?? 0} iterations, salt ${z.nsec3?.salt ?? '-'}${z.nsec3?.optOut === true ? ', opt-out' : ''}`)
        : z.denial === 'NSEC' ? h('div', { class: 'muted' }, 'NSEC') : null),
    (z.algorithms ?? []).map((a) => h('div', {}, `${a.name} (${a.number})`)),
    h('td', {}, (z.keys ?? []).map(keyCell), (z.orphanSignatures ?? []).length > 0 ? h('div', { class: 'warning' }, `signatures by key tags not in the DNSKEY RRset: ${z.orphanSignatures!.join(', ')}`) : null),
    h('td', { class: 'rdata' }, (z.ds ?? []).map((d) => h('div', {}, d))),
    h('td', {}, expiryCell(z)),
    h('td', {}, h('button', { type: 'button', class: 'secondary', onclick: reload(z.name) }, 'Reload')),
  ])
  show(
    h('h1', {}, 'Zones'),
    h('div', { class: 'toolbar' }, h('span', { class: 'muted' }, `${zones.length} zone(s). The DS column is what to hand to the parent zone (SHA-256).`),
      h('button', { type: 'button', class: 'secondary', onclick: reload() }, 'Reload all zones')),
    msg,
    zones.length === 0 ? notice('This server has no zones.') : table(['Zone', 'DNSSEC', 'Algorithms', 'Keys (state)', 'DS for the parent', 'Earliest signature expiry', ''], rows, (i) => ({ 'data-zone': zones[i]!.name })),
  )
}
