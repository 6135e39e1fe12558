package org.sparkrstudioshiny.srspark;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Properties;
import java.util.Set;
import java.util.concurrent.atomic.AtomicReference;
import org.apache.spark.SparkContext;
import org.apache.spark.scheduler.SparkListener;
import org.apache.spark.scheduler.SparkListenerJobEnd;
import org.apache.spark.scheduler.SparkListenerJobStart;

/**
 * Lets an app's warm-up (work run ahead of its first user, only to start and warm its executors)
 * yield the cluster: the jobs of one job group are cancelled as soon as the master lists another
 * application, or once a deadline passes. Nothing else gives cores back while a job runs.
 *
 * <p>A thread reads the master's JSON page every second. Once tripped, the group's running jobs
 * (as a listener saw them start) are cancelled, and so is any job of the group that starts later
 * (the warm-up's next query), until close().
 */
public final class WarmUpGuard implements AutoCloseable {
  private static final Duration LOOK_EVERY = Duration.ofSeconds(1);
  private static final Duration READ_TIMEOUT = Duration.ofSeconds(2);
  private static final String GROUP_PROPERTY = "spark.jobGroup.id";

  private final SparkContext context;
  private final String group;
  private final String masterJson;
  private final String ownAppId;
  private final long deadlineNanos;
  private final AtomicReference<String> reason = new AtomicReference<>("");
  private final HttpClient http = HttpClient.newBuilder().connectTimeout(READ_TIMEOUT).build();
  private final ObjectMapper json = new ObjectMapper();
  private final Thread watcher;
  /** The group's jobs running now, as this guard's listener saw them start and end. */
  private final Set<Integer> running = new HashSet<>();
  private final SparkListener jobs =
      new SparkListener() {
        @Override
        public void onJobStart(SparkListenerJobStart start) {
          Properties properties = start.properties();
          if (properties != null && group.equals(properties.getProperty(GROUP_PROPERTY))) {
            started(start.jobId());
          }
        }

        @Override
        public void onJobEnd(SparkListenerJobEnd end) {
          synchronized (running) {
            running.remove(end.jobId());
          }
        }
      };

  private WarmUpGuard(
      SparkContext context, String group, String masterJson, String ownAppId, int seconds) {
    this.context = context;
    this.group = group;
    this.masterJson = masterJson;
    this.ownAppId = ownAppId;
    this.deadlineNanos = System.nanoTime() + Duration.ofSeconds(seconds).toNanos();
    this.watcher = new Thread(this::watch, "srspark-warm-up-guard");
    this.watcher.setDaemon(true);
  }

  /**
   * Starts guarding the jobs of `group`: cancelled once the master at `masterJson` (its /json/
   * page) lists an application other than `ownAppId`, or after `seconds`.
   */
  public static WarmUpGuard start(
      SparkContext context, String group, String masterJson, String ownAppId, int seconds) {
    WarmUpGuard guard = new WarmUpGuard(context, group, masterJson, ownAppId, seconds);
    context.addSparkListener(guard.jobs);
    guard.watcher.start();
    return guard;
  }

  /** Why the group's jobs were cancelled, or "" while they were not. */
  public String reason() {
    return reason.get();
  }

  /** Stops watching; jobs of the group that start afterwards run. */
  @Override
  public void close() {
    watcher.interrupt();
    context.removeSparkListener(jobs);
  }

  private void watch() {
    try {
      while (!Thread.currentThread().isInterrupted()) {
        String why = System.nanoTime() >= deadlineNanos ? "its deadline passed" : otherApplication();
        if (!why.isEmpty()) {
          trip(why);
          return;
        }
        Thread.sleep(LOOK_EVERY.toMillis());
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  /** A job of the group started: cancelled at once once tripped, else remembered. */
  private void started(int jobId) {
    synchronized (running) {
      if (reason.get().isEmpty()) {
        running.add(jobId);
        return;
      }
    }
    context.cancelJob(jobId, "the app's warm-up yields: " + reason.get());
  }

  /** Cancels the group's running jobs, and makes started() cancel the later ones. */
  private void trip(String why) {
    List<Integer> cancelled;
    synchronized (running) {
      reason.compareAndSet("", why);
      cancelled = new ArrayList<>(running);
    }
    for (int jobId : cancelled) {
      context.cancelJob(jobId, "the app's warm-up yields: " + why);
    }
  }

  /** "another application (ID) registered" when the master lists one, else "" (unread too). */
  private String otherApplication() throws InterruptedException {
    try {
      HttpRequest request =
          HttpRequest.newBuilder(URI.create(masterJson)).timeout(READ_TIMEOUT).GET().build();
      HttpResponse<String> response = http.send(request, HttpResponse.BodyHandlers.ofString());
      if (response.statusCode() != 200) {
        return "";
      }
      for (JsonNode app : json.readTree(response.body()).path("activeapps")) {
        String id = app.path("id").asText("");
        if (!id.isEmpty() && !id.equals(ownAppId)) {
          return "another application (" + id + ") registered";
        }
      }
      return "";
    } catch (java.io.IOException e) {
      // A master that does not answer now may at the next look; the deadline still holds.
      return "";
    }
  }
}
