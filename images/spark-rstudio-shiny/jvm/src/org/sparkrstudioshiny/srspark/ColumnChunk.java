package org.sparkrstudioshiny.srspark;

import java.io.Serializable;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Iterator;
import java.util.List;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;

/**
 * Rows of a table held column by column, in the byte layout R reads and writes with readBin and
 * writeBin: little-endian numbers, UTF-8 strings each ended by a NUL byte, and per column a mask
 * with one byte per row (1 = missing), or no mask at all when nothing is missing.
 *
 * <p>Column codes: {@code double} (8-byte double), {@code long} (8-byte two's complement
 * integer: R reads the bytes as bit64's integer64, which is that layout in a double vector),
 * {@code integer} (4-byte int), {@code logical} (1 byte), {@code string}, {@code binary} (the
 * string layout, each value its bytes in base64), {@code date} (4-byte days since 1970-01-01)
 * and {@code timestamp} (8-byte double seconds since the epoch, as R's POSIXct; microseconds
 * inside Spark).
 */
public final class ColumnChunk implements Serializable {
  private static final long serialVersionUID = 1L;

  private final String[] codes;
  private final byte[][] data;
  private final byte[][] nulls;
  private final int rows;

  ColumnChunk(String[] codes, byte[][] data, byte[][] nulls, int rows) {
    this.codes = codes;
    this.data = data;
    this.nulls = nulls;
    this.rows = rows;
  }

  /** Rows in this chunk. */
  public int rows() {
    return rows;
  }

  /** Columns in this chunk. */
  public int columns() {
    return codes.length;
  }

  /** The values of column {@code column} (0-based). */
  public byte[] data(int column) {
    return data[column];
  }

  /** The missing-value mask of column {@code column}: empty when no value is missing. */
  public byte[] nulls(int column) {
    return nulls[column];
  }

  /** Bytes one value of a fixed-width code takes, or 0 for strings. */
  static int width(String code) {
    switch (code) {
      case "double":
      case "long":
      case "timestamp":
        return 8;
      case "integer":
      case "date":
        return 4;
      case "logical":
        return 1;
      case "string":
      case "binary":
        return 0;
      default:
        throw new IllegalArgumentException("unknown column code \"" + code + "\"");
    }
  }

  /** The byte offset where each of the first {@code rows} NUL-ended strings starts, plus the end. */
  static int[] stringOffsets(byte[] bytes, int rows) {
    int[] offsets = new int[rows + 1];
    int row = 0;
    for (int i = 0; i < bytes.length && row < rows; i++) {
      if (bytes[i] == 0) {
        offsets[++row] = i + 1;
      }
    }
    if (row != rows) {
      throw new IllegalArgumentException("expected " + rows + " strings, found " + row);
    }
    return offsets;
  }

  /** Checks that every column holds exactly {@code rows} values. */
  void validate() {
    for (int c = 0; c < codes.length; c++) {
      int width = width(codes[c]);
      if (width > 0 && data[c].length != (long) rows * width) {
        throw new IllegalArgumentException("column " + (c + 1) + " (" + codes[c] + ") has " + data[c].length + " bytes for " + rows + " rows");
      }
      if (width == 0) {
        stringOffsets(data[c], rows);
      }
      if (nulls[c].length != 0 && nulls[c].length != rows) {
        throw new IllegalArgumentException("column " + (c + 1) + " has a missing-value mask of " + nulls[c].length + " bytes for " + rows + " rows");
      }
    }
  }

  /** Rows {@code from} (inclusive) to {@code to} (exclusive) as a new chunk. */
  ColumnChunk slice(int from, int to) {
    byte[][] slicedData = new byte[codes.length][];
    byte[][] slicedNulls = new byte[codes.length][];
    for (int c = 0; c < codes.length; c++) {
      int width = width(codes[c]);
      if (width > 0) {
        slicedData[c] = Arrays.copyOfRange(data[c], from * width, to * width);
      } else {
        int[] offsets = stringOffsets(data[c], to);
        slicedData[c] = Arrays.copyOfRange(data[c], offsets[from], offsets[to]);
      }
      slicedNulls[c] = nulls[c].length == 0 ? nulls[c] : Arrays.copyOfRange(nulls[c], from, to);
    }
    return new ColumnChunk(codes, slicedData, slicedNulls, to - from);
  }

  /** The chunks one after another, as one chunk. */
  static ColumnChunk concat(String[] codes, List<ColumnChunk> chunks) {
    int rows = 0;
    for (ColumnChunk chunk : chunks) {
      rows += chunk.rows;
    }
    byte[][] data = new byte[codes.length][];
    byte[][] nulls = new byte[codes.length][];
    for (int c = 0; c < codes.length; c++) {
      int size = 0;
      boolean anyNull = false;
      for (ColumnChunk chunk : chunks) {
        size += chunk.data[c].length;
        anyNull |= chunk.nulls[c].length != 0;
      }
      data[c] = new byte[size];
      nulls[c] = new byte[anyNull ? rows : 0];
      int at = 0;
      int row = 0;
      for (ColumnChunk chunk : chunks) {
        System.arraycopy(chunk.data[c], 0, data[c], at, chunk.data[c].length);
        at += chunk.data[c].length;
        if (chunk.nulls[c].length != 0) {
          System.arraycopy(chunk.nulls[c], 0, nulls[c], row, chunk.rows);
        }
        row += chunk.rows;
      }
    }
    return new ColumnChunk(codes, data, nulls, rows);
  }

