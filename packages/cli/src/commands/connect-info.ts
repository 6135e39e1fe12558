import type { ConnectInfo } from '@spark-rstudio-shiny/sdk';
import type { Reporter } from '../reporter.js';
import { clusterFor, interruptSignal, type ClusterFlags } from './cluster-options.js';

/** The connection string and how to use it, for people. */
export function describeConnectInfo(info: ConnectInfo): string {
  return [
    `Spark Connect  ${info.url}`,
    '  (keep it like a password: the token runs code on the cluster)',
    `  Python: SparkSession.builder.remote("${info.url}").getOrCreate()`,
    `  from another machine: ssh -N -L ${info.port}:127.0.0.1:${info.port} <this host>, then the same`,
    '  string with 127.0.0.1 (the port speaks plain gRPC: do not send the token over a network)',
  ].join('\n');
}

/** srs connect-info: Spark Connect's connection string, its token read inside the head. */
export async function connectInfo(flags: ClusterFlags, reporter: Reporter): Promise<ConnectInfo> {
  const info = await (await clusterFor(flags)).connectInfo({ signal: interruptSignal() });
  reporter.result(info, describeConnectInfo(info));
  return info;
}
