/**
 * A server-sent events reader for tests, written apart from the CLI's client so a bug in one cannot
 * pass the other's test: frames split on blank lines, `event:` and `data:` fields, comments kept.
 */
export interface SseFrame {
  /** `event:` field; `message` when absent; `comment` for a `:` line alone. */
  event: string
  data: string
}

export interface SseReader {
  /** Every frame read so far, in order. */
  frames: SseFrame[]
  /** Resolves with the first frame (from the start) that `match` accepts, waiting for more as needed. */
  next(match: (frame: SseFrame) => boolean): Promise<SseFrame>
  /** Resolves when the server ended the stream. */
  ended: Promise<void>
  /** Cancels the body (the client side closes). */
  cancel(): Promise<void>
}

/** Reads `response.body` as an event stream. */
export function readSse(response: Response): SseReader {
  const frames: SseFrame[] = []
  const waiters: (() => void)[] = []
  const reader = response.body!.pipeThrough(new TextDecoderStream()).getReader()
  let buffer = ''
  const ended = (async () => {
    for (;;) {
      const { value, done } = await reader.read().catch(() => ({ value: undefined, done: true }))
      if (done) break
      buffer += value
      let cut: number
      while ((cut = buffer.indexOf('\n\n')) >= 0) {
        const block = buffer.slice(0, cut)
        buffer = buffer.slice(cut + 2)
        let event = 'message'
        const data: string[] = []
        for (const line of block.split('\n')) {
          if (line.startsWith(':')) frames.push({ event: 'comment', data: line.slice(1).trim() })
          else if (line.startsWith('event:')) event = line.slice(6).trim()
          else if (line.startsWith('data:')) data.push(line.slice(5).trimStart())
        }
        if (data.length) frames.push({ event, data: data.join('\n') })
      }
      for (const wake of waiters.splice(0)) wake()
    }
    for (const wake of waiters.splice(0)) wake()
  })()
  let done = false
  void ended.then(() => (done = true))
  return {
    frames,
    ended,
    async next(match) {
      for (;;) {
        const found = frames.find(match)
        if (found) return found
        if (done) throw new Error(`the stream ended; frames: ${JSON.stringify(frames)}`)
        await new Promise<void>((resolve) => waiters.push(resolve))
      }
    },
    cancel: () => reader.cancel(),
  }
}
