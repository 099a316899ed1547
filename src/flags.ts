/**
 * What a command-line flag is, shared by the exporter's own flags (config.ts) and the flags each
 * collector declares beside its code (collectors/). A leaf module: it knows no flag by name.
 */

/** node_exporter answers bad flags with one line and exit code 2; so do we. */
export class FlagError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'FlagError';
  }
}

export type FlagKind = 'string' | 'bool';

export interface FlagSpec {
  name: string;
  kind: FlagKind;
  arg?: string;
  default?: string;
  help: string;
}

/** The values given on the command line, by flag name; defaults applied by get(). */
export interface FlagValues {
  /** The value given, else the flag's default. */
  get(name: string): string | undefined;
  /** Only the value given on the command line. */
  given(name: string): string | undefined;
  bool(name: string): boolean;
}
