/**
 * `secdns server start|reload|refresh|status`: run the DNS server agent and talk to its admin API.
 */
import { spawn } from 'node:child_process'
import { openSync, readFileSync, closeSync, existsSync, statSync } from 'node:fs'
import { request as httpRequest } from 'node:http'
import { request as httpsRequest } from 'node:https'
import { dirname, join, resolve } from 'node:path'
import { Writable } from 'node:stream'
import type { Command } from 'commander'
import { pino, type Logger } from 'pino'
import { createDnsServer, loadConfig, readTokenFile, ServerError, type ServerConfig } from '@secdns/server'

const LEVELS: Record<number, string> = { 10: 'TRACE', 20: 'DEBUG', 30: 'INFO', 40: 'WARN', 50: 'ERROR', 60: 'FATAL' }

/** Human-readable log lines on a terminal; JSON lines everywhere else. */
function makeLogger(level: string): Logger {
  if (!process.stdout.isTTY) return pino({ level, base: { pid: process.pid } }, pino.destination(1))
  const pretty = new Writable({
    write(chunk: Buffer, _enc, cb) {
      for (const line of chunk.toString('utf8').split('\n')) {
        if (line === '') continue
        try {
          const o = JSON.parse(line) as Record<string, unknown>
          const { level: lv, time, msg, pid: _p, hostname: _h, ...rest } = o
          const extra = Object.keys(rest).length > 0 ? ' ' + JSON.stringify(rest) : ''
          process.stdout.write(`${new Date(time as number).toISOString()} ${LEVELS[lv as number] ?? lv} ${msg as string}${extra}\n`)
        } catch {
          process.stdout.write(line + '\n')
        }
      }
      cb()
    },
  })
  return pino({ level }, pretty)
}

/** Set by a command run with --json: failures are then also a JSON document on stdout. */
let jsonErrors = false

function fail(message: string, code: number, errorCode = code === 2 ? 'ERR_USAGE' : 'ERR_SERVER'): never {
  if (jsonErrors) process.stdout.write(`${JSON.stringify({ ok: false, error: { code: errorCode, message } })}\n`)
  process.stderr.write(`secdns server: ${message}\n`)
  process.exit(code)
}

function readConfig(file: string): ServerConfig {
  try {
    return loadConfig(file)
  } catch (e) {
    fail((e as Error).message, 2, (e as { code?: string }).code ?? 'ERR_USAGE')
  }
}

async function runForeground(configFile: string, level: string): Promise<void> {
  const config = readConfig(configFile)
  const log = makeLogger(level)
  const server = createDnsServer(config, { logger: log })
  try {
    await server.start()
  } catch (e) {
    const err = e as ServerError
    log.error({ code: err.code }, err.message)
    // A zone or certificate that does not load is an input error; a port taken is a failure.
    fail(err.message, err.code === 'ERR_SERVER_BIND' ? 1 : 2, err.code)
  }
  let stopping = false
  const stop = (sig: string): void => {
    if (stopping) return
    stopping = true
    log.info({ signal: sig }, 'stopping: no new connections, finishing transfers in flight')
    void server.stop().then(() => process.exit(0))
  }
  process.on('SIGTERM', () => stop('SIGTERM'))
  process.on('SIGINT', () => stop('SIGINT'))
  process.on('SIGHUP', () => { server.reload() })
}

async function runBackground(configFile: string, level: string, logFile: string | undefined, json: boolean): Promise<void> {
  readConfig(configFile)
  const abs = resolve(configFile)
  const out = logFile ?? join(dirname(abs), 'secdns-server.log')
  const fd = openSync(out, 'a', 0o600)
  const start = statSync(out).size
  const child = spawn(process.execPath, [process.argv[1]!, 'server', 'start', '--config', abs, '--foreground', '--log-level', level], {
    detached: true, stdio: ['ignore', fd, fd],
  })
  closeSync(fd)
  const exited = new Promise<number>((r) => child.once('exit', (c) => r(c ?? 1)))
  const deadline = Date.now() + 15000
  for (;;) {
    const text = existsSync(out) ? readFileSync(out, 'utf8').slice(start) : ''
    if (text.includes('"server started"')) {
      child.unref()
      if (json) process.stdout.write(`${JSON.stringify({ ok: true, pid: child.pid, log: out, config: abs })}\n`)
      else process.stdout.write(`secdns server started, pid ${child.pid}, log ${out}\n`)
      return
    }
    const code = await Promise.race([exited, new Promise<null>((r) => setTimeout(() => r(null), 100))])
    if (code !== null) fail(`the server exited with status ${code}; see ${out}`, code === 0 ? 1 : code)
    if (Date.now() > deadline) fail(`the server did not report a start within 15 s; see ${out}`, 1)
  }
}

