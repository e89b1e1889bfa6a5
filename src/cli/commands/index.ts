import type { Command } from '../command.js';
import { benchCommand } from './bench.js';
import { esnCommand } from './esn.js';
import { gradientsCommand } from './gradients.js';
import { memnetCommand } from './memnet.js';
import { ntmCommand } from './ntm.js';
import { evalCommand, sampleCommand, trainCommand } from './lm.js';
import { seq2seqCommand } from './seq2seq.js';
import { taskCommand } from './task.js';
import { treeCommand } from './tree.js';

/**
 * Every `unfold` subcommand, in the order `unfold --help` lists them. Adding a command
 * is one module in this folder and one entry here.
 */
export const commands: readonly Command[] = [trainCommand, sampleCommand, evalCommand, taskCommand, esnCommand, seq2seqCommand, treeCommand, ntmCommand, memnetCommand, gradientsCommand, benchCommand];
