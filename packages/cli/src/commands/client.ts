/**
 * `secdns client serve --listen 127.0.0.1:PORT --nrpt FILE`: the local stub listener
 * (UDP and TCP). Any application pointed at it gets NRPT protection; answers that fail
 * policy become SERVFAIL with an Extended DNS Error. Runs until SIGINT or SIGTERM.
 */
import { Command, type CommanderError } from 'commander'
import { rrTypeToString } from '@secdns/wire'
import { createStubClient, loadNrpt, startStubServer } from '@secdns/client'
import { nrptPath } from './nrpt.js'

function parseListen(s: string): { host: string; port: number } {
  const m = /^(?:\[([^\]]+)\]|([^:]+)):(\d{1,5})$/.exec(s)
  if (m === null || Number(m[3]) > 65535) throw new Error(`--listen "${s}" is not HOST:PORT`)
  return { host: m[1] ?? m[2]!, port: Number(m[3]) }
}

/**
 * Register `secdns client …`.
 * @param program the root command
 */
export function registerClientCommands(program: Command): void {
  const exit = (err: CommanderError): never => process.exit(err.exitCode === 0 ? 0 : 2)
  const client = program.command('client').description('the stub client agent (the DNS Client service counterpart)').exitOverride(exit)
  client.command('serve').description('serve a local stub listener (UDP and TCP) that resolves under the NRPT')
    .option('--listen <host:port>', 'address to listen on (port 0: any free port)', '127.0.0.1:53')
    .option('--nrpt <file>', 'NRPT file (default $SECDNS_NRPT or ./nrpt.json)')
    .option('--quiet', 'do not log each query')
    .option('--json', 'print {ok, host, port, rules} on stdout once listening (port 0: the port chosen); queries are logged as JSON lines on stderr')
    .exitOverride(exit)
    .action(async (o: { listen: string; nrpt?: string; quiet?: boolean; json?: boolean }) => {
      try {
        const { host, port } = parseListen(o.listen)
        const nrpt = await loadNrpt(nrptPath(o.nrpt))
        const stub = createStubClient({ nrpt })
        const server = await startStubServer({
          client: stub, host, port,
          onQuery: o.quiet === true ? undefined
            : o.json === true ? (e) => process.stderr.write(`${JSON.stringify({ via: e.via, name: e.name, type: rrTypeToString(e.type), rcode: e.rcode, ...(e.error !== undefined ? { error: e.error } : { verdict: e.verdict }) })}\n`)
              : (e) => process.stderr.write(`${e.via} ${e.name} ${rrTypeToString(e.type)} rcode ${e.rcode}: ${e.error ?? e.verdict}\n`),
        })
        if (o.json === true) process.stdout.write(`${JSON.stringify({ ok: true, host: server.host, port: server.port, transports: ['udp', 'tcp'], rules: nrpt.rules.length })}\n`)
        else process.stdout.write(`listening on ${server.host}:${server.port} (udp, tcp) with ${nrpt.rules.length} NRPT rule(s)\n`)
        await new Promise<void>((resolve) => {
          const stop = (): void => { process.off('SIGINT', stop); process.off('SIGTERM', stop); resolve() }
          process.on('SIGINT', stop)
          process.on('SIGTERM', stop)
        })
        await server.close()
        await stub.close()
      } catch (e) {
        const err = e as { code?: string; message?: string }
        if (o.json === true) process.stdout.write(`${JSON.stringify({ ok: false, error: { code: err.code ?? 'ERR_USAGE', message: err.message ?? String(e) } })}\n`)
        process.stderr.write(`secdns: ${err.code ?? 'ERR_USAGE'}: ${err.message ?? String(e)}\n`)
        process.exitCode = 2
      }
    })
}
