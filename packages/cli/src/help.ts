/**
 * The "Examples" section of every command's `--help`, kept in one table so the commands,
 * their examples and the generated reference (docs/cli.md) stay in step.
 */
import type { Command } from 'commander'
import { EXIT_CODES } from './options.js'

/** Examples by command path (`''` is `secdns` itself): `[command line, what it does]`. */
export const EXAMPLES: Readonly<Record<string, readonly (readonly [string, string])[]>> = {
  '': [
    ['secdns lab', 'build and tour a complete deployment on 127.0.0.1'],
    ['secdns zone sign db.example.test --zone example.test --key-dir keys', 'sign a zone'],
    ['secdns query www.lab.test A --nrpt nrpt.json --json', 'resolve under the NRPT, machine-readable'],
  ],

  ca: [
    ['secdns ca init --ca-dir certs/ca --name "Example Root"', 'create a CA store'],
    ['secdns ca issue --ca-dir certs/ca --profile dns-server --name dns1 --dns dns1.example.test --out certs/dns1', 'issue a DNS server certificate'],
  ],
  'ca init': [
    ['secdns ca init --ca-dir certs/ca --name "Example Root"', 'a root CA that issues (passphrase prompted on a terminal)'],
    ['SECDNS_CA_PASSPHRASE=… secdns ca init --ca-dir certs/ca --name "Example Root" --intermediate --json', 'root plus an issuing intermediate, from a script'],
  ],
  'ca issue': [
    ['secdns ca issue --ca-dir certs/ca --profile dns-server --name dns1 --dns dns1.example.test --ip 192.0.2.53 --out certs/dns1', 'a DNS server certificate (DNS Server Trust EKU)'],
    ['secdns ca issue --ca-dir certs/ca --profile client --name laptop --out certs/clients --pfx --pfx-password-file pw.txt', 'a client certificate with a .pfx for Windows'],
    ['secdns ca issue --ca-dir certs/ca --profile client --csv clients.csv --out certs/clients --json', 'one certificate per CSV row (name,dns,ip)'],
  ],
  'ca revoke': [
    ['secdns ca revoke --ca-dir certs/ca --serial 3f2a… --reason keyCompromise', 'revoke a certificate and write a new CRL'],
  ],
  'ca crl': [
    ['secdns ca crl --ca-dir certs/ca --out /var/www/crl.der', 'write a fresh CRL and publish a DER copy'],
    ['secdns ca crl --ca-dir certs/ca --json', 'the CRL number and next update, machine-readable'],
  ],
  'ca list': [
    ['secdns ca list --ca-dir certs/ca', 'serial, status, profile, expiry and subject of each certificate'],
    ['secdns ca list --ca-dir certs/ca --json', 'the index as JSON'],
  ],
  'ca show': [
    ['secdns ca show certs/dns1/dns1.crt', 'subject, SANs, EKUs, validity of a certificate'],
    ['secdns ca show certs/ca/crl.pem --json', 'a CRL as JSON'],
  ],
  'ca verify': [
    ['secdns ca verify --ca-dir certs/ca --cert certs/dns1/dns1.crt --purpose dns-server --name dns1.example.test', 'check chain, EKU, name, dates and revocation'],
    ['secdns ca verify --ca-dir certs/ca --cert old.crt --purpose client --now 2027-01-01T00:00:00Z --json', 'as of a date; exit 1 with the coded reason'],
  ],

  zone: [
    ['secdns zone check db.example.test --zone example.test', 'check a master file'],
    ['secdns zone sign db.example.test --zone example.test --key-dir keys', 'sign it'],
  ],
  'zone check': [
    ['secdns zone check db.example.test --zone example.test', 'exit 0 when the zone loads, 1 with file:line:col errors'],
    ['secdns zone check db.example.test --zone example.test --json', 'errors and warnings with their codes'],
  ],
  'zone print': [
    ['secdns zone print db.example.test --zone example.test > canonical.zone', 'canonical order, one record a line'],
  ],
  'zone sign': [
    ['secdns zone sign db.example.test --zone example.test --key-dir keys', 'NSEC, signatures valid 30 days; writes db.example.test.signed and dsset-example.test.'],
    ['secdns zone sign db.example.test --zone example.test --key-dir keys --nsec3 --serial increment --expiration +14d --json', 'NSEC3 (RFC 9276 defaults), a JSON summary'],
  ],
  'zone ds': [
    ['secdns zone ds --zone example.test --key-dir keys', 'the DS records to hand to the parent'],
    ['secdns zone ds --zone example.test --key-dir keys --digest sha256,sha384 --json', 'two digests, as JSON'],
  ],
  'zone verify': [
    ['secdns zone verify db.example.test.signed --zone example.test', 'every RRset signed, the chain complete (dnssec-verify)'],
    ['secdns zone verify db.example.test.signed --zone example.test --now +20d --json', 'will it still verify in 20 days?'],
  ],

  key: [
    ['secdns key create --zone example.test --algorithm ECDSAP256SHA256 --ksk --key-dir keys', 'a KSK'],
    ['secdns key status --zone example.test --key-dir keys', 'each key\'s state and next rollover step'],
  ],
  'key create': [
    ['secdns key create --zone example.test --algorithm ECDSAP256SHA256 --ksk --key-dir keys', 'a key-signing key'],
    ['secdns key create --zone example.test --algorithm RSASHA256 --bits 2048 --key-dir keys --json', 'a zone-signing key, as JSON'],
  ],
  'key list': [
    ['secdns key list --key-dir keys', 'every key of the store'],
    ['secdns key list --key-dir keys --zone example.test --json', 'one zone\'s keys as JSON'],
  ],
  'key status': [
    ['secdns key status --zone example.test --key-dir keys --zone-file db.example.test', 'states and next steps with timings from the zone\'s TTLs'],
    ['secdns key status --zone example.test --key-dir keys --now +7d --json', 'as of a week from now'],
  ],
  'key rollover': [
    ['secdns key rollover --zone example.test --key-dir keys --role zsk', 'pre-publish ZSK rollover'],
    ['secdns key rollover --zone example.test --key-dir keys --role ksk --method double-signature --json', 'KSK rollover; says when to submit the new DS'],
  ],
  'key revoke': [
    ['secdns key revoke --zone example.test --key-dir keys --key-tag 12345', 'revoke a KSK (RFC 5011 REVOKE bit)'],
  ],
  'key import-bind': [
    ['secdns key import-bind Kexample.test.+013+12345.key Kexample.test.+013+12345.private --key-dir keys', 'import BIND key files'],
  ],
  'key export-bind': [
    ['secdns key export-bind --key-dir keys --zone example.test --out bind-keys', 'write BIND K-files for dnssec-signzone'],
  ],
  'key export-pkcs12': [
    ['secdns key export-pkcs12 --key-dir keys --zone example.test --key-tag 12345 --pfx-password-file pw.txt', 'a key as a .pfx for the Windows certificate store'],
  ],

  'trust-anchor': [
    ['secdns trust-anchor list --trust-anchors TrustAnchors.dns', 'the anchors the resolver trusts'],
    ['secdns trust-anchor add --trust-anchors TrustAnchors.dns --from-zone example.test --dns 192.0.2.53', 'trust a zone\'s keys after a look at their DS digests'],
  ],
  'trust-anchor list': [
    ['secdns trust-anchor list --trust-anchors TrustAnchors.dns', 'zone, type, key tag and algorithm of each anchor'],
    ['secdns trust-anchor list --server https://127.0.0.1:8443 --config server.json --json', 'the anchors a running server uses, through its admin API'],
  ],
  'trust-anchor add': [
    ['secdns trust-anchor add --trust-anchors TrustAnchors.dns "example.test. DS 61811 13 2 0102…"', 'add a DS anchor'],
    ['secdns trust-anchor add --trust-anchors TrustAnchors.dns --import named.conf', 'import BIND trust-anchors / managed-keys'],
    ['secdns trust-anchor add --trust-anchors TrustAnchors.dns --from-zone example.test --dns 192.0.2.53', 'fetch the zone\'s keys, show their DS digests, trust the SEP keys once confirmed'],
    ['secdns trust-anchor add --from-zone example.test --dns 192.0.2.53:5353 --server http://127.0.0.1:8053 --token-file admin.token --yes --json', 'the same into a running server, through its admin API, without asking'],
  ],
  'trust-anchor remove': [
    ['secdns trust-anchor remove --trust-anchors TrustAnchors.dns example.test --key-tag 61811', 'remove one anchor (exit 1 when none matched)'],
  ],
  'trust-anchor check': [
    ['secdns trust-anchor check --trust-anchors TrustAnchors.dns --dns 192.0.2.53 --json', 'does each anchor still match the zone\'s keys? (exit 1 when not)'],
  ],
  'trust-anchor export': [
    ['secdns trust-anchor export --trust-anchors TrustAnchors.dns --format bind --initial', 'a BIND trust-anchors clause (RFC 5011 managed)'],
    ['secdns trust-anchor export --trust-anchors TrustAnchors.dns --format unbound > root.key', 'an Unbound anchor file'],
  ],

  server: [
    ['secdns server start --config server.json', 'start in the background'],
    ['secdns server status --config server.json --json', 'zones, listeners and counters'],
  ],
  'server start': [
    ['secdns server start --config server.json', 'in the background; the log goes next to the config'],
    ['secdns server start --config server.json --foreground --log-level debug', 'in the foreground (readable logs on a terminal, JSON lines otherwise)'],
  ],
  'server reload': [
    ['secdns server reload example.test --config server.json', 'reload one zone from its file (exit 1 when it has errors; the old zone stays served)'],
    ['secdns server reload --config server.json --json', 'reload every zone'],
  ],
  'server refresh': [
    ['secdns server refresh corp.example --config server.json', 'check a secondary zone\'s SOA at its primary now and transfer it when newer'],
  ],
  'server status': [
    ['secdns server status --config server.json', 'zones, serials, listeners, counters'],
    ['secdns server status --config server.json --cert admin.crt --key admin.key --json', 'over an HTTPS admin API with an admin certificate'],
  ],

  nrpt: [
    ['secdns nrpt add --nrpt nrpt.json --namespace .corp.example --server udp://192.0.2.53 --validation-required', 'require DNSSEC validation for a namespace'],
    ['secdns nrpt show --nrpt nrpt.json --effective www.corp.example', 'which rule applies to a name, and why'],
  ],
  'nrpt list': [
    ['secdns nrpt list --nrpt nrpt.json', 'the rules, one a line (Get-DnsClientNrptRule)'],
    ['SECDNS_NRPT=nrpt.json secdns nrpt list --json', 'the whole table as JSON'],
  ],
  'nrpt show': [
    ['secdns nrpt show --nrpt nrpt.json corp', 'one rule in detail'],
    ['secdns nrpt show --nrpt nrpt.json --effective www.corp.example --json', 'the rule that applies (Get-DnsClientNrptPolicy -Effective)'],
  ],
  'nrpt add': [
    ['secdns nrpt add --nrpt nrpt.json --name corp --namespace .corp.example --server wss://dns1.corp.example:8053/ --server-name dns1.corp.example --validation-required --secure-channel --encryption High --trust-authority ca.crt', 'validation and an encrypted channel (Add-DnsClientNrptRule)'],
    ['secdns nrpt add --nrpt nrpt.json --name corp --namespace .corp.example --server wss://dns1.corp.example:8053/ --server-name dns1.corp.example --secure-channel --encryption High --trust-authority ca.crt --crl crl.der', 'the same with the CA\'s CRL: a revoked server certificate is refused'],
    ['secdns nrpt add --nrpt nrpt.json --namespace printer.corp.example', 'an exemption rule (no name servers)'],
  ],
  'nrpt remove': [
    ['secdns nrpt remove --nrpt nrpt.json corp', 'remove a rule by name, display name or namespace'],
  ],
  'nrpt global': [
    ['secdns nrpt global --nrpt nrpt.json', 'show the global settings'],
    ['secdns nrpt global --nrpt nrpt.json --query-policy QueryIPv6Only --fallback FallbackPrivate --default-server udp://192.0.2.1', 'set them (Set-DnsClientNrptGlobal)'],
  ],

  query: [
    ['secdns query www.corp.example --nrpt nrpt.json', 'A record, with the rule, transport, AD and verdict'],
    ['secdns query corp.example DNSKEY --nrpt nrpt.json --server udp://127.0.0.1:5300 --json', 'another server under the same policy, as JSON'],
  ],

  client: [
    ['secdns client serve --listen 127.0.0.1:5353 --nrpt nrpt.json', 'a local stub listener applying the NRPT'],
  ],
  'client serve': [
    ['secdns client serve --listen 127.0.0.1:5353 --nrpt nrpt.json', 'then: dig @127.0.0.1 -p 5353 www.corp.example'],
    ['secdns client serve --listen 127.0.0.1:0 --nrpt nrpt.json --quiet', 'any free port, no per-query log'],
  ],

  lab: [
    ['secdns lab', 'build, tour and tear down (a temp directory)'],
    ['secdns lab --dir lab --keep-running', 'leave it running to try dig, delv and secdns query by hand'],
    ['secdns lab --json | jq .failed', 'the tour as JSON'],
  ],
}

