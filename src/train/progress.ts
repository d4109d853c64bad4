// Terminal progress: a one-line bar on a TTY (epoch, step, loss in nats, examples/s, ETA), or one plain line
// per epoch when the output is a pipe or a file.
export type ProgressStyle = 'bar' | 'lines' | 'none';

function fmtTime(sec: number): string {
  if (!Number.isFinite(sec)) return '--:--';
  const s = Math.max(0, Math.round(sec));
  const h = Math.floor(s / 3600), m = Math.floor((s % 3600) / 60), r = s % 60;
  return (h ? `${h}:${String(m).padStart(2, '0')}` : `${m}`) + `:${String(r).padStart(2, '0')}`;
}

export class Progress {
  private last = 0;
  private readonly t0 = performance.now();
  constructor(private style: ProgressStyle, private epochs: number, private stepsPerEpoch: number,
    private out: NodeJS.WriteStream = process.stderr) {}

  static resolve(setting: 'auto' | ProgressStyle, stream: NodeJS.WriteStream = process.stderr): ProgressStyle {
    return setting === 'auto' ? (stream.isTTY ? 'bar' : 'lines') : setting;
  }

  /** After each step. loss in nats/example, rate in examples/s. */
  step(epoch: number, step: number, loss: number, rate: number): void {
    if (this.style !== 'bar') return;
    const now = performance.now();
    if (now - this.last < 100 && step < this.stepsPerEpoch) return; // ≤ 10 redraws/s
    this.last = now;
    const done = (epoch - 1) * this.stepsPerEpoch + step, total = this.epochs * this.stepsPerEpoch;
    const elapsed = (now - this.t0) / 1000;
    const eta = done > 0 ? (elapsed / done) * (total - done) : Infinity;
    const w = 20, fill = Math.round((w * step) / this.stepsPerEpoch);
    const bar = '#'.repeat(fill) + '.'.repeat(w - fill);
    this.out.write(`\repoch ${epoch}/${this.epochs} [${bar}] step ${step}/${this.stepsPerEpoch}  loss ${loss.toFixed(2)} nats  ${Math.round(rate)} ex/s  ETA ${fmtTime(eta)}   `);
  }

  /** At the end of an epoch: a permanent line. */
  epoch(line: string): void {
    if (this.style === 'none') return;
    if (this.style === 'bar') this.out.write('\r\x1b[K');
    this.out.write(line + '\n');
  }

  message(line: string): void {
    if (this.style === 'none') return;
    if (this.style === 'bar') this.out.write('\r\x1b[K');
    this.out.write(line + '\n');
  }
}
