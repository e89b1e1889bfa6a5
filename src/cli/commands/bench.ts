import type { Command } from '../command.js';

/**
 * `unfold bench`: measures unfold against its peers (tfjs today).
 * The benchmarks own their arguments and `--help`; this entry only loads them, lazily,
 * so that no other command pays for loading the benchmarks (and, through them, the peers).
 */
export const benchCommand: Command = {
  name: 'bench',
  summary: "measure unfold's speed against its peers (e.g. unfold bench gemm --json)",
  async run(argv, io) {
    const { runBench } = await import('../../bench/main.js');
    return runBench([...argv], io);
  },
};