/** The path of a command under `secdns`: `'zone sign'`, `''` for the root. */
export function commandPath(cmd: Command): string {
  const names: string[] = []
  for (let c: Command | null = cmd; c?.parent != null; c = c.parent) names.unshift(c.name())
  return names.join(' ')
}

/** The Examples text of a command, or undefined when the table has none. */
export function examplesText(path: string): string | undefined {
  const list = EXAMPLES[path]
  if (list === undefined || list.length === 0) return undefined
  const lines = ['', 'Examples:']
  for (const [line, what] of list) lines.push(`  $ ${line}`, `      ${what}`)
  if (path === '') {
    lines.push('', 'Exit codes:')
    for (const e of EXIT_CODES) lines.push(`  ${e.code}  ${e.meaning.replace(/`/g, '')}`)
    lines.push('', 'Every command that prints something a script reads takes --json (one JSON document on stdout;', 'on failure {"ok":false,"error":{"code","message"}}). Progress is shown only on a terminal.')
  }
  return lines.join('\n')
}

const done = new WeakSet<Command>()

/** How the groups first described `--json`; all of them now say the same thing. */
const GENERIC_JSON = new Set(['JSON output', 'print JSON', 'machine-readable output', 'print a JSON summary', 'print the JSON answer'])

/** What `--json` says in every command's help (unless it says something more specific). */
export const JSON_HELP = 'print one JSON document on stdout (docs/cli.md lists its fields)'

/**
 * Add the Examples section to a command and every sub-command under it (once each), and
 * give `--json` the same description everywhere.
 */
export function addExamples(cmd: Command): void {
  if (!done.has(cmd)) {
    done.add(cmd)
    const json = cmd.options.find((o) => o.long === '--json')
    if (json !== undefined && GENERIC_JSON.has(json.description)) json.description = JSON_HELP
    const text = examplesText(commandPath(cmd))
    if (text !== undefined) cmd.addHelpText('after', text)
  }
  for (const sub of cmd.commands) addExamples(sub)
}
