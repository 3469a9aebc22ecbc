// A man in the middle for tests: a WebSocket relay between a client and the real server
// whose hooks may change, drop, hold, duplicate or inject frames in either direction.
// Bundles are taken apart, so the hooks see (and forward) each record and handshake
// message on its own, as an attacker on the wire can.
import { WebSocketServer, WebSocket } from 'ws'
import { KIND_BUNDLE, splitBundle } from '../src/bundle.js'
import type { AddressInfo } from 'node:net'

export type Send = (frame: Uint8Array) => void
export interface RelayHooks {
  /** Called for each client → server frame (i counts from 0); call send to forward. */
  toServer?: (frame: Buffer, send: Send, i: number) => void
  /** Called for each server → client frame. */
  toClient?: (frame: Buffer, send: Send, i: number) => void
}

function closable(code: number): number {
  return code === 1000 || (code >= 1001 && code <= 1014 && code !== 1004 && code !== 1005 && code !== 1006) || (code >= 3000 && code < 5000) ? code : 1000
}

export async function startRelay(target: string, hooks: RelayHooks): Promise<{ url: string; close: () => Promise<void> }> {
  const wss = new WebSocketServer({ host: '127.0.0.1', port: 0, perMessageDeflate: false })
  await new Promise<void>((r) => wss.once('listening', () => r()))
  wss.on('connection', (down) => {
    const up = new WebSocket(target, { perMessageDeflate: false })
    const early: Buffer[] = []
    let ci = 0, si = 0
    const toUp: Send = (f) => { if (up.readyState === WebSocket.OPEN) up.send(f) }
    const toDown: Send = (f) => { if (down.readyState === WebSocket.OPEN) down.send(f) }
    const each = (f: Buffer, fn: (x: Buffer) => void) => { if (f[0] === KIND_BUNDLE) splitBundle(f, (x) => fn(Buffer.from(x))); else fn(f) }
    const fromClient = (f: Buffer) => each(f, (x) => (hooks.toServer ?? ((y, s) => s(y)))(x, toUp, ci++))
    down.on('message', (d: Buffer) => { if (up.readyState === WebSocket.OPEN) fromClient(d); else early.push(d) })
    up.on('open', () => { for (const f of early.splice(0)) fromClient(f) })
    up.on('message', (d: Buffer) => each(d, (x) => (hooks.toClient ?? ((y, s) => s(y)))(x, toDown, si++)))
    up.on('close', (code, reason) => { if (down.readyState <= WebSocket.OPEN) down.close(closable(code), reason) })
    down.on('close', (code, reason) => { if (up.readyState === WebSocket.OPEN) up.close(closable(code), reason); else up.terminate() })
    up.on('error', () => down.terminate())
    down.on('error', () => up.terminate())
  })
  const port = (wss.address() as AddressInfo).port
  return {
    url: `ws://127.0.0.1:${port}/`,
    close: () => new Promise<void>((r) => { for (const c of wss.clients) c.terminate(); wss.close(() => r()) }),
  }
}
