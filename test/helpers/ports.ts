/**
 * Ports for the servers the tests start on 127.0.0.1.
 *
 * Asking the kernel for port 0 hands out a port from the ephemeral range (32768–60999 here),
 * the same range every client socket of every test running alongside draws from: between
 * "free" and the server's bind, a dig or a resolver query may take it (seen in CI as
 * EADDRINUSE). So ports come from below that range, at random, checked free for both TCP
 * and UDP (DNS servers want both on one port).
 */
import { createServer } from 'node:net'
import { createSocket } from 'node:dgram'

const LOW = 20_000
const HIGH = 32_000

function tcpFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = createServer()
    s.once('error', () => resolve(false))
    s.listen(port, '127.0.0.1', () => s.close(() => resolve(true)))
  })
}

function udpFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const u = createSocket('udp4')
    u.once('error', () => { u.close(); resolve(false) })
    u.bind(port, '127.0.0.1', () => u.close(() => resolve(true)))
  })
}

/** A port on 127.0.0.1 free for both TCP and UDP, outside the ephemeral range. */
export async function freePort(): Promise<number> {
  for (let i = 0; i < 1000; i++) {
    const port = LOW + Math.floor(Math.random() * (HIGH - LOW))
    if (await tcpFree(port) && await udpFree(port)) return port
  }
  throw new Error(`no free port between ${LOW} and ${HIGH} on 127.0.0.1`)
}
