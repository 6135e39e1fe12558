package org.sparkrstudioshiny.srspark;

import java.util.ArrayList;
import java.util.List;
import org.apache.spark.api.java.JavaRDD;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.sql.Column;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
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
    if (code.equals("long")) {
      throw new IllegalArgumentException("column \"" + name + "\": R sends 64-bit integers as double");
    }
    ColumnChunk.width(code);
    names.add(name);
    codes.add(code);
    data.add(values);
    nulls.add(mask == null ? new byte[0] : mask);
    casts.add(castTo == null ? "" : castTo);
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
    JavaRDD<Row> decoded = context.parallelize(chunks, parts).flatMap(ColumnChunk::decode);

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
        default:
          column = functions.col(raw);
      }
      if (!casts.get(c).isEmpty()) {
        column = column.cast(casts.get(c));
      }
      projection[c] = column.as(names.get(c));
    }
    return spark.createDataFrame(decoded, new StructType(fields)).select(projection);
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
        return DataTypes.StringType;
      case "timestamp":
        return DataTypes.LongType;
      default:
        throw new IllegalArgumentException("unknown column code \"" + code + "\"");
    }
  }
}
