import test from 'ava'
import { Name } from '../src/name.js'
import { messageToText } from '../src/message_text.js'
import { NO_FLAGS, type Message } from '../src/message.js'
import { rdataFromString } from '../src/rdata.js'
import { cookieOption, edeOption } from '../src/edns.js'

test('prints a message as dig does', (t) => {
  const m: Message = {
    id: 4660, flags: { ...NO_FLAGS, qr: true, aa: true }, opcode: 0, rcode: 3,
    question: [{ name: Name.fromString('nx.example.test.'), type: 1, class: 1 }],
    answer: [],
    authority: [{ name: Name.fromString('example.test.'), class: 1, ttl: 300, data: rdataFromString(6, 'ns1.example.test. hm.example.test. 1 2 3 4 5') }],
    additional: [],
    edns: { udpSize: 1232, version: 0, dnssecOk: true, options: [cookieOption(new Uint8Array(8).fill(1)), edeOption(6, 'x')] },
  }
  t.is(messageToText(m), [
    ';; ->>HEADER<<- opcode: QUERY, status: NXDOMAIN, id: 4660',
    ';; flags: qr aa; QUERY: 1, ANSWER: 0, AUTHORITY: 1, ADDITIONAL: 1',
    '',
    ';; OPT PSEUDOSECTION:',
    '; EDNS: version: 0, flags: do; udp: 1232',
    '; COOKIE: 0101010101010101',
    '; EDE: 6 (x)',
    '',
    ';; QUESTION SECTION:',
    ';nx.example.test.\t\tIN\tA',
    '',
    ';; AUTHORITY SECTION:',
    'example.test. 300 IN SOA ns1.example.test. hm.example.test. 1 2 3 4 5',
    '',
  ].join('\n'))
})
