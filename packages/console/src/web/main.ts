/**
 * The console's entry module: loads the session, then shows the page the address names
 * (`#/zones`, `#/zone/<name>`, `#/anchors`, `#/status`, `#/audit`).
 */
import { loadSession, post, ApiError } from './api.js'
import { anchorsPage } from './anchors.js'
import { auditPage } from './audit.js'
import { h, notice, show } from './dom.js'
import { recordsPage } from './records.js'
import { statusPage } from './status.js'
import { zonesPage } from './zones.js'

async function route(): Promise<void> {
  const hash = location.hash === '' ? '#/zones' : location.hash
  const [path, query] = hash.slice(1).split('?', 2) as [string, string | undefined]
  const params = new URLSearchParams(query ?? '')
  const page = path.split('/')[1] ?? 'zones'
  for (const a of document.querySelectorAll<HTMLAnchorElement>('#nav a')) a.classList.toggle('current', a.dataset['page'] === (page === 'zone' ? 'zones' : page))
  try {
    if (page === 'zone') await recordsPage(decodeURIComponent(path.slice('/zone/'.length)), params)
    else if (page === 'anchors') await anchorsPage()
    else if (page === 'status') await statusPage()
    else if (page === 'audit') await auditPage()
    else await zonesPage()
    document.title = `secdns console — ${document.querySelector('h1')?.textContent ?? ''}`
  } catch (e) {
    if ((e as ApiError).status === 401) return
    show(h('h1', {}, 'Error'), notice((e as Error).message, 'error'))
  }
}

async function start(): Promise<void> {
  const s = await loadSession()
  document.getElementById('who')!.textContent = s.actor
  const out = document.getElementById('logout') as HTMLButtonElement
  if (s.canLogout) {
    out.hidden = false
    out.addEventListener('click', () => { post('/console/logout').finally(() => location.assign('/console/login')) })
  }
  window.addEventListener('hashchange', () => { void route() })
  await route()
}

start().catch((e: unknown) => { if ((e as ApiError).status !== 401) show(notice(`The console could not start: ${(e as Error).message}`, 'error')) })
