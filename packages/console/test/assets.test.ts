import test from 'ava'
import { loadConsoleAssets } from '../src/assets.js'

const assets = loadConsoleAssets()
const text = (name: string): string => assets.get(name)!.body.toString('utf8')

test('the pages, the stylesheet and every compiled module are there with their content types', (t) => {
  for (const f of ['index.html', 'login.html', 'console.css', 'icon.svg', 'main.js', 'login.js', 'api.js', 'dom.js', 'zones.js', 'records.js', 'anchors.js', 'status.js', 'audit.js']) {
    t.true(assets.has(f), f)
  }
  t.is(assets.get('index.html')!.contentType, 'text/html; charset=utf-8')
  t.is(assets.get('main.js')!.contentType, 'text/javascript; charset=utf-8')
  t.is(assets.get('console.css')!.contentType, 'text/css; charset=utf-8')
  t.false([...assets.keys()].some((k) => k.endsWith('.ts') || k.endsWith('.map') || k === 'assets.js' || k === 'index.js'), 'no sources, maps or server-side modules')
  t.regex(assets.get('main.js')!.etag, /^"[A-Za-z0-9_-]{22}"$/)
})

test('the pages need nothing the CSP forbids: no inline script, style or event handler', (t) => {
  for (const page of ['index.html', 'login.html']) {
    const html = text(page)
    for (const m of html.matchAll(/<script\b([^>]*)>/g)) t.regex(m[1]!, /\bsrc="[a-z]+\.js"/, `${page}: every script is a file`)
    t.notRegex(html, /<style\b/i, page)
    t.notRegex(html, /\sstyle=/i, page)
    t.notRegex(html, /\son[a-z]+=/i, page)
  }
})

test('the modules put server data in as text, never as markup or code', (t) => {
  for (const [name, a] of assets) {
    if (!name.endsWith('.js')) continue
    const js = a.body.toString('utf8').replace(/\/\*[\s\S]*?\*\//g, '') // comments may name what the code avoids
    t.notRegex(js, /innerHTML|outerHTML|insertAdjacentHTML|document\.write|\beval\(|new Function/, name)
  }
})
