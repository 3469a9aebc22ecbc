/**
 * The round-trip helper every RDATA codec test uses (after dns-packet's
 * testEncoder): encode → decode → encode gives equal bytes; the same at
 * offset 10 of a larger buffer; text → rdata → text is stable.
 */
import type { ExecutionContext } from 'ava'
import { decodeRData, encodeRData, rdataFromText, rdataToText, writeRData, type RData } from '../src/rdata.js'
import { tokenize } from '../src/text.js'
import { WireWriter } from '../src/writer.js'
import { WireReader } from '../src/reader.js'
import { readRData } from '../src/rdata.js'

/** Runs every round trip on `data` and returns its wire form. */
export function roundTripRData(t: ExecutionContext, data: RData): Uint8Array {
  const wire = encodeRData(data)
  const back = decodeRData(data.type, wire)
  t.deepEqual(encodeRData(back), wire, 'encode(decode(encode(x))) = encode(x)')

  // written at offset 10 of a larger buffer through a WireWriter, read back from there
  const w = new WireWriter(8)
  w.bytes(new Uint8Array(10).fill(0xee))
  writeRData(w, data, 0)
  t.is(w.pos - 10, wire.length, 'bytes written equal the encoding length')
  w.bytes(new Uint8Array(7).fill(0xdd))
  const big = w.finish()
  t.deepEqual(big.subarray(10, 10 + wire.length), wire)
  const r = new WireReader(big, 10, 10 + wire.length)
  const back10 = readRData(r, data.type)
  t.is(r.pos, 10 + wire.length)
  t.deepEqual(encodeRData(back10), wire)
  t.deepEqual(encodeRData(decodeRData(data.type, big, 10, wire.length)), wire)

  const text = rdataToText(data)
  const parsed = rdataFromText(data.type, tokenize(text), null)
  t.is(rdataToText(parsed), text, 'text → rdata → text is stable')
  t.deepEqual(encodeRData(parsed), wire, 'text parses to the same wire form')
  return wire
}
