/** The logging surface the core needs; pino's logger satisfies it. */
export interface Logger {
  /** Verbose detail for debugging. */
  debug(obj: object, msg?: string): void;
  /** Normal operation. */
  info(obj: object, msg?: string): void;
  /** Something went wrong but work goes on. */
  warn(obj: object, msg?: string): void;
  /** Something failed. */
  error(obj: object, msg?: string): void;
  /** A logger that adds these fields to every line. */
  child(bindings: Record<string, unknown>): Logger;
}

/** A logger that drops everything, for tests that do not look at logs. */
export const silentLogger: Logger = {
  debug() {},
  info() {},
  warn() {},
  error() {},
  child() {
    return silentLogger;
  },
};
