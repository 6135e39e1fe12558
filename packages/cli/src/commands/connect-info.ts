import type { ConnectInfo } from '@spark-rstudio-shiny/sdk';
import { writeCaFile } from './ca-file.js';
import type { Reporter } from '../reporter.js';
import { clusterFor, interruptSignal, type ClusterFlags } from './cluster-options.js';

/** The connection string and how to use it, for people. */
export function describeConnectInfo(info: ConnectInfo, caFile?: string): string {
  if (info.caCertificate !== null) {
    return [
      `Spark Connect  ${info.url}`,
      '  (keep it like a password: the token runs code on the cluster)',
      `  over TLS through the front door; its CA certificate: ${caFile ?? '(not written)'}`,
      `  Python: GRPC_DEFAULT_SSL_ROOTS_FILE_PATH=${caFile ?? 'CA-FILE'} and`,
      `          SparkSession.builder.remote("${info.url}").getOrCreate()`,
    ].join('\n');
  }
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
  const cluster = await clusterFor(flags);
  const info = await cluster.connectInfo({ signal: interruptSignal() });
  if (info.caCertificate === null) {
    reporter.result(info, describeConnectInfo(info));
    return info;
  }
  const caFile = await writeCaFile(cluster.config.stackName, info.caCertificate);
  reporter.result({ ...info, caFile }, describeConnectInfo(info, caFile));
  return info;
}
