/** Resource ids: Bluum's shape (a prefix, an underscore, 26 base32 characters), unique. */
import t from 'tap'
import { createId } from '../mock-server/core/ids.js'

t.test('an id is the prefix, an underscore and 26 Crockford base32 characters', async (t) => {
  const ids = Array.from({ length: 5_000 }, (_, i) => createId(['inv', 'ord', 'evt', 'cw'][i % 4]!))
  for (const id of ids.slice(0, 8)) t.match(id, /^(inv|ord|evt|cw)_[0-9a-hjkmnp-tv-z]{26}$/)
  t.ok(
    ids.every((id) => /^(inv|ord|evt|cw)_[0-9a-hjkmnp-tv-z]{26}$/.test(id)),
    'all 5 000 (over 30 refills of the random pool)',
  )
  t.equal(new Set(ids).size, ids.length, 'no two alike')
  const used = new Set(ids.flatMap((id) => [...id.slice(id.indexOf('_') + 1)]))
  t.equal(used.size, 32, 'every character of the alphabet appears')
})

t.test('a prefix that is not lowercase letters is refused, not written into an id', async (t) => {
  for (const prefix of ['', 'Ord', 'ord_', 'ördr', 'x'.repeat(33)])
    t.throws(() => createId(prefix), RangeError, JSON.stringify(prefix))
  t.match(createId('x'.repeat(32)), /^x{32}_[0-9a-z]{26}$/, 'up to 32 letters')
})
