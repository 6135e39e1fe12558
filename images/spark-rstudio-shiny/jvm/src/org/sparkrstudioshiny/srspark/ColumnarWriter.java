package org.sparkrstudioshiny.srspark;

import java.io.IOException;
import java.time.Instant;
import java.time.LocalDate;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.Base64;
import java.util.Iterator;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import scala.jdk.javaapi.CollectionConverters;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.rdd.RDD;
import org.apache.spark.sql.Column;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.catalyst.InternalRow;
import org.apache.spark.sql.catalyst.analysis.PosParameter;
import org.apache.spark.sql.catalyst.expressions.SubqueryExpression;
import org.apache.spark.sql.catalyst.parser.CatalystSqlParser$;
import org.apache.spark.sql.catalyst.plans.QueryPlan;
import org.apache.spark.sql.catalyst.plans.logical.LogicalPlan;
import org.apache.spark.sql.catalyst.trees.TreeNode;
import org.apache.spark.sql.functions;
import org.apache.spark.sql.types.DataType;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructField;
import org.apache.spark.sql.types.StructType;

/**
 * Builds a Spark DataFrame from columns R encoded with writeBin (see {@link ColumnChunk} for the
 * layout), one call per column, so that the bridge only ever passes strings and byte arrays: the
 * same on py4j (PySpark through reticulate) and on SparkR. The driver cuts the columns into one
 * chunk per partition; executors decode them into rows.
 */
public final class ColumnarWriter {
  private final SparkSession spark;
  private final List<String> names = new ArrayList<>();
  private final List<String> codes = new ArrayList<>();
  private final List<byte[]> data = new ArrayList<>();
  private final List<byte[]> nulls = new ArrayList<>();
  private final List<String> casts = new ArrayList<>();

  public ColumnarWriter(SparkSession spark) {
    this.spark = spark;
  }

  /**
   * Adds the next column: its name, code, values, missing-value mask (empty: none missing) and
   * the Spark SQL type to cast it to ("" keeps the type the code gives).
   */
  public void addColumn(String name, String code, byte[] values, byte[] mask, String castTo) {
    ColumnChunk.width(code);
    names.add(name);
    codes.add(code);
    data.add(values);
    nulls.add(mask == null ? new byte[0] : mask);
    casts.add(castTo == null ? "" : castTo);
  }

  /**
   * As {@link #addColumn}, the values and the mask read from the file {@code path}: two blocks
   * in {@link ColumnChunk#writeTo}'s layout, which R wrote into its own temporary directory.
   */
  public void addColumnFile(String name, String code, String path, String castTo) throws IOException {
    List<byte[]> blocks = ColumnChunk.readBlocks(path);
    if (blocks.size() != 2) {
      throw new IllegalArgumentException("the column file for " + name + " holds " + blocks.size() + " blocks, not 2");
    }
    addColumn(name, code, blocks.get(0), blocks.get(1), castTo);
  }

  /** The DataFrame of the columns added, {@code rows} long, in {@code partitions} partitions. */
  public Dataset<Row> build(int rows, int partitions) {
    String[] codeArray = codes.toArray(new String[0]);
    ColumnChunk whole = new ColumnChunk(codeArray, data.toArray(new byte[0][]), nulls.toArray(new byte[0][]), rows);
    whole.validate();
    int parts = Math.max(1, Math.min(partitions, Math.max(1, rows)));
    List<ColumnChunk> chunks = new ArrayList<>(parts);
    for (int p = 0; p < parts; p++) {
      chunks.add(whole.slice((int) ((long) rows * p / parts), (int) ((long) rows * (p + 1) / parts)));
    }
    JavaSparkContext context = JavaSparkContext.fromSparkContext(spark.sparkContext());

    StructField[] fields = new StructField[codeArray.length];
    Column[] projection = new Column[codeArray.length];
    for (int c = 0; c < codeArray.length; c++) {
      String raw = "c" + c;
      fields[c] = DataTypes.createStructField(raw, rawType(codeArray[c]), true);
      // Dates and timestamps travel as numbers and become Spark types here, whatever the JVM's time zone.
      Column column;
      switch (codeArray[c]) {
        case "date":
          column = functions.expr("date_from_unix_date(" + raw + ")");
          break;
        case "timestamp":
          column = functions.expr("timestamp_micros(" + raw + ")");
          break;
        case "binary":
          column = functions.unbase64(functions.col(raw));
          break;
        default:
          column = functions.col(raw);
      }
      if (!casts.get(c).isEmpty()) {
        column = column.cast(casts.get(c));
      }
      projection[c] = column.as(names.get(c));
    }
    StructType raw = new StructType(fields);
    // Executors decode their chunk straight into Spark's rows: createDataFrame() of Java rows
    // would box every value and convert every row again (most of a copy's task time went there,
    // half of it garbage collection). internalCreateDataFrame is the classic session's (public
    // in its bytecode, as Spark's own row sources use it).
    RDD<InternalRow> decoded =
        context.parallelize(chunks, parts).flatMap(chunk -> chunk.decodeInternal(raw)).rdd();
    return ((org.apache.spark.sql.classic.SparkSession) spark)
        .internalCreateDataFrame(decoded, raw, false)
        .select(projection);
  }

