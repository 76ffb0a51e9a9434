/**
 * A Jest reporter that ends a run which included the fault matrix with its one summary
 * line, such as `fault matrix: 95 scenario runs (50 scenarios, CLI and Lambda), 95 passed`.
 * The matrix's rows are spread over several test files, run by different workers: only
 * a reporter sees them all.
 */

/** The matrix's test files; each test is one run of a scenario, named after it. */
const MATRIX_FILE = /[\\/]test[\\/]faults[\\/]fault-matrix[^\\/]*\.test\.ts$/;

export default class MatrixSummaryReporter {
  /** @param {unknown} _contexts @param {import('@jest/reporters').AggregatedResult} results */
  onRunComplete(_contexts, results) {
    const runs = results.testResults
      .filter((file) => MATRIX_FILE.test(file.testFilePath))
      .flatMap((file) => file.testResults);
    if (runs.length === 0) return;
    const scenarios = new Set(runs.map((run) => run.title)).size;
    const passed = runs.filter((run) => run.status === 'passed').length;
    process.stdout.write(
      `fault matrix: ${runs.length} scenario runs (${scenarios} scenarios, CLI and Lambda), ${passed} passed\n`,
    );
  }
}
