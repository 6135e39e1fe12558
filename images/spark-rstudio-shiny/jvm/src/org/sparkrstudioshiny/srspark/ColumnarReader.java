package org.sparkrstudioshiny.srspark;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Iterator;
import java.util.List;
import java.util.Properties;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.apache.spark.SparkContext;
import org.apache.spark.api.java.JavaRDD;
import org.apache.spark.sql.Column;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.functions;
import org.apache.spark.sql.types.ArrayType;
import org.apache.spark.sql.types.BinaryType;
import org.apache.spark.sql.types.BooleanType;
import org.apache.spark.sql.types.ByteType;
import org.apache.spark.sql.types.DataType;
import org.apache.spark.sql.types.DateType;
import org.apache.spark.sql.types.DecimalType;
import org.apache.spark.sql.types.DoubleType;
import org.apache.spark.sql.types.FloatType;
import org.apache.spark.sql.types.IntegerType;
import org.apache.spark.sql.types.LongType;
import org.apache.spark.sql.types.MapType;
import org.apache.spark.sql.types.NullType;
import org.apache.spark.sql.types.ShortType;
import org.apache.spark.sql.types.StringType;
import org.apache.spark.sql.types.StructField;
import org.apache.spark.sql.types.StructType;
import org.apache.spark.sql.types.TimestampNTZType;
import org.apache.spark.sql.types.TimestampType;

/**
 * Reads a DataFrame column by column for R (see {@link ColumnChunk} for the layout). Executors
 * encode their partitions; the driver hands the chunks over, all at once ({@code fetch(-1)}) or
 * {@code n} rows at a time, one partition's job after another, as DBI's dbFetch asks.
 *
 * <p>Nothing is planned until the first fetch: the names and codes come from the schema alone, so
 * reading a query's columns (DBI's dbColumnInfo, a model's schema) neither plans nor runs it.
 * {@link #start()} plans it in the background instead (DBI's dbSendQuery), so that R can go on
 * while Spark runs the query's shuffles; the first fetch waits for that. When the rows that are
 * left come in one partition (a small result: an aggregate's, once adaptive execution has
 * coalesced it), the background also reads that partition, which is what the first fetch would
 * read anyway: the whole query then runs while R does something else.
 *
 * <p>Types R has no match for become the closest one: decimals and floats doubles, bytes and
 * shorts integers, timestamps without a time zone instants in the session's time zone, arrays,
 * maps and structs JSON text, anything else its text. 64-bit integers travel exactly (R decides
 * what they become) and binary values as base64 (R decodes them).
 */
public final class ColumnarReader {
  /** Threads that plan queries started with {@link #start()}; idle ones end after a minute. */
  private static final ExecutorService STARTER =
      Executors.newCachedThreadPool(
          task -> {
            Thread thread = new Thread(task, "srspark-query");
            thread.setDaemon(true);
            return thread;
          });

  private final String[] names;
  private final String[] codes;
  private final Dataset<Row> projected;
  private JavaRDD<ColumnChunk> encoded;
  private List<ColumnChunk> prefetched;
  private volatile Future<?> started;
  private Iterator<ColumnChunk> pending;
  private ColumnChunk current;
  private int offset;
  private long fetched;
  private boolean completed;

  public ColumnarReader(Dataset<Row> frame) {
    StructField[] fields = frame.schema().fields();
    names = new String[fields.length];
    codes = new String[fields.length];
    Column[] projection = new Column[fields.length];
    List<String> positional = new ArrayList<>();
    for (int c = 0; c < fields.length; c++) {
      positional.add("c" + c);
    }
    // Positional names: a join may leave two columns with the same name.
    Dataset<Row> renamed = frame.toDF(positional.toArray(new String[0]));
    for (int c = 0; c < fields.length; c++) {
      names[c] = fields[c].name();
      DataType type = fields[c].dataType();
      String raw = "c" + c;
      Column column = functions.col(raw);
      if (type instanceof DoubleType) {
        codes[c] = "double";
      } else if (type instanceof FloatType || type instanceof DecimalType) {
        codes[c] = "double";
        column = column.cast("double");
      } else if (type instanceof LongType) {
        codes[c] = "long";
      } else if (type instanceof IntegerType) {
        codes[c] = "integer";
      } else if (type instanceof ShortType || type instanceof ByteType) {
        codes[c] = "integer";
        column = column.cast("int");
      } else if (type instanceof BooleanType || type instanceof NullType) {
        codes[c] = "logical";
        column = column.cast("boolean");
      } else if (type instanceof DateType) {
        codes[c] = "date";
        column = functions.expr("unix_date(" + raw + ")");
      } else if (type instanceof TimestampType) {
        codes[c] = "timestamp";
        column = functions.expr("unix_micros(" + raw + ")");
      } else if (type instanceof TimestampNTZType) {
        codes[c] = "timestamp";
        // Wall-clock time read in the session's time zone (UTC, as srspark sets it).
        column = functions.expr("unix_micros(CAST(" + raw + " AS TIMESTAMP))");
      } else if (type instanceof StringType) {
        codes[c] = "string";
      } else if (type instanceof ArrayType || type instanceof MapType || type instanceof StructType) {
        codes[c] = "string";
        column = functions.to_json(column);
      } else if (type instanceof BinaryType) {
        codes[c] = "binary";
        column = functions.base64(column);
      } else {
        codes[c] = "string";
        column = column.cast("string");
      }
      projection[c] = column.as(raw);
    }
    projected = renamed.select(projection);
  }

