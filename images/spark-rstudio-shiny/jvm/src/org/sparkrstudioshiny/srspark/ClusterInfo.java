package org.sparkrstudioshiny.srspark;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.apache.spark.ExecutorAllocationClient;
import org.apache.spark.SparkContext;
import org.apache.spark.SparkExecutorInfo;
import org.apache.spark.api.java.JavaFutureAction;
import org.apache.spark.api.java.JavaRDD;
import org.apache.spark.scheduler.ExecutorDecommissionInfo;
import org.apache.spark.scheduler.SchedulerBackend;
import org.apache.spark.status.api.v1.ExecutorSummary;
import scala.Option;
import scala.Tuple2;
import scala.jdk.javaapi.CollectionConverters;
import scala.reflect.ClassTag;
import scala.reflect.ClassTag$;

/** What a driver knows about the cluster, in types both bridges pass as they are. */
public final class ClusterInfo {
  /** How long touchHosts() waits for its tasks: on executors already there, well under a second. */
  private static final long TOUCH_SECONDS = 10;

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
   * those executors only: dynamic allocation gives the others back. Returns the tasks run, or -1
   * when they did not run within TOUCH_SECONDS: the job is then cancelled, so that executors lost
   * meanwhile (their workers stopped) do not leave the app's R process waiting on it for good.
   */
  public static long touchHosts(SparkContext context, String hostList)
      throws InterruptedException, ExecutionException {
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
    JavaFutureAction<Long> touch =
        new JavaRDD<>(context.makeRDD(CollectionConverters.asScala(tasks).toSeq(), tag), tag)
            .countAsync();
    try {
      return touch.get(TOUCH_SECONDS, TimeUnit.SECONDS);
    } catch (TimeoutException e) {
      touch.cancel(true);
      return -1L;
    }
  }

  /**
   * Gives back now the executors of this application on none of the hosts of a comma-separated
   * list that run no task, and does not ask for them again: an idle app that stops keeping
   * executors because another driver arrived frees their cores at once instead of after dynamic
   * allocation's 30 s idle timeout. One that holds cached blocks is decommissioned, so its blocks
   * move to the kept ones first (the master frees its cores only once it has exited, a few seconds
   * later); the others are killed, which the master turns into free cores for a waiting driver at
   * once. Returns how many it gave back. Spark's public killExecutors() refuses under dynamic
   * allocation; this goes through the scheduler, as dynamic allocation itself does.
   */
  public static int releaseExecutors(SparkContext context, String keptHostList) {
    Set<String> kept = new HashSet<>(Arrays.asList(keptHostList.split(",")));
    List<String> killed = new ArrayList<>();
    List<Tuple2<String, ExecutorDecommissionInfo>> decommissioned = new ArrayList<>();
    for (ExecutorSummary executor :
        CollectionConverters.asJava(context.statusStore().executorList(true))) {
      String host = executor.hostPort().replaceFirst(":[0-9]+$", "");
      if ("driver".equals(executor.id()) || kept.contains(host) || executor.activeTasks() > 0) {
        continue;
      }
      if (executor.rddBlocks() > 0) {
        String why = "an idle app gave it back to other drivers";
        decommissioned.add(
            new Tuple2<>(executor.id(), new ExecutorDecommissionInfo(why, Option.empty())));
      } else {
        killed.add(executor.id());
      }
    }
    SchedulerBackend backend = context.schedulerBackend();
    if (!(backend instanceof ExecutorAllocationClient client)) {
      return 0;
    }
    int released = 0;
    if (!killed.isEmpty()) {
      // Not forced: the scheduler leaves alone an executor a task reached meanwhile.
      released += client.killExecutors(CollectionConverters.asScala(killed).toSeq(), true, false,
          false).size();
    }
    if (!decommissioned.isEmpty()) {
      @SuppressWarnings({"unchecked", "rawtypes"})
      Tuple2<String, ExecutorDecommissionInfo>[] asked = decommissioned.toArray(new Tuple2[0]);
      released += client.decommissionExecutors(asked, true, false).size();
    }
    return released;
  }
}
