/**
 * A message in dig's presentation format, for logs, the CLI and tests.
 */
import { rrToText } from './canonical.js'
import { EdnsOption, opcodeToString, rcodeToString, rrClassToString, rrTypeToString } from './types.js'
import type { Message } from './message.js'
import { parseEdeOption } from './edns.js'
import { toHex } from './text.js'

function count(n: number): string {
  return String(n)
}

/**
 * Print a message as `dig` does (header, OPT pseudosection, the four sections),
 * without dig's timing and server lines.
 * @param msg a decoded or built message
 * @example console.log(messageToText(decodeMessage(answer)))
 */
export function messageToText(msg: Message): string {
  const f = msg.flags
  const flags = [f.qr && 'qr', f.aa && 'aa', f.tc && 'tc', f.rd && 'rd', f.ra && 'ra', f.ad && 'ad', f.cd && 'cd'].filter(Boolean).join(' ')
  const out: string[] = [
    `;; ->>HEADER<<- opcode: ${opcodeToString(msg.opcode)}, status: ${rcodeToString(msg.rcode)}, id: ${msg.id}`,
    `;; flags: ${flags}; QUERY: ${count(msg.question.length)}, ANSWER: ${count(msg.answer.length)}, AUTHORITY: ${count(msg.authority.length)}, ADDITIONAL: ${count(msg.additional.length + (msg.edns ? 1 : 0))}`,
  ]
  if (msg.edns) {
    const e = msg.edns
    out.push('', ';; OPT PSEUDOSECTION:', `; EDNS: version: ${e.version}, flags:${e.dnssecOk ? ' do' : ''}; udp: ${e.udpSize}`)
    for (const o of e.options) {
      switch (o.code) {
        case EdnsOption.NSID: out.push(`; NSID: ${toHex(o.data)}`); break
        case EdnsOption.COOKIE: out.push(`; COOKIE: ${toHex(o.data.subarray(0, 8)).toLowerCase()}${o.data.length > 8 ? toHex(o.data.subarray(8)).toLowerCase() : ''}`); break
        case EdnsOption.PADDING: out.push(`; PAD: (${o.data.length} bytes)`); break
        case EdnsOption.EDE: {
          try {
            const x = parseEdeOption(o)
            out.push(`; EDE: ${x.infoCode}${x.extraText ? ` (${x.extraText})` : ''}`)
          } catch {
            out.push(`; EDE: ${toHex(o.data)}`)
          }
          break
        }
        default: out.push(`; OPT=${o.code}: ${toHex(o.data)}`)
      }
    }
  }
  if (msg.question.length) {
    out.push('', ';; QUESTION SECTION:')
    for (const q of msg.question) out.push(`;${q.name.toString()}\t\t${rrClassToString(q.class)}\t${rrTypeToString(q.type)}`)
  }
  const sections: Array<[string, Message['answer']]> = [['ANSWER', msg.answer], ['AUTHORITY', msg.authority], ['ADDITIONAL', msg.additional]]
  for (const [name, list] of sections) {
    if (list.length === 0) continue
    out.push('', `;; ${name} SECTION:`)
    for (const rr of list) out.push(rrToText(rr))
  }
  return out.join('\n') + '\n'
}
