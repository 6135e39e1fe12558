// Public API of @spark-rstudio-shiny/cli: the command line as a function, for tools that embed it.
export { runCli } from './cli.js';
export { EXIT_CODES, exitCodeFor } from './exit-codes.js';
export type { DoctorCheck } from './commands/doctor.js';
