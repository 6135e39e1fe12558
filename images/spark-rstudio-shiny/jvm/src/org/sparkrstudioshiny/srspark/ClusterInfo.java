package org.sparkrstudioshiny.srspark;

import org.apache.spark.SparkContext;
import org.apache.spark.SparkExecutorInfo;

/** What a driver knows about the cluster, in types both bridges pass as they are. */
public final class ClusterInfo {
  private ClusterInfo() {}

  /** The host of every executor of this application, the driver included (it is listed once). */
  public static String[] executorHosts(SparkContext context) {
    SparkExecutorInfo[] infos = context.statusTracker().getExecutorInfos();
    String[] hosts = new String[infos.length];
    for (int i = 0; i < infos.length; i++) {
      hosts[i] = infos[i].host();
    }
    return hosts;
  }
}
