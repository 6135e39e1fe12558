// What the project's tests share (private: never published). Tests against the real engine:
// names, cleanup, the image under test, a multi-node swarm of Docker-in-Docker nodes, Spark jobs
// and browsers; unit tests: a docker client that replays recorded output; and independent
// references (plain TypeScript) for numbers that must match.
export { launchBrowser, openPage, openSignedIn } from './browser.js';
export type { TestBrowser } from './browser.js';
export {
  ARTIFACTS_DIR,
  docker,
  ensureTestImage,
  keepStackLogs,
  makeTestSecrets,
  publishedPort,
  runToCompletion,
  serviceContainers,
  TestResources,
  uniqueName,
  waitUntilHealthy,
} from './docker-test-kit.js';
export type { TestSecrets } from './docker-test-kit.js';
export { cookiesOf, requestUrl, serverSpkiHash } from './https-client.js';
export type { HttpAnswer, HttpRequestOptions } from './https-client.js';
export { JupyterSession, Kernel } from './jupyter-client.js';
export type { Execution } from './jupyter-client.js';
export { RecordedDocker } from './recorded-docker.js';
export type { RecordedCall } from './recorded-docker.js';
export { jobResult, readMasterJson, secondsSince, slowSumJob } from './spark-jobs.js';
export type { MasterJson } from './spark-jobs.js';
export { startTestSwarm, startTlsEngineNode, testSwarmClusterOptions } from './swarm-nodes.js';
export type { SwarmNode, TestSwarm, TlsEngineNode } from './swarm-nodes.js';
export { startTestRegistry } from './test-registry.js';
export type { TestRegistry } from './test-registry.js';
export { aggregate, leastSquares, syntheticRows } from './synthetic-reference.js';
export type { GroupStats, SyntheticRow } from './synthetic-reference.js';