  /**
   * Encodes rows whose fields have the Spark types the codes stand for after {@link
   * ColumnarReader}'s projection: double, long, int (also dates as days), boolean, string, and
   * timestamps as long microseconds.
   */
  static ColumnChunk encode(Iterator<Row> rows, String[] codes) {
    GrowingBytes[] data = new GrowingBytes[codes.length];
    GrowingBytes[] nulls = new GrowingBytes[codes.length];
    boolean[] anyNull = new boolean[codes.length];
    for (int c = 0; c < codes.length; c++) {
      data[c] = new GrowingBytes();
      nulls[c] = new GrowingBytes();
    }
    int count = 0;
    while (rows.hasNext()) {
      Row row = rows.next();
      for (int c = 0; c < codes.length; c++) {
        boolean missing = row.isNullAt(c);
        nulls[c].put((byte) (missing ? 1 : 0));
        anyNull[c] |= missing;
        switch (codes[c]) {
          case "double":
            data[c].putDouble(missing ? 0 : row.getDouble(c));
            break;
          case "long":
            data[c].putLong(missing ? 0 : row.getLong(c));
            break;
          case "timestamp":
            data[c].putDouble(missing ? 0 : row.getLong(c) / 1e6);
            break;
          case "integer":
          case "date":
            data[c].putInt(missing ? 0 : row.getInt(c));
            break;
          case "logical":
            data[c].put((byte) (!missing && row.getBoolean(c) ? 1 : 0));
            break;
          case "string":
          case "binary":
            if (!missing) {
              // R strings cannot hold NUL; it would also end the value early on the R side.
              data[c].putBytes(row.getString(c).replace('\0', '\uFFFD').getBytes(StandardCharsets.UTF_8));
            }
            data[c].put((byte) 0);
            break;
          default:
            throw new IllegalArgumentException("unknown column code \"" + codes[c] + "\"");
        }
      }
      count++;
    }
    byte[][] dataBytes = new byte[codes.length][];
    byte[][] nullBytes = new byte[codes.length][];
    for (int c = 0; c < codes.length; c++) {
      dataBytes[c] = data[c].toArray();
      nullBytes[c] = anyNull[c] ? nulls[c].toArray() : new byte[0];
    }
    return new ColumnChunk(codes, dataBytes, nullBytes, count);
  }

  /**
   * Decodes this chunk into rows with the Spark types of {@link ColumnarWriter}'s raw schema:
   * Double, Long, Integer (also dates as days), Boolean, String (also binary values in base64),
   * and Long microseconds for timestamps.
   */
  Iterator<Row> decode() {
    ByteBuffer[] buffers = new ByteBuffer[codes.length];
    int[][] offsets = new int[codes.length][];
    for (int c = 0; c < codes.length; c++) {
      buffers[c] = ByteBuffer.wrap(data[c]).order(ByteOrder.LITTLE_ENDIAN);
      if (width(codes[c]) == 0) {
        offsets[c] = stringOffsets(data[c], rows);
      }
    }
    List<Row> out = new ArrayList<>(rows);
    for (int r = 0; r < rows; r++) {
      Object[] values = new Object[codes.length];
      for (int c = 0; c < codes.length; c++) {
        boolean missing = nulls[c].length != 0 && nulls[c][r] != 0;
        ByteBuffer buffer = buffers[c];
        switch (codes[c]) {
          case "double":
            double value = buffer.getDouble(r * 8);
            values[c] = missing ? null : value;
            break;
          case "long":
            long whole = buffer.getLong(r * 8);
            values[c] = missing ? null : whole;
            break;
          case "timestamp":
            double seconds = buffer.getDouble(r * 8);
            values[c] = missing ? null : Math.round(seconds * 1e6);
            break;
          case "integer":
          case "date":
            int number = buffer.getInt(r * 4);
            values[c] = missing ? null : number;
            break;
          case "logical":
            values[c] = missing ? null : data[c][r] != 0;
            break;
          case "string":
          case "binary":
            values[c] = missing ? null : new String(data[c], offsets[c][r], offsets[c][r + 1] - offsets[c][r] - 1, StandardCharsets.UTF_8);
            break;
          default:
            throw new IllegalArgumentException("unknown column code \"" + codes[c] + "\"");
        }
      }
      out.add(RowFactory.create(values));
    }
    return out.iterator();
  }

  /** A byte array that grows as values are appended, little-endian. */
  private static final class GrowingBytes {
    private byte[] bytes = new byte[1024];
    private int size;

    private void ensure(int more) {
      if (size + more > bytes.length) {
        bytes = Arrays.copyOf(bytes, Math.max(bytes.length * 2, size + more));
      }
    }

    void put(byte value) {
      ensure(1);
      bytes[size++] = value;
    }

    void putInt(int value) {
      ensure(4);
      for (int i = 0; i < 4; i++) {
        bytes[size++] = (byte) (value >>> (8 * i));
      }
    }

    void putDouble(double value) {
      putLong(Double.doubleToRawLongBits(value));
    }

    void putLong(long value) {
      ensure(8);
      for (int i = 0; i < 8; i++) {
        bytes[size++] = (byte) (value >>> (8 * i));
      }
    }

    void putBytes(byte[] value) {
      ensure(value.length);
      System.arraycopy(value, 0, bytes, size, value.length);
      size += value.length;
    }

    byte[] toArray() {
      return Arrays.copyOf(bytes, size);
    }
  }
}
