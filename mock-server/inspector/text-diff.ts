/**
 * A line diff of two texts (longest common subsequence), for showing how one attempt's answer
 * differs from the one before. Pure; inputs are capped so a 64 KiB body cannot cost seconds.
 */

export interface DiffLine {
  kind: 'same' | 'added' | 'removed'
  text: string
}

/** Lines compared at most per side; beyond it the rest is shown as removed/added wholesale. */
const maxLines = 400

/** The lines of `after` against `before`, in order, each kept, added or removed. */
export function diffLines(before: string, after: string): DiffLine[] {
  const a = before.split('\n')
  const b = after.split('\n')
  const headA = a.slice(0, maxLines)
  const headB = b.slice(0, maxLines)
  // lcs[i][j]: length of the longest common subsequence of headA[i..] and headB[j..].
  const lcs: number[][] = Array.from({ length: headA.length + 1 }, () =>
    new Array<number>(headB.length + 1).fill(0),
  )
  for (let i = headA.length - 1; i >= 0; i--)
    for (let j = headB.length - 1; j >= 0; j--)
      lcs[i]![j] =
        headA[i] === headB[j] ? lcs[i + 1]![j + 1]! + 1 : Math.max(lcs[i + 1]![j]!, lcs[i]![j + 1]!)
  const out: DiffLine[] = []
  let i = 0
  let j = 0
  while (i < headA.length && j < headB.length) {
    if (headA[i] === headB[j]) {
      out.push({ kind: 'same', text: headA[i]! })
      i++
      j++
    } else if (lcs[i + 1]![j]! >= lcs[i]![j + 1]!) out.push({ kind: 'removed', text: headA[i++]! })
    else out.push({ kind: 'added', text: headB[j++]! })
  }
  for (; i < a.length; i++) out.push({ kind: 'removed', text: a[i]! })
  for (; j < b.length; j++) out.push({ kind: 'added', text: b[j]! })
  return out
}
