/**
 * A tiny declarative schema language: every config key is described once (type, default,
 * description, example), and validation, the sample file and the documentation are derived
 * from that description. Types are inferred, so the TypeScript config type cannot drift.
 */

export interface ConfigProblem {
  /** Dotted path of the key, e.g. `homeserver.url`. */
  key: string;
  problem: string;
  fix: string;
}

interface FieldBase<T> {
  readonly description: string;
  /** Present when the key may be omitted. */
  readonly default?: T;
  /** Shown in the sample config instead of the default (or for required keys). */
  readonly example?: unknown;
  /** The key may be left out and then has no value at all. */
  readonly optional?: boolean;
  /** Parses a present value; pushes problems and returns undefined when invalid. */
  parse(value: unknown, key: string, problems: ConfigProblem[]): T | undefined;
}

export interface LeafField<T> extends FieldBase<T> {
  readonly kind: "leaf";
  /** One-word type name for docs, e.g. `string`, `integer`, `one of: a, b`. */
  readonly typeName: string;
}

export interface SectionField<T> extends FieldBase<T> {
  readonly kind: "section";
  readonly fields: Record<string, Field<unknown>>;
}

export interface MapField<T> extends FieldBase<T> {
  readonly kind: "map";
  readonly typeName: string;
}

export type Field<T> = LeafField<T> | SectionField<T> | MapField<T>;

export type Infer<F> = F extends Field<infer T> ? T : never;

interface LeafOptions<T> {
  description: string;
  default?: T;
  example?: unknown;
}

function describeValue(value: unknown): string {
  if (value === null) return "null";
  if (Array.isArray(value)) return "a list";
  if (typeof value === "object") return "a mapping";
  return `${typeof value} ${JSON.stringify(value)}`;
}

function leaf<T>(
  typeName: string,
  options: LeafOptions<T>,
  check: (value: unknown) => { ok: true; value: T } | { ok: false; problem: string; fix: string },
): LeafField<T> {
  return {
    kind: "leaf",
    typeName,
    ...options,
    parse(value, key, problems) {
      const result = check(value);
      if (result.ok) return result.value;
      problems.push({ key, problem: result.problem, fix: result.fix });
      return undefined;
    },
  };
}

export function string(
  options: LeafOptions<string> & { pattern?: RegExp; patternHint?: string },
): LeafField<string> {
  return leaf("string", options, (value) => {
    if (typeof value !== "string" || value.length === 0) {
      return {
        ok: false,
        problem: `expected a non-empty string, got ${describeValue(value)}`,
        fix: "set it to a quoted string",
      };
    }
    if (options.pattern && !options.pattern.test(value)) {
      return {
        ok: false,
        problem: `"${value}" is not valid`,
        fix: options.patternHint ?? `match ${options.pattern}`,
      };
    }
    return { ok: true, value };
  });
}

/** A file path; relative paths are taken from the config file's directory when loaded. */
export function path(options: LeafOptions<string>): LeafField<string> {
  return { ...string(options), typeName: "path" };
}

export function url(options: LeafOptions<string> & { schemes?: string[] }): LeafField<string> {
  const schemes = options.schemes ?? ["http:", "https:"];
  return leaf("URL", options, (value) => {
    if (typeof value !== "string") {
      return {
        ok: false,
        problem: `expected a URL, got ${describeValue(value)}`,
        fix: "set it to a URL such as http://localhost:8008",
      };
    }
    let parsed: URL;
    try {
      parsed = new URL(value);
    } catch {
      return {
        ok: false,
        problem: `"${value}" is not a URL`,
        fix: "write the full URL including the scheme, e.g. http://localhost:8008",
      };
    }
    if (!schemes.includes(parsed.protocol)) {
      return {
        ok: false,
        problem: `scheme ${parsed.protocol} is not supported`,
        fix: `write the full URL starting with ${schemes.map((s) => s + "//").join(" or ")}, e.g. http://localhost:8008`,
      };
    }
    return { ok: true, value: value.replace(/\/+$/, "") };
  });
}

export function integer(options: LeafOptions<number> & { min?: number; max?: number }): LeafField<number> {
  const { min = Number.MIN_SAFE_INTEGER, max = Number.MAX_SAFE_INTEGER } = options;
  return leaf("integer", options, (value) => {
    if (typeof value !== "number" || !Number.isInteger(value)) {
      return {
        ok: false,
        problem: `expected an integer, got ${describeValue(value)}`,
        fix: `set a whole number between ${min} and ${max}`,
      };
    }
    if (value < min || value > max) {
      return {
        ok: false,
        problem: `${value} is out of range`,
        fix: `set a whole number between ${min} and ${max}`,
      };
    }
    return { ok: true, value };
  });
}