interface AdminOpts { config: string, tokenFile?: string, cert?: string, key?: string, ca?: string, json?: boolean }

async function admin(opts: AdminOpts, method: string, path: string): Promise<{ status: number, body: unknown }> {
  const config = readConfig(opts.config)
  const a = config.listeners.admin
  if (a === undefined) fail(`${opts.config} has no listeners.admin; the server has no admin API`, 2)
  const headers: Record<string, string> = {}
  const tokenFile = opts.tokenFile ?? a.tokenFile
  if (tokenFile !== undefined && opts.cert === undefined) {
    try { headers['authorization'] = `Bearer ${readTokenFile(tokenFile)}` } catch (e) { fail((e as Error).message, 2) }
  }
  const tls = a.certificate !== undefined
  const host = a.address.includes(':') ? `[${a.address}]` : a.address
  const ca = opts.ca ?? a.clientCa
  return await new Promise((resolvePromise, reject) => {
    const req = (tls ? httpsRequest : httpRequest)({
      method, host: a.address, port: a.port, path, headers,
      ...(tls ? {
        ca: ca !== undefined ? readFileSync(ca) : undefined,
        cert: opts.cert !== undefined ? readFileSync(opts.cert) : undefined,
        key: opts.key !== undefined ? readFileSync(opts.key) : undefined,
        servername: undefined, checkServerIdentity: () => undefined,
      } : {}),
    }, (res) => {
      let data = ''
      res.setEncoding('utf8')
      res.on('data', (c: string) => { data += c })
      res.on('end', () => {
        try { resolvePromise({ status: res.statusCode ?? 0, body: JSON.parse(data) }) } catch { resolvePromise({ status: res.statusCode ?? 0, body: data }) }
      })
    })
    req.on('error', (e) => reject(new Error(`admin API at ${host}:${a.port}: ${e.message}`)))
    req.end()
  })
}

/**
 * Register `secdns server …`.
 * @param program the root command
 * @example registerServerCommands(program)
 */
