/**
 * Character-level vocabularies: every task encodes text one symbol (one character) per token, after three
 * special tokens `<pad>` = 0, `<bos>` = 1, `<eos>` = 2.
 */
import { ConfigError } from "../core/validate.ts";
import type { Vocabulary } from "./types.ts";

/** Special-token symbols, in id order (pad = 0, bos = 1, eos = 2). */
export const SPECIAL_SYMBOLS = ["<pad>", "<bos>", "<eos>"] as const;

/** A character vocabulary: ids 0–2 are pad/bos/eos, then one id per character of `chars` (each used once). */
export class CharVocabulary implements Vocabulary {
  /** Symbols by id. */
  readonly symbols: readonly string[];
  /** Padding token id (0). */
  readonly pad = 0;
  /** Beginning-of-sequence token id (1). */
  readonly bos = 1;
  /** End-of-sequence token id (2). */
  readonly eos = 2;
  private readonly ids: Map<string, number>;

  /** Build from a string of distinct single characters, e.g. `new CharVocabulary("0123456789+=")`. */
  constructor(chars: string) {
    if (typeof chars !== "string" || chars.length === 0) {
      throw new ConfigError("chars", "must be a non-empty string of distinct characters", chars);
    }
    const list = Array.from(chars);
    const seen = new Set<string>();
    for (const c of list) {
      if (seen.has(c)) {
        throw new ConfigError("chars", `must not repeat a character; "${c}" appears twice`, chars);
      }
      seen.add(c);
    }
    this.symbols = [...SPECIAL_SYMBOLS, ...list];
    this.ids = new Map(list.map((c, i) => [c, i + SPECIAL_SYMBOLS.length]));
  }

  /** Number of tokens (specials included). */
  get size(): number {
    return this.symbols.length;
  }

  /** Encode character by character; throws a ConfigError naming the first unknown symbol. */
  encode(text: string): number[] {
    const out: number[] = [];
    let i = 0;
    for (const c of text) {
      const id = this.ids.get(c);
      if (id === undefined) {
        throw new ConfigError(
          "text",
          `contains unknown symbol ${JSON.stringify(c)} at index ${i}; known symbols: ${
            this.symbols.slice(SPECIAL_SYMBOLS.length).join("")
          }`,
          text,
        );
      }
      out.push(id);
      i++;
    }
    return out;
  }

  /** Decode ids to text, dropping pad/bos/eos; throws on an id outside the vocabulary. */
  decode(ids: readonly number[]): string {
    let s = "";
    for (let i = 0; i < ids.length; i++) {
      const id = ids[i];
      if (!Number.isInteger(id) || id < 0 || id >= this.symbols.length) {
        throw new ConfigError(`ids[${i}]`, `must be a token id in [0, ${this.symbols.length - 1}]`, id);
      }
      if (id >= SPECIAL_SYMBOLS.length) s += this.symbols[id];
    }
    return s;
  }

  /** Tokens before the first eos (the whole array if there is none). */
  untilEos(ids: readonly number[]): number[] {
    const k = ids.indexOf(this.eos);
    return k < 0 ? ids.slice() : ids.slice(0, k);
  }
}
