/**
 * Step progress for `secdns lab`: a spinner with the elapsed time on a TTY, one plain
 * line per finished step when the output is piped, nothing when quiet.
 */

/** Where progress goes and how. */
export interface ProgressOptions {
  /** The stream (stderr in the CLI). */
  readonly stream: NodeJS.WritableStream & { isTTY?: boolean, columns?: number }
  /** Write nothing at all. */
  readonly quiet?: boolean
}

/** A finished step and how long it took. */
export interface StepTiming {
  readonly step: string
  readonly ms: number
  readonly ok: boolean
}

const FRAMES = ['⠋', '⠙', '⠹', '⠸', '⠼', '⠴', '⠦', '⠧', '⠇', '⠏']

/**
 * Runs named steps, shows them as they go, and keeps their timings.
 *
 * @example
 * const p = new Progress({ stream: process.stderr })
 * const ca = await p.step('create the lab CA', () => createRootCa({ name: 'secdns Lab Root CA' }))
 */
export class Progress {
  readonly #opts: ProgressOptions
  /** Every step run so far, in order. */
  readonly timings: StepTiming[] = []

  /** @param opts the stream, and whether to stay quiet */
  constructor(opts: ProgressOptions) {
    this.#opts = opts
  }

  /**
   * Run one step: a spinner while it runs on a TTY, then `✔ label (12 ms)`; piped, one
   * plain line `label … ok (12 ms)` when it ends.
   * @param label what the step does
   * @param fn the work
   * @param okOf whether what `fn` returned counts as success (default: it returned)
   * @returns what `fn` returned; its error is rethrown after the step is marked failed
   */
  async step<T>(label: string, fn: () => Promise<T> | T, okOf?: (v: T) => boolean): Promise<T> {
    const { stream, quiet } = this.#opts
    // TERM=dumb cannot take the cursor movement the spinner needs: plain lines there too.
    const tty = stream.isTTY === true && quiet !== true && process.env['TERM'] !== 'dumb'
    const start = performance.now()
    let frame = 0
    const draw = (): void => {
      const s = ((performance.now() - start) / 1000).toFixed(1)
      // A spinner line longer than the terminal wraps, and \r then redraws only its tail.
      const room = (stream.columns ?? 200) - s.length - 5
      const shown = label.length > room ? `${label.slice(0, Math.max(10, room - 1))}…` : label
      stream.write(`\r\x1b[2K${FRAMES[frame++ % FRAMES.length]} ${shown} ${s}s`)
    }
    let timer: NodeJS.Timeout | undefined
    if (tty) { draw(); timer = setInterval(draw, 80); timer.unref() }
    let ok = false
    try {
      const v = await fn()
      ok = okOf === undefined ? true : okOf(v)
      return v
    } finally {
      if (timer !== undefined) clearInterval(timer)
      const ms = Math.round(performance.now() - start)
      this.timings.push({ step: label, ms, ok })
      if (tty) stream.write(`\r\x1b[2K${ok ? '✔' : '✘'} ${label} (${ms} ms)\n`)
      else if (quiet !== true) stream.write(`${label} … ${ok ? 'ok' : 'failed'} (${ms} ms)\n`)
    }
  }
}
