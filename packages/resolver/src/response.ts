/**
 * Turn a {@link ResolveResult} into the DNS response the server agent sends: header
 * flags (RA, AD, CD echoed), RCODE, sections, and an OPT record with the client's DO
 * bit and the Extended DNS Error (RFC 8914) when there is one.
 */
import { edeOption, type Message } from '@secdns/wire'
import type { ResolveResult } from './resolver.js'

/** Our advertised EDNS UDP payload size (RFC 9715 / DNS flag day 2020: 1232). */
export const RESPONSE_UDP_SIZE = 1232

/**
 * Build the response to a client query from a resolution result.
 *
 * @param query the client's query (ID, question, RD, CD, EDNS)
 * @param result what {@link Resolver.resolve} returned for it
 * @returns the response message; encode it with the client's UDP size as `maxSize`
 * @example
 * const res = await resolver.resolve(q.question[0].name, q.question[0].type, { dnssecOk: q.edns?.dnssecOk, checkingDisabled: q.flags.cd, authenticatedData: q.flags.ad })
 * socket.send(encodeMessage(buildResponse(q, res), { maxSize: q.edns?.udpSize ?? 512 }))
 */
export function buildResponse(query: Message, result: ResolveResult): Message {
  const m: Message = {
    id: query.id, opcode: query.opcode, rcode: result.rcode, question: query.question,
    // RFC 4035 §3.2.2: CD is copied from the query; RFC 4035 §3.2.3: AD only for Secure data.
    flags: { qr: true, aa: false, tc: false, rd: query.flags.rd, ra: true, ad: result.ad, cd: query.flags.cd },
    answer: result.answer, authority: result.authority, additional: result.additional,
  }
  // RFC 6891 §7: answer EDNS with EDNS; an EDE only travels in an OPT record (RFC 8914 §2).
  if (query.edns !== undefined) {
    m.edns = {
      udpSize: RESPONSE_UDP_SIZE, version: 0, dnssecOk: query.edns.dnssecOk,
      options: result.ede === undefined ? [] : [edeOption(result.ede, result.reason ?? '')],
    }
  }
  return m
}
