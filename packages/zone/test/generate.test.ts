import test from 'ava'
import { generateText, parseGenerateRange } from '../src/generate.js'

test('substitutes the iterator for a bare dollar', (t) => { t.is(generateText('host$', 7), 'host7') })
test('turns $$ into a literal dollar and keeps backslash escapes', (t) => {
  t.is(generateText('a$$b', 1), 'a$b')
  t.is(generateText('a\\$b$', 3), 'a\\$b3')
})
test('applies offset, width and base modifiers', (t) => {
  t.is(generateText('${10}', 2), '12')
  t.is(generateText('${-1,3}', 5), '004')
  t.is(generateText('${0,4,x}', 255), '00ff')
  t.is(generateText('${0,0,X}', 255), 'FF')
  t.is(generateText('${0,3,o}', 8), '010')
  t.is(generateText('${0,0,d}', 9), '9')
})
test('prints nibbles least significant first with dots counted in the width', (t) => {
  t.is(generateText('${0,0,n}', 0x12), '2.1')
  t.is(generateText('${0,7,n}', 0x12), '2.1.0.0')
  t.is(generateText('${0,0,N}', 0xab), 'B.A')
  t.is(generateText('${0,0,n}', 0), '0')
})
test('rejects malformed modifiers', (t) => {
  t.is(generateText('${x}', 1), null)
  t.is(generateText('${1,2,q}', 1), null)
  t.is(generateText('${1', 1), null)
})
test('parses ranges with and without a step', (t) => {
  t.deepEqual(parseGenerateRange('1-10'), { start: 1, stop: 10, step: 1 })
  t.deepEqual(parseGenerateRange('0-100/5'), { start: 0, stop: 100, step: 5 })
})
test('rejects reversed ranges, zero steps and junk', (t) => {
  t.is(parseGenerateRange('10-1'), null)
  t.is(parseGenerateRange('1-10/0'), null)
  t.is(parseGenerateRange('a-b'), null)
  t.is(parseGenerateRange('-1-3'), null)
})
