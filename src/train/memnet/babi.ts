import { ArgumentError, Rng, UnfoldError } from '../../tensor/index.js';

/**
 * One question with its story: the statements before the question (oldest first), each
 * a list of lower-case words, the question's words, the one-word answer and the indices of
 * the supporting statements (into `story`), when known.
 */
export interface QAExample {
  readonly story: readonly (readonly string[])[];
  readonly question: readonly string[];
  readonly answer: string;
  readonly supporting: readonly number[];
}

/** The bAbI tasks unfold generates (Weston et al. 2015): 1, 2 and 3 supporting facts. */
export type BabiTask = 1 | 2 | 3;

/** A malformed bAbI-format text; the message names the line. */
export class BabiFormatError extends UnfoldError {
  constructor(message: string) {
    super('babi', message);
  }
}

/** Lower-case words of a bAbI line, without punctuation. @example `tokenizeBabi('Mary moved to the bathroom.')` -> ['mary', 'moved', 'to', 'the', 'bathroom'] */
export function tokenizeBabi(text: string): string[] {
  return text.toLowerCase().replace(/[.?!,]/g, ' ').split(/\s+/).filter((w) => w !== '');
}

/**
 * Parses bAbI-format text (Weston et al. 2015): numbered lines, numbering restarting at 1
 * for each story; a statement is `ID text`, a question `ID question?<TAB>answer<TAB>ids of
 * the supporting statements`. Every question becomes one {@link QAExample} whose story is
 * the statements of its story so far (questions are not part of the story). Takes the text,
 * not a file: reading files is the CLI's business.
 *
 * @example
 * ```ts
 * const examples = parseBabi('1 Mary moved to the bathroom.\n2 Where is Mary?\tbathroom\t1\n');
 * examples[0].answer; // 'bathroom'
 * ```
 */
export function parseBabi(text: string, source = 'bAbI text'): QAExample[] {
  const examples: QAExample[] = [];
  let story: string[][] = [];
  /** bAbI line id -> index into `story` (questions have ids too, so the two differ). */
  let index = new Map<number, number>();
  let lastId = 0;
  const lines = text.split(/\r?\n/);
  lines.forEach((raw, n) => {
    const line = raw.trim();
    if (line === '') return;
    const where = `${source}, line ${n + 1}`;
    const match = /^(\d+)\s+(.*)$/.exec(line);
    if (match === null) throw new BabiFormatError(`${where}: expected 'ID text', got '${line.slice(0, 40)}'`);
    const id = Number(match[1]);
    if (id === 1 || id <= lastId) {
      story = [];
      index = new Map();
    }
    lastId = id;
    const rest = match[2] as string;
    const parts = rest.split('\t');
    if (parts.length === 1) {
      index.set(id, story.length);
      story.push(tokenizeBabi(rest));
      return;
    }
    if (parts.length < 2 || (parts[1] as string).trim() === '') throw new BabiFormatError(`${where}: a question needs a tab and an answer`);
    const answer = (parts[1] as string).trim().toLowerCase();
    const supporting = (parts[2] ?? '').trim() === '' ? [] : (parts[2] as string).trim().split(/\s+/).map((s) => {
      const at = index.get(Number(s));
      if (at === undefined) throw new BabiFormatError(`${where}: supporting fact ${s} is not a statement of this story`);
      return at;
    });
    examples.push({ story: story.map((s) => [...s]), question: tokenizeBabi(parts[0] as string), answer, supporting });
  });
  if (examples.length === 0) throw new BabiFormatError(`${source}: no questions found (is this bAbI format?)`);
  return examples;
}

/**
 * Writes examples back in bAbI format, one story per example (ids restart at 1), so generated
 * data can be saved and read by other bAbI tools.
 *
 * @example
 * ```ts
 * const text = formatBabi(generateBabi(1, 10, new Rng(0)));
 * parseBabi(text).length; // 10
 * ```
 */
export function formatBabi(examples: readonly QAExample[]): string {
  const lines: string[] = [];
  for (const e of examples) {
    e.story.forEach((s, i) => lines.push(`${i + 1} ${sentence(s)}.`));
    const q = e.question.join(' ');
    lines.push(`${e.story.length + 1} ${q.charAt(0).toUpperCase()}${q.slice(1)}?\t${e.answer}\t${e.supporting.map((i) => i + 1).join(' ')}`);
  }
  return `${lines.join('\n')}\n`;
}