  /**
   * Plans the query in the background: with adaptive execution that runs its shuffles (an
   * aggregate's whole map side). The final stage runs there too when it is one partition, the
   * most a first fetch would hold; otherwise no row reaches the driver before a fetch asks for
   * it. A second call does nothing. Its jobs carry the caller's job group and other local
   * properties (a pooled thread would keep those of the caller it was made for).
   */
  public synchronized void start() {
    if (started == null && encoded == null) {
      SparkContext context = projected.sparkSession().sparkContext();
      Properties caller = new Properties();
      caller.putAll(context.getLocalProperties());
      started =
          STARTER.submit(
              () -> {
                context.setLocalProperties(caller);
                prefetch();
              });
    }
  }

  private synchronized void prefetch() {
    if (encoded().getNumPartitions() == 1) {
      prefetched = encoded.collect();
    }
  }

  /** Waits for {@link #start()}'s planning, and throws what it threw. */
  private void awaitStarted() {
    Future<?> planning = started;
    if (planning == null) {
      return;
    }
    started = null;
    try {
      planning.get();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("interrupted while Spark ran the query", e);
    } catch (ExecutionException e) {
      Throwable cause = e.getCause();
      if (cause instanceof RuntimeException) {
        throw (RuntimeException) cause;
      }
      if (cause instanceof Error) {
        throw (Error) cause;
      }
      throw new IllegalStateException(cause.getMessage(), cause);
    }
  }

  /** The rows, encoded partition by partition; planning the query (and, with adaptive execution, running its shuffles) happens here. */
  private synchronized JavaRDD<ColumnChunk> encoded() {
    if (encoded == null) {
      String[] codeArray = codes;
      // Spark's own rows (toRdd), not the Row objects javaRDD() converts them to.
      encoded =
          projected
              .queryExecution()
              .toRdd()
              .toJavaRDD()
              .mapPartitions(
                  rows -> Collections.singletonList(ColumnChunk.encode(rows, codeArray)).iterator());
    }
    return encoded;
  }

  /** The number of columns. */
  public int columns() {
    return names.length;
  }

  /** The column names, each ended by a NUL byte (R: readBin(x, "character", n)). */
  public byte[] names() {
    return nulTerminated(names);
  }

  /** The column codes, each ended by a NUL byte. */
  public byte[] codes() {
    return nulTerminated(codes);
  }

  /** Rows handed over so far. */
  public long rowsFetched() {
    return fetched;
  }

  /** True when every row has been handed over. */
  public boolean hasCompleted() {
    awaitStarted();
    if (completed) {
      return true;
    }
    if (pending != null && (current == null || offset == current.rows())) {
      completed = !advance();
    }
    return completed;
  }

  /** The next {@code n} rows, or all the rows left when {@code n} is negative. */
  public ColumnChunk fetch(int n) {
    awaitStarted();
    if (n < 0 && pending == null && !completed) {
      // Everything at once: one job over every partition, in parallel.
      ColumnChunk all = ColumnChunk.concat(codes, prefetched != null ? prefetched : encoded().collect());
      prefetched = null;
      completed = true;
      fetched += all.rows();
      return all;
    }
    if (pending == null && !completed) {
      pending = prefetched != null ? prefetched.iterator() : encoded().toLocalIterator();
      prefetched = null;
    }
    List<ColumnChunk> parts = new ArrayList<>();
    int wanted = n < 0 ? Integer.MAX_VALUE : n;
    int taken = 0;
    while (taken < wanted && !completed) {
      if (current == null || offset == current.rows()) {
        if (!advance()) {
          completed = true;
          break;
        }
        continue;
      }
      int take = Math.min(wanted - taken, current.rows() - offset);
      parts.add(current.slice(offset, offset + take));
      offset += take;
      taken += take;
    }
    ColumnChunk chunk = ColumnChunk.concat(codes, parts);
    fetched += chunk.rows();
    return chunk;
  }

  private boolean advance() {
    if (pending == null || !pending.hasNext()) {
      return false;
    }
    current = pending.next();
    offset = 0;
    return true;
  }

  private static byte[] nulTerminated(String[] values) {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    for (String value : values) {
      byte[] bytes = value.replace('\0', '\uFFFD').getBytes(StandardCharsets.UTF_8);
      out.write(bytes, 0, bytes.length);
      out.write(0);
    }
    return out.toByteArray();
  }
}