export function boolean(options: LeafOptions<boolean>): LeafField<boolean> {
  return leaf("boolean", options, (value) =>
    typeof value === "boolean"
      ? { ok: true, value }
      : {
          ok: false,
          problem: `expected true or false, got ${describeValue(value)}`,
          fix: "write true or false without quotes",
        },
  );
}

export function oneOf<const V extends string>(values: readonly V[], options: LeafOptions<V>): LeafField<V> {
  return leaf(`one of: ${values.join(", ")}`, options, (value) =>
    typeof value === "string" && (values as readonly string[]).includes(value)
      ? { ok: true, value: value as V }
      : {
          ok: false,
          problem: `${describeValue(value)} is not allowed`,
          fix: `use one of: ${values.join(", ")}`,
        },
  );
}

/** A mapping from free-form keys to values of one leaf type (e.g. permissions). */
export function mapOf<V>(
  keyName: string,
  value: LeafField<V>,
  options: LeafOptions<Record<string, V>> & {
    /** Returns why a key is not allowed, or undefined when it is. */
    checkKey?: (key: string) => { problem: string; fix: string } | undefined;
  },
): MapField<Record<string, V>> {
  return {
    kind: "map",
    typeName: `mapping of ${keyName} to ${value.typeName}`,
    ...options,
    parse(raw, key, problems) {
      if (raw === null || typeof raw !== "object" || Array.isArray(raw)) {
        problems.push({
          key,
          problem: `expected a mapping, got ${describeValue(raw)}`,
          fix: `write ${keyName}: value pairs under ${key}`,
        });
        return undefined;
      }
      const out: Record<string, V> = {};
      for (const [entryKey, entryValue] of Object.entries(raw)) {
        const keyProblem = options.checkKey?.(entryKey);
        if (keyProblem) problems.push({ key: `${key}["${entryKey}"]`, ...keyProblem });
        const parsed = value.parse(entryValue, `${key}["${entryKey}"]`, problems);
        if (parsed !== undefined) out[entryKey] = parsed;
      }
      return out;
    },
  };
}

type SectionType<F extends Record<string, Field<unknown>>> = { [K in keyof F]: Infer<F[K]> };

/**
 * A mapping with known keys. Unknown keys are errors (they are almost always typos).
 * A section whose keys may all be absent may itself be omitted.
 */
export function section<F extends Record<string, Field<unknown>>>(
  description: string,
  fields: F,
): SectionField<SectionType<F>> {
  const allDefaulted = Object.values(fields).every(mayBeAbsent);
  const parse = (raw: unknown, key: string, problems: ConfigProblem[]): SectionType<F> | undefined => {
    const at = (name: string) => (key ? `${key}.${name}` : name);
    if (raw === undefined || raw === null) raw = {};
    if (typeof raw !== "object" || Array.isArray(raw)) {
      problems.push({
        key: key || "(top level)",
        problem: `expected a mapping, got ${describeValue(raw)}`,
        fix: "indent the keys of this section below it",
      });
      return undefined;
    }
    const input = raw as Record<string, unknown>;
    for (const name of Object.keys(input)) {
      if (!(name in fields)) {
        problems.push({
          key: at(name),
          problem: "unknown key",
          fix: `remove it or check the spelling; known keys here: ${Object.keys(fields).join(", ")}`,
        });
      }
    }
    const out: Record<string, unknown> = {};
    for (const [name, field] of Object.entries(fields)) {
      const value = input[name];
      if (value === undefined || value === null) {
        if (field.optional) {
          out[name] = undefined;
        } else if (field.kind === "section") {
          out[name] = field.parse(undefined, at(name), problems);
        } else if (field.default !== undefined) {
          out[name] = field.default;
        } else {
          problems.push({
            key: at(name),
            problem: "missing required key",
            fix: `add it (${field.description.split(". ")[0]}), e.g. ${name}: ${JSON.stringify(field.example ?? "...")}`,
          });
        }
        continue;
      }
      out[name] = field.parse(value, at(name), problems);
    }
    return out as SectionType<F>;
  };
  const defaultValue = allDefaulted ? (parse({}, "", []) as SectionType<F>) : undefined;
  return { kind: "section", description, fields, parse, ...(defaultValue ? { default: defaultValue } : {}) };
}

function mayBeAbsent(field: Field<unknown>): boolean {
  return field.optional === true || field.default !== undefined;
}

/** A key that may be left out entirely (no default); its type includes undefined. */
export function optional<T>(field: LeafField<T>): LeafField<T | undefined> {
  return { ...field, optional: true };
}
