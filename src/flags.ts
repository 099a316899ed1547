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

/** A flag that takes a value: --name=ARG or --name ARG. Its arg names the value in --help and in errors. */
export interface ValueFlagSpec {
  name: string;
  kind?: undefined;
  arg: string;
  default?: string;
  help: string;
}

/** A switch: --name, or --name=true / --name=false. Only switches say their kind. */
export interface BoolFlagSpec {
  name: string;
  kind: 'bool';
  arg?: undefined;
  default?: undefined;
  help: string;
}

export type FlagSpec = ValueFlagSpec | BoolFlagSpec;

/** The values given on the command line, by flag name; defaults applied by get(). */
export interface FlagValues {
  /** The value given, else the flag's default. */
  get(name: string): string | undefined;
  /** Only the value given on the command line. */
  given(name: string): string | undefined;
}
