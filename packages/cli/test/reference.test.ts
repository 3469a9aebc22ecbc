import test from 'ava'
import { readFileSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import { BEGIN_MARKER, END_MARKER, fullProgram, renderReference, spliceReference } from '../src/reference.js'

const doc = fileURLToPath(new URL('../../../../docs/cli.md', import.meta.url))

test('docs/cli.md holds the command reference of the program as it is (regenerate: npm run docs -w @secdns/cli)', async (t) => {
  const text = readFileSync(doc, 'utf8')
  const generated = renderReference(await fullProgram())
  const begin = text.indexOf(BEGIN_MARKER)
  const end = text.indexOf(END_MARKER)
  t.true(begin >= 0 && end > begin, 'docs/cli.md has the generated-section markers')
  // Compared section by section, so a failure names the command whose help changed.
  const section = (s: string) => s.split(/^(?=### )/m)
  t.deepEqual(section(text.slice(begin, end + END_MARKER.length + 1)), section(generated), 'docs/cli.md is out of date: run `npx tsc -b && npm run docs -w @secdns/cli`')
  t.is(spliceReference(text, generated), text)
})

test('the reference lists every command with its Examples, the exit codes and the deprecated spellings', async (t) => {
  const generated = renderReference(await fullProgram())
  for (const path of ['secdns', 'secdns zone sign', 'secdns key revoke', 'secdns trust-anchor add', 'secdns nrpt show', 'secdns query', 'secdns lab']) {
    const at = generated.indexOf(`### \`${path}\``)
    t.true(at >= 0, path)
    t.regex(generated.slice(at, generated.indexOf('```\n\n', at + 10)), /\nExamples:\n/, path)
  }
  t.regex(generated, /\| 2 \| usage or input error/)
  t.regex(generated, /\| `secdns zone sign` \| `--origin <zone>` \| `--zone` \|/)
})

test('spliceReference refuses a document without the markers', (t) => {
  t.throws(() => spliceReference('# no markers\n', 'x'), { message: /no generated section/ })
})
