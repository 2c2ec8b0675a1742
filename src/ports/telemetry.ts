/**
 * What dockhand counts for its operators' dashboards (`GET /metrics`); the core and the watcher
 * report through this port so they never import a metrics library.
 */
export interface Telemetry {
  /** A command ended: its name (`/ecs scale`, or `unknown` for text no command matches), outcome and duration. */
  commandFinished(command: string, outcome: string, durationMs: number): void;
  /** A chat platform acknowledged an incoming command or press this long after it arrived. */
  acked(platform: string, durationMs: number): void;
  /** One watcher poll took this long. */
  pollFinished(durationMs: number): void;
}

/** Counts nothing: for tests and for runs without a metrics endpoint. */
export const noTelemetry: Telemetry = {
  commandFinished() {},
  acked() {},
  pollFinished() {},
};
