package org.sparkrstudioshiny.srspark;

import java.util.ArrayList;
import java.util.List;
import org.apache.spark.SparkContext;
import org.apache.spark.SparkExecutorInfo;
import scala.Tuple2;
import scala.jdk.javaapi.CollectionConverters;
import scala.reflect.ClassTag;
import scala.reflect.ClassTag$;

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

  /**
   * Runs one tiny task for each host of a comma-separated list, each preferring that host, so it
   * runs on an executor there (a host listed twice gets two tasks). This resets the idle timer of
   * those executors only: dynamic allocation gives the others back. Returns the tasks run.
   */
  public static long touchHosts(SparkContext context, String hostList) {
    List<Tuple2<Integer, scala.collection.immutable.Seq<String>>> tasks = new ArrayList<>();
    for (String host : hostList.split(",")) {
      if (!host.isEmpty()) {
        tasks.add(new Tuple2<>(tasks.size(), CollectionConverters.asScala(List.of(host)).toSeq()));
      }
    }
    if (tasks.isEmpty()) {
      return 0L;
    }
    ClassTag<Integer> tag = ClassTag$.MODULE$.apply(Integer.class);
    return context.makeRDD(CollectionConverters.asScala(tasks).toSeq(), tag).count();
  }
}
