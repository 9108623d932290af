import cliProgress from 'cli-progress';

/** Progress of named phases (one bar each on a terminal). */
export interface Progress {
  update(phase: string, done: number, total: number): void;
  stop(): void;
}

/**
 * Bars on a terminal; elsewhere (piped, in CI, in a log file) one plain line
 * per phase at its start, every `intervalMs` while it runs, and at its end.
 */
export function createProgress(output: NodeJS.WriteStream = process.stdout, intervalMs = 2_000): Progress {
  return output.isTTY ? terminalBars(output) : plainLines(output, intervalMs);
}

function terminalBars(output: NodeJS.WriteStream): Progress {
  const bars = new cliProgress.MultiBar(
    { format: ' {phase} [{bar}] {value}/{total} {percentage}% {duration}s', hideCursor: true, stream: output },
    cliProgress.Presets.shades_classic,
  );
  const byPhase = new Map<string, cliProgress.SingleBar>();
  const width = 12;
  return {
    update(phase, done, total) {
      let bar = byPhase.get(phase);
      if (!bar) {
        bar = bars.create(total, 0, { phase: phase.padEnd(width) });
        byPhase.set(phase, bar);
      }
      bar.update(done);
    },
    stop: () => bars.stop(),
  };
}

function plainLines(output: NodeJS.WriteStream, intervalMs: number): Progress {
  const phases = new Map<string, { started: number; lastLine: number; finished: boolean }>();
  return {
    update(phase, done, total) {
      const now = Date.now();
      let state = phases.get(phase);
      const first = !state;
      state ??= { started: now, lastLine: 0, finished: false };
      phases.set(phase, state);
      const finished = done >= total;
      if (state.finished || (!first && !finished && now - state.lastLine < intervalMs)) return;
      state.lastLine = now;
      state.finished = finished;
      const percent = total > 0 ? Math.floor((done / total) * 100) : 100;
      output.write(`${phase}: ${done}/${total} (${percent}%) ${((now - state.started) / 1000).toFixed(1)} s\n`);
    },
    stop() {},
  };
}
