/** The benchmark baseline's activity: no work at all (see workflows/bench-baseline.ts). */
export function createBenchActivities() {
  return {
    async benchNoop(): Promise<void> {
      // Intentionally empty: the baseline measures the engine, not our work.
    },
  };
}