export function registerServerCommands(program: Command): void {
  const server = program.command('server').description('run the DNS server agent and manage it through its admin API')
  server.command('start')
    .description('start the server (in the background unless --foreground)')
    .requiredOption('-c, --config <file>', 'server.json')
    .option('--foreground', 'stay in the foreground; logs go to stdout (JSON lines, or readable text on a terminal)')
    .option('--log-level <level>', 'trace, debug, info, warn or error', 'info')
    .option('--log-file <file>', 'log file when running in the background (default: next to the config)')
    .option('--json', 'in the background: print {ok, pid, log, config} once the server has started')
    .action(async (o: { config: string, foreground?: boolean, logLevel: string, logFile?: string, json?: boolean }) => {
      jsonErrors = o.json === true
      if (o.foreground) await runForeground(o.config, o.logLevel)
      else await runBackground(o.config, o.logLevel, o.logFile, o.json === true)
    })
  const adminOptions = (c: Command): Command => c
    .requiredOption('-c, --config <file>', 'server.json (names the admin API and its token file)')
    .option('--cert <pem>', 'admin client certificate (HTTPS admin API)')
    .option('--key <pem>', 'private key of the admin client certificate')
    .option('--token-file <file>', 'the admin token file (mode 0600; default: listeners.admin.tokenFile of the config)')
    .option('--ca <pem>', 'CA certificate to check the admin API server with')
    .option('--json', 'print the JSON answer')
  adminOptions(server.command('reload [zone]').description('reload one zone (or all) from its file; a file with errors leaves the old zone served'))
    .action(async (zone: string | undefined, o: AdminOpts) => {
      jsonErrors = o.json === true
      let r
      try { r = await admin(o, 'POST', zone === undefined ? '/reload' : `/reload/${encodeURIComponent(zone)}`) } catch (e) { fail((e as Error).message, 1, 'ERR_ADMIN_UNREACHABLE') }
      const body = r.body as { results?: { zone: string, ok: boolean, serial?: number, error?: string }[], error?: string }
      if (r.status === 401) fail('the admin API refused our credentials', 1, 'ERR_ADMIN_UNAUTHORIZED')
      if (body.results === undefined) fail(body.error ?? `admin API answered ${r.status}`, r.status === 404 ? 2 : 1, r.status === 404 ? 'ERR_ADMIN_NO_ZONE' : `HTTP_${r.status}`)
      if (o.json) process.stdout.write(JSON.stringify({ ok: body.results.every((z) => z.ok), ...(r.body as object) }, null, 2) + '\n')
      if (!o.json) for (const z of body.results) process.stdout.write(z.ok ? `${z.zone}: serial ${z.serial}\n` : `${z.zone}: NOT reloaded, still serving serial ${z.serial ?? '-'}: ${z.error}\n`)
      process.exit(body.results.every((z) => z.ok) ? 0 : 1)
    })
  adminOptions(server.command('refresh <zone>').description('check a secondary zone\'s SOA at its primary now and transfer it when newer'))
    .action(async (zone: string, o: AdminOpts) => {
      jsonErrors = o.json === true
      let r
      try { r = await admin(o, 'POST', `/refresh/${encodeURIComponent(zone)}`) } catch (e) { fail((e as Error).message, 1, 'ERR_ADMIN_UNREACHABLE') }
      const body = r.body as { results?: { zone: string, ok: boolean, serial?: number, error?: string }[], error?: string }
      if (r.status === 401) fail('the admin API refused our credentials', 1, 'ERR_ADMIN_UNAUTHORIZED')
      if (body.results === undefined) fail(body.error ?? `admin API answered ${r.status}`, r.status === 404 ? 2 : 1, r.status === 404 ? 'ERR_ADMIN_NO_ZONE' : `HTTP_${r.status}`)
      if (o.json) process.stdout.write(JSON.stringify({ ok: body.results.every((z) => z.ok), ...(r.body as object) }, null, 2) + '\n')
      if (!o.json) for (const z of body.results) process.stdout.write(z.ok ? `${z.zone}: serial ${z.serial ?? '-'}\n` : `${z.zone}: refresh failed, still serving serial ${z.serial ?? '-'}: ${z.error}\n`)
      process.exit(body.results.every((z) => z.ok) ? 0 : 1)
    })
  adminOptions(server.command('status').description('zones, serials, listeners and counters'))
    .action(async (o: AdminOpts) => {
      jsonErrors = o.json === true
      let r
      try { r = await admin(o, 'GET', '/status') } catch (e) { fail((e as Error).message, 1, 'ERR_ADMIN_UNREACHABLE') }
      if (r.status === 401) fail('the admin API refused our credentials', 1, 'ERR_ADMIN_UNAUTHORIZED')
      if (r.status !== 200) fail(`admin API answered ${r.status}`, 1, `HTTP_${r.status}`)
      if (o.json) { process.stdout.write(JSON.stringify({ ok: true, ...(r.body as object) }, null, 2) + '\n'); return }
      const s = r.body as ReturnType<import('@secdns/server').DnsServer['status']>
      for (const z of s.zones) process.stdout.write(`zone ${z.name} ${z.type} serial ${z.serial ?? '-'}${z.signed ? ' signed' : ''}${z.error ? ` error: ${z.error}` : ''}\n`)
      for (const l of s.listeners) process.stdout.write(`listener ${l.kind} ${l.address}:${l.port}\n`)
      process.stdout.write(`counters ${JSON.stringify(s.counters)}\n`)
    })
}
