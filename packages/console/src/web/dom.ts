/**
 * Building the DOM without innerHTML: every value from the server goes in as text, so
 * nothing a zone or a pasted record holds can turn into markup.
 */

/** Attributes of {@link h}; `on<event>` keys add listeners. */
export type Attrs = Record<string, string | number | boolean | undefined | ((ev: Event) => void)>
/** What {@link h} accepts as children. */
export type Child = Node | string | number | null | undefined | false | Child[]

/**
 * Make an element.
 * @example
 * h('p', { class: 'muted' }, 'no zones')
 */
export function h<K extends keyof HTMLElementTagNameMap>(tag: K, attrs: Attrs = {}, ...children: Child[]): HTMLElementTagNameMap[K] {
  const el = document.createElement(tag)
  for (const [k, v] of Object.entries(attrs)) {
    if (v === undefined || v === false) continue
    if (typeof v === 'function') el.addEventListener(k.slice(2), v)
    else if (v === true) el.setAttribute(k, '')
    else el.setAttribute(k, String(v))
  }
  append(el, children)
  return el
}

function append(el: Element, children: Child[]): void {
  for (const c of children) {
    if (c === null || c === undefined || c === false) continue
    if (Array.isArray(c)) append(el, c)
    else el.append(c instanceof Node ? c : String(c))
  }
}

/** A table from headings and rows of cells. */
export function table(head: string[], rows: Child[][], rowAttrs: (i: number) => Attrs = () => ({})): HTMLTableElement {
  return h('table', {},
    h('thead', {}, h('tr', {}, head.map((x) => h('th', {}, x)))),
    h('tbody', {}, rows.map((r, i) => h('tr', rowAttrs(i), r.map((c) => c instanceof HTMLTableCellElement ? c : h('td', {}, c))))))
}

/** A badge: ok (green), warn (yellow), bad (red) or plain. */
export function badge(text: string, kind: '' | 'ok' | 'warn' | 'bad' = ''): HTMLSpanElement {
  return h('span', { class: kind === '' ? 'badge' : `badge ${kind}` }, text)
}

/** A message box. */
export function notice(text: string, kind: '' | 'ok' | 'error' = ''): HTMLDivElement {
  return h('div', { class: kind === '' ? 'notice' : `notice ${kind}`, role: kind === 'error' ? 'alert' : 'status' }, text)
}

/** Replace the page content. */
export function show(...children: Child[]): void {
  const app = document.getElementById('app')!
  app.replaceChildren()
  append(app, children)
}

/** Seconds as "3 d 4 h", "2 h 5 min", "7 min". */
export function duration(s: number): string {
  if (s < 0) return `${duration(-s)} ago`
  if (s >= 86400) return `${Math.floor(s / 86400)} d ${Math.floor((s % 86400) / 3600)} h`
  if (s >= 3600) return `${Math.floor(s / 3600)} h ${Math.floor((s % 3600) / 60)} min`
  return `${Math.floor(s / 60)} min`
}