function sentence(words: readonly string[]): string {
  const s = words.join(' ');
  return s.charAt(0).toUpperCase() + s.slice(1);
}

const ACTORS = ['mary', 'john', 'daniel', 'sandra'] as const;
const LOCATIONS = ['bathroom', 'hallway', 'garden', 'office', 'bedroom', 'kitchen'] as const;
const OBJECTS = ['football', 'apple', 'milk'] as const;
const MOVES = [['moved', 'to'], ['went', 'to'], ['went', 'back', 'to'], ['journeyed', 'to'], ['travelled', 'to']] as const;
const TAKES = [['picked', 'up'], ['got'], ['grabbed'], ['took']] as const;
const DROPS = [['dropped'], ['discarded'], ['put', 'down'], ['left']] as const;

/** Per task: statements between questions, questions per story. Shapes follow the released bAbI data. */
const STORY_SHAPE = {
  1: { between: [2, 2], questions: 5 },
  2: { between: [1, 6], questions: 5 },
  3: { between: [2, 10], questions: 5 },
} as const;

function pick<T>(items: readonly T[], rng: Rng): T {
  return items[rng.int(items.length)] as T;
}

/**
 * The world a story describes: where each actor is, who holds each object or where it lies,
 * and for each object the statements that moved it and the places it has been.
 */
class World {
  readonly story: string[][] = [];
  readonly actorAt = new Map<string, { place: string; fact: number }>();
  readonly holder = new Map<string, { actor: string; fact: number }>();
  readonly lying = new Map<string, { place: string; facts: number[] }>();
  /** Per object, the places it has been in order, each with the facts that put it there. */
  readonly trail = new Map<string, { place: string; facts: number[] }[]>();

  constructor(private readonly rng: Rng) {}

  private say(words: readonly string[]): number {
    this.story.push([...words]);
    return this.story.length - 1;
  }

  private visit(object: string, place: string, facts: number[]): void {
    const trail = this.trail.get(object) ?? [];
    if (trail.at(-1)?.place !== place) trail.push({ place, facts });
    this.trail.set(object, trail);
  }

  move(actor: string): void {
    const current = this.actorAt.get(actor)?.place;
    let place = pick(LOCATIONS, this.rng);
    while (place === current) place = pick(LOCATIONS, this.rng);
    const fact = this.say([actor, ...pick(MOVES, this.rng), 'the', place]);
    this.actorAt.set(actor, { place, fact });
    for (const [object, h] of this.holder) if (h.actor === actor) this.visit(object, place, [h.fact, fact]);
  }

  /** Someone who is somewhere takes an object lying there, or one nobody has placed yet. */
  take(): boolean {
    const options: [string, string][] = [];
    for (const actor of ACTORS) {
      const at = this.actorAt.get(actor);
      if (at === undefined) continue;
      for (const object of OBJECTS) {
        if (this.holder.has(object)) continue;
        const lies = this.lying.get(object);
        if (lies === undefined || lies.place === at.place) options.push([actor, object]);
      }
    }
    if (options.length === 0) return false;
    const [actor, object] = pick(options, this.rng);
    const fact = this.say([actor, ...pick(TAKES, this.rng), 'the', object]);
    this.holder.set(object, { actor, fact });
    this.lying.delete(object);
    const at = this.actorAt.get(actor) as { place: string; fact: number };
    this.visit(object, at.place, [fact, at.fact]);
    return true;
  }

  drop(): boolean {
    const held = [...this.holder.entries()];
    if (held.length === 0) return false;
    const [object, h] = pick(held, this.rng);
    const fact = this.say([h.actor, ...pick(DROPS, this.rng), 'the', object]);
    this.holder.delete(object);
    const at = this.actorAt.get(h.actor) as { place: string; fact: number };
    this.lying.set(object, { place: at.place, facts: [at.fact, fact].sort((a, b) => a - b) });
    return true;
  }

  /** Where an object is now and the facts that say so (holder's move and the taking, or the dropping and the dropper's move). */
  whereIs(object: string): { place: string; facts: number[] } | null {
    const h = this.holder.get(object);
    if (h !== undefined) {
      const at = this.actorAt.get(h.actor);
      return at === undefined ? null : { place: at.place, facts: [h.fact, at.fact].sort((a, b) => a - b) };
    }
    const lies = this.lying.get(object);
    return lies === undefined ? null : { place: lies.place, facts: lies.facts };
  }
}

