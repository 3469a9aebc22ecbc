/**
 * Trust anchors: the list in use, add from pasted DNSKEY/DS text, or fetch a zone's DNSKEY
 * RRset and confirm which keys to trust after comparing key tags and DS digests; remove.
 * Every change goes to the admin API's /trust-anchors, which writes TrustAnchors.dns
 * atomically and takes effect at once.
 */
import { del, get, post, ApiError } from './api.js'
import { badge, h, notice, show, table } from './dom.js'

interface Anchor { zone: string, type: string, keyTag: number, algorithm: number, rdata: string, line?: number }
interface Fetched {
  zone: string, server: string, selfSigned: boolean
  keys: { keyTag: number, flags: number, sep: boolean, algorithm: number, algorithmName: string, dsSha256: string, record: string }[]
}

/** Render the trust anchors page. */
export async function anchorsPage(message?: HTMLElement): Promise<void> {
  let anchors: Anchor[]
  try {
    anchors = (await get<{ anchors: Anchor[] }>('/trust-anchors')).anchors
  } catch (e) {
    show(h('h1', {}, 'Trust anchors'), notice((e as ApiError).message, 'error'))
    return
  }
  const msg = h('div', { id: 'anchor-message' }, message ?? null)
  const fail = (what: string, e: unknown): void => { msg.replaceChildren(notice(`${what}: ${(e as ApiError).message}`, 'error')) }

  const remove = (a: Anchor) => async (ev: Event): Promise<void> => {
    const b = ev.currentTarget as HTMLButtonElement
    // Two clicks: the first asks, the second removes.
    if (b.dataset['armed'] !== 'yes') { b.dataset['armed'] = 'yes'; b.textContent = `Confirm: remove ${a.type} ${a.keyTag}`; return }
    b.disabled = true
    try {
      const r = await del<{ removed: Anchor[] }>(`/trust-anchors/${encodeURIComponent(a.zone)}?keyTag=${a.keyTag}&type=${a.type}`)
      await anchorsPage(notice(`Removed ${r.removed.map((x) => `${x.zone} ${x.type} ${x.keyTag}`).join(', ')}.`, 'ok'))
    } catch (e) { fail('Remove failed', e); b.disabled = false }
  }

  const text = h('textarea', { id: 'anchor-text', placeholder: 'example.test. 3600 IN DNSKEY 257 3 13 …   or   example.test. IN DS 12345 13 2 …', spellcheck: 'false' })
  const addText = async (ev: Event): Promise<void> => {
    ev.preventDefault()
    try {
      const r = await post<{ added: Anchor[], skipped: number }>('/trust-anchors', { records: text.value })
      await anchorsPage(notice(`Added ${r.added.length} anchor(s)${r.added.length > 0 ? `: ${r.added.map((x) => `${x.zone} ${x.type} ${x.keyTag}`).join(', ')}` : ''}${r.skipped > 0 ? `; ${r.skipped} already present` : ''}.`, 'ok'))
    } catch (e) { fail('Add failed', e) }
  }

  const zoneIn = h('input', { id: 'fetch-zone', placeholder: 'zone, e.g. example.test', required: true })
  const serverIn = h('input', { id: 'fetch-server', placeholder: 'server (default: this server)' })
  const confirmBox = h('div', { id: 'fetch-confirm' })
  const fetchKeys = async (ev: Event): Promise<void> => {
    ev.preventDefault()
    confirmBox.replaceChildren(h('p', { class: 'muted' }, 'Fetching…'))
    let f: Fetched
    try {
      const q = new URLSearchParams({ zone: zoneIn.value.trim() })
      if (serverIn.value.trim() !== '') q.set('server', serverIn.value.trim())
      f = await get<Fetched>(`/console/api/dnskey?${q.toString()}`)
    } catch (e) { confirmBox.replaceChildren(notice(`Fetch failed: ${(e as ApiError).message}`, 'error')); return }
    const boxes = f.keys.map((k) => h('input', { type: 'checkbox', checked: k.sep, 'data-keytag': k.keyTag, 'aria-label': `trust key ${k.keyTag}` }))
    const trust = async (): Promise<void> => {
      const chosen = f.keys.filter((_, i) => boxes[i]!.checked)
      if (chosen.length === 0) { confirmBox.prepend(notice('Select at least one key.', 'error')); return }
      try {
        const r = await post<{ added: Anchor[], skipped: number }>('/trust-anchors', { records: chosen.map((k) => k.record).join('\n') })
        await anchorsPage(notice(`Trusted ${f.zone}: key tag(s) ${r.added.map((x) => x.keyTag).join(', ') || 'none new'}${r.skipped > 0 ? `; ${r.skipped} already present` : ''}.`, 'ok'))
      } catch (e) { fail('Add failed', e) }
    }
    confirmBox.replaceChildren(
      h('h2', {}, `DNSKEY RRset of ${f.zone} from ${f.server}`),
      h('p', {}, f.selfSigned ? badge('signed by its own SEP key', 'ok') : badge('NOT signed by its own SEP key', 'bad'),
        ' Compare the key tags and DS digests with what the zone\'s operator publishes before trusting them.'),
      table(['Trust', 'Key tag', 'Flags', 'Algorithm', 'DS SHA-256'], f.keys.map((k, i) => [
        boxes[i]!, h('span', { class: 'mono' }, String(k.keyTag)), `${k.flags}${k.sep ? ' (SEP/KSK)' : ' (ZSK)'}`, `${k.algorithmName} (${k.algorithm})`, h('td', { class: 'rdata' }, k.dsSha256),
      ])),
      h('div', { class: 'toolbar' }, h('button', { type: 'button', id: 'fetch-trust', onclick: trust }, 'Trust the selected keys'),
        h('button', { type: 'button', class: 'secondary', onclick: () => confirmBox.replaceChildren() }, 'Cancel')),
    )
  }

  show(
    h('h1', {}, 'Trust anchors'),
    h('p', { class: 'muted' }, 'The validating resolver trusts these keys (TrustAnchors.dns). Changes are written to the file atomically and used at once.'),
    msg,
    anchors.length === 0 ? notice('No trust anchors: nothing is validated.') : table(['Zone', 'Type', 'Key tag', 'Algorithm', 'Data', ''], anchors.map((a) => [
      a.zone, a.type, h('span', { class: 'mono' }, String(a.keyTag)), a.algorithm, h('td', { class: 'rdata' }, a.rdata),
      h('button', { type: 'button', class: 'danger', onclick: remove(a) }, 'Remove'),
    ]), (i) => ({ 'data-anchor': `${anchors[i]!.zone} ${anchors[i]!.type} ${anchors[i]!.keyTag}` })),
    h('div', { class: 'panel' }, h('h2', {}, 'Add from text'),
      h('form', { onsubmit: addText }, h('p', { class: 'muted' }, 'Paste DNSKEY or DS records in zone-file form.'), text,
        h('div', { class: 'toolbar' }, h('button', { type: 'submit', id: 'anchor-add' }, 'Add')))),
    h('div', { class: 'panel' }, h('h2', {}, 'Fetch from a zone'),
      h('form', { class: 'inline', onsubmit: fetchKeys }, zoneIn, serverIn, h('button', { type: 'submit', id: 'fetch-go' }, 'Fetch DNSKEYs')),
      confirmBox),
  )
}