  /**
   * Runs {@code sqlText} with its positional parameters ({@code ?}) bound to each of the {@code
   * rows} rows of the columns added, one run per row, through Spark's parameterized SQL (Spark
   * parses the markers; no value becomes SQL text). A statement runs once per row; a query's
   * results come one after another. No rows: a statement does not run; a query gives its
   * columns and no rows.
   */
  /**
   * The number of positional parameter markers (?) in sqlText, as Spark's parser reads them (not
   * inside strings or comments), or -1 when the default parser cannot read the text (Spark's
   * session parser then reports what is wrong).
   */
  public static int parameterMarkers(String sqlText) {
    LogicalPlan plan;
    try {
      plan = CatalystSqlParser$.MODULE$.parsePlan(sqlText);
    } catch (RuntimeException e) {
      return -1;
    }
    Set<Integer> offsets = new HashSet<>();
    collectMarkers(plan, offsets);
    return offsets.size();
  }

  /** Adds the text offset of each positional marker under node (subqueries included). */
  private static void collectMarkers(TreeNode<?> node, Set<Integer> offsets) {
    if (node instanceof PosParameter parameter) offsets.add(parameter.pos());
    if (node instanceof SubqueryExpression subquery) collectMarkers(subquery.plan(), offsets);
    if (node instanceof QueryPlan<?> plan) {
      for (Object e : CollectionConverters.asJava(plan.expressions())) {
        collectMarkers((TreeNode<?>) e, offsets);
      }
      for (Object c : CollectionConverters.asJava(plan.innerChildren())) {
        collectMarkers((TreeNode<?>) c, offsets);
      }
    }
    for (Object c : CollectionConverters.asJava(node.children())) {
      collectMarkers((TreeNode<?>) c, offsets);
    }
  }

  public Dataset<Row> sql(String sqlText, int rows, boolean query) {
    String[] codeArray = codes.toArray(new String[0]);
    ColumnChunk whole = new ColumnChunk(codeArray, data.toArray(new byte[0][]), nulls.toArray(new byte[0][]), rows);
    whole.validate();
    int markers = parameterMarkers(sqlText);
    if (markers >= 0 && codeArray.length > markers) {
      throw new IllegalArgumentException(
          "the statement has " + markers + " parameter marker(s) (?), got " + codeArray.length
              + " values");
    }
    Dataset<Row> result = null;
    if (rows == 0) {
      Object[] none = new Object[codeArray.length];
      return query ? spark.sql(sqlText, (Object) none).limit(0) : spark.emptyDataFrame();
    }
    Iterator<Row> decoded = whole.decode();
    while (decoded.hasNext()) {
      Row row = decoded.next();
      Object[] arguments = new Object[codeArray.length];
      for (int c = 0; c < codeArray.length; c++) {
        arguments[c] = row.isNullAt(c) ? null : argument(codeArray[c], row.get(c));
      }
      Dataset<Row> one = spark.sql(sqlText, (Object) arguments);
      result = result == null ? one : result.unionAll(one);
    }
    return result;
  }

  /** A parameter's value as Spark makes a literal of it. */
  private static Object argument(String code, Object value) {
    switch (code) {
      case "date":
        return LocalDate.ofEpochDay((Integer) value);
      case "timestamp":
        long micros = (Long) value;
        return Instant.EPOCH.plus(micros, ChronoUnit.MICROS);
      case "binary":
        return Base64.getDecoder().decode((String) value);
      default:
        return value;
    }
  }

  private static DataType rawType(String code) {
    switch (code) {
      case "double":
        return DataTypes.DoubleType;
      case "integer":
      case "date":
        return DataTypes.IntegerType;
      case "logical":
        return DataTypes.BooleanType;
      case "string":
      case "binary":
        return DataTypes.StringType;
      case "timestamp":
      case "long":
        return DataTypes.LongType;
      default:
        throw new IllegalArgumentException("unknown column code \"" + code + "\"");
    }
  }
}