/** One story of `task`, split into its questions. */
function generateStory(task: BabiTask, rng: Rng): QAExample[] {
  const world = new World(rng);
  const shape = STORY_SHAPE[task];
  const out: QAExample[] = [];
  const snapshot = (question: string[], answer: string, supporting: number[]): void => {
    out.push({ story: world.story.map((s) => [...s]), question, answer, supporting });
  };
  // Task 1 is actors moving only; tasks 2 and 3 mix in objects picked up and dropped (more
  // often in task 3, whose questions need an object that has been carried between rooms).
  const event = (): void => {
    const roll = rng.uniform();
    if (task === 1 || roll < 0.6) world.move(pick(ACTORS, rng));
    else if (roll < 0.85 || !world.drop()) {
      if (!world.take()) world.move(pick(ACTORS, rng));
    }
  };
  let guard = 0;
  while (out.length < shape.questions && guard++ < 1000) {
    const between = shape.between[0] + rng.int(shape.between[1] - shape.between[0] + 1);
    for (let i = 0; i < between; i++) event();
    if (task === 1) {
      const known = ACTORS.filter((a) => world.actorAt.has(a));
      if (known.length === 0) continue;
      const actor = pick(known, rng);
      const at = world.actorAt.get(actor) as { place: string; fact: number };
      snapshot(['where', 'is', actor], at.place, [at.fact]);
    } else if (task === 2) {
      // Prefer objects someone is carrying: those need both supporting facts.
      const carried = OBJECTS.filter((o) => world.holder.has(o) && world.whereIs(o) !== null);
      const located = OBJECTS.filter((o) => world.whereIs(o) !== null);
      const pool = carried.length > 0 ? carried : located;
      if (pool.length === 0) continue;
      const object = pick(pool, rng);
      const where = world.whereIs(object) as { place: string; facts: number[] };
      snapshot(['where', 'is', 'the', object], where.place, where.facts);
    } else {
      const candidates = OBJECTS.filter((o) => (world.trail.get(o)?.length ?? 0) >= 2);
      if (candidates.length === 0) continue;
      const object = pick(candidates, rng);
      const trail = world.trail.get(object) as { place: string; facts: number[] }[];
      // "Before the X": X is one of the places it has been (not the first), the answer the place before it.
      const at = 1 + rng.int(trail.length - 1);
      const place = (trail[at] as { place: string }).place;
      // The last visit to that place is the one the question means.
      let last = at;
      for (let i = at; i < trail.length; i++) if ((trail[i] as { place: string }).place === place) last = i;
      const before = trail[last - 1] as { place: string; facts: number[] };
      const arrival = trail[last] as { facts: number[] };
      snapshot(['where', 'was', 'the', object, 'before', 'the', place], before.place, [...new Set([...before.facts, ...arrival.facts])].sort((a, b) => a - b));
    }
  }
  return out;
}

/**
 * Seeded bAbI-style question answering for the first three tasks of Weston et al. 2015,
 * written from the task definitions: four people move between six rooms and pick up and
 * drop three objects; every question is answerable from the story so far.
 *
 * - task 1, single supporting fact: "Where is Mary?" after "Mary went to the kitchen."
 * - task 2, two supporting facts: "Where is the football?" needs who took it and where they went.
 * - task 3, three supporting facts: "Where was the football before the garden?"
 *
 * Returns `count` questions from consecutive stories (about five per story, as in bAbI,
 * whose "1k" sets are 1,000 questions).
 *
 * @example
 * ```ts
 * const train = generateBabi(1, 1000, new Rng(1));
 * train[0].question; // ['where', 'is', 'mary']
 * ```
 */
export function generateBabi(task: BabiTask, count: number, rng: Rng): QAExample[] {
  if (task !== 1 && task !== 2 && task !== 3) throw new ArgumentError('babi', `task must be 1, 2 or 3, got ${String(task)}`);
  if (!Number.isInteger(count) || count < 1) throw new ArgumentError('babi', `count must be a positive integer, got ${count}`);
  const out: QAExample[] = [];
  while (out.length < count) out.push(...generateStory(task, rng));
  return out.slice(0, count);
}
