/** The audit log of admin changes, newest first. */
import { get } from './api.js'
import { badge, h, notice, show, table } from './dom.js'

interface Entry { time: string, actor: string, address: string, action: string, method: string, path: string, status: number, ok: boolean, detail?: unknown }

function summary(d: unknown): string {
  if (d === undefined) return ''
  const s = JSON.stringify(d)
  return s.length > 300 ? `${s.slice(0, 300)}…` : s
}

/** Render the audit page. */
export async function auditPage(): Promise<void> {
  const a = await get<{ file: string | null, entries: Entry[] }>('/audit?limit=500')
  const rows = [...a.entries].reverse()
  show(
    h('h1', {}, 'Audit log'),
    h('p', { class: 'muted' }, a.file !== null ? `Every change made through the admin API, from ${a.file} (JSON lines).` : 'Every change made through the admin API (kept in memory: set listeners.admin.auditLog or dataDir to keep it in a file).'),
    rows.length === 0 ? notice('No changes yet.') : table(['Time', 'Who', 'From', 'Action', 'Request', 'Result', 'Detail'], rows.map((e) => [
      e.time.replace('T', ' ').replace(/\.\d+Z$/, 'Z'), e.actor, e.address, e.action, h('span', { class: 'mono' }, `${e.method} ${e.path}`),
      e.ok ? badge(String(e.status), 'ok') : badge(String(e.status), 'bad'), h('td', { class: 'rdata' }, summary(e.detail)),
    ])),
  )
}
