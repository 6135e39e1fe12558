package org.sparkrstudioshiny.srspark;

import java.io.IOException;
import java.io.Serializable;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Iterator;
import java.util.List;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.catalyst.InternalRow;
import org.apache.spark.sql.catalyst.expressions.SpecificInternalRow;
import org.apache.spark.sql.types.StructType;
import org.apache.spark.unsafe.Platform;
import org.apache.spark.unsafe.types.UTF8String;

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

  /**
   * Writes this chunk to the file {@code path} for R, column after column: the values, then the
   * mask, each as a block ({@link #writeBlock}). R hands the driver a path in its own temporary
   * directory (mode 0700; the driver is R's child process, the same user): one write and one
   * read, where a byte array through py4j travels as base64 text.
   */
  public void writeTo(String path) throws IOException {
    try (FileChannel out =
        FileChannel.open(
            Path.of(path),
            StandardOpenOption.WRITE,
            StandardOpenOption.CREATE,
            StandardOpenOption.TRUNCATE_EXISTING)) {
      for (int c = 0; c < codes.length; c++) {
        writeBlock(out, data[c]);
        writeBlock(out, nulls[c]);
      }
    }
  }

  /** One block: its length as a 4-byte little-endian int, then its bytes. */
  private static void writeBlock(FileChannel out, byte[] bytes) throws IOException {
    ByteBuffer length = ByteBuffer.allocate(4).order(ByteOrder.LITTLE_ENDIAN).putInt(bytes.length);
    length.flip();
    ByteBuffer body = ByteBuffer.wrap(bytes);
    while (length.hasRemaining() || body.hasRemaining()) {
      out.write(new ByteBuffer[] {length, body});
    }
  }

  /** The blocks of the file {@code path}, as {@link #writeBlock} wrote them (R writes the same). */
  static List<byte[]> readBlocks(String path) throws IOException {
    ByteBuffer file =
        ByteBuffer.wrap(Files.readAllBytes(Path.of(path))).order(ByteOrder.LITTLE_ENDIAN);
    List<byte[]> blocks = new ArrayList<>();
    while (file.hasRemaining()) {
      int length = file.remaining() >= 4 ? file.getInt() : -1;
      if (length < 0 || length > file.remaining()) {
        throw new IllegalArgumentException("the column file " + path + " is cut short");
      }
      byte[] block = new byte[length];
      file.get(block);
      blocks.add(block);
    }
    return blocks;
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
   * timestamps as long microseconds. The rows are Spark's own (a query's {@code toRdd}): no value
   * is boxed, and text goes from Spark's UTF-8 bytes to the chunk's without a Java string.
   */
  static ColumnChunk encode(Iterator<InternalRow> rows, String[] codes) {
    int columns = codes.length;
    int[] kinds = new int[columns];
    GrowingBytes[] data = new GrowingBytes[columns];
    GrowingBytes[] nulls = new GrowingBytes[columns];
    boolean[] anyNull = new boolean[columns];
    for (int c = 0; c < columns; c++) {
      kinds[c] = kind(codes[c]);
      data[c] = new GrowingBytes();
      nulls[c] = new GrowingBytes();
    }
    int count = 0;
    while (rows.hasNext()) {
      InternalRow row = rows.next();
      for (int c = 0; c < columns; c++) {
        boolean missing = row.isNullAt(c);
        nulls[c].put((byte) (missing ? 1 : 0));
        anyNull[c] |= missing;
        GrowingBytes out = data[c];
        switch (kinds[c]) {
          case DOUBLE -> out.putLong(missing ? 0 : Double.doubleToRawLongBits(row.getDouble(c)));
          case LONG -> out.putLong(missing ? 0 : row.getLong(c));
          case TIMESTAMP ->
              out.putLong(missing ? 0 : Double.doubleToRawLongBits(row.getLong(c) / 1e6));
          case INTEGER -> out.putInt(missing ? 0 : row.getInt(c));
          case LOGICAL -> out.put((byte) (!missing && row.getBoolean(c) ? 1 : 0));
          default -> {
            if (!missing) {
              out.putText(row.getUTF8String(c));
            }
            out.put((byte) 0);
          }
        }
      }
      count++;
    }
    byte[][] dataBytes = new byte[columns][];
    byte[][] nullBytes = new byte[columns][];
    for (int c = 0; c < columns; c++) {
      dataBytes[c] = data[c].toArray();
      nullBytes[c] = anyNull[c] ? nulls[c].toArray() : new byte[0];
    }
    return new ColumnChunk(codes, dataBytes, nullBytes, count);
  }

  private static final int DOUBLE = 0;
  private static final int LONG = 1;
  private static final int TIMESTAMP = 2;
  private static final int INTEGER = 3;
  private static final int LOGICAL = 4;
  private static final int TEXT = 5;

  /** A code as the number encode() switches on. */
  private static int kind(String code) {
    return switch (code) {
      case "double" -> DOUBLE;
      case "long" -> LONG;
      case "timestamp" -> TIMESTAMP;
      case "integer", "date" -> INTEGER;
      case "logical" -> LOGICAL;
      case "string", "binary" -> TEXT;
      default -> throw new IllegalArgumentException("unknown column code \"" + code + "\"");
    };
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

  /**
   * Decodes this chunk into Spark's own rows, with the types of {@link ColumnarWriter}'s raw
   * schema ({@code types}): what {@link #decode()} gives, without a boxed value, a Java string or
   * Spark's conversion of external rows. One mutable row is filled again for each row (Spark's
   * scan of an RDD copies each row into its own format before it asks for the next), and each
   * text value points into this chunk's bytes.
   */
  Iterator<InternalRow> decodeInternal(StructType types) {
    int columns = codes.length;
    int[] kinds = new int[columns];
    int[][] offsets = new int[columns][];
    for (int c = 0; c < columns; c++) {
      kinds[c] = kind(codes[c]);
      if (kinds[c] == TEXT) {
        offsets[c] = stringOffsets(data[c], rows);
      }
    }
    SpecificInternalRow row = new SpecificInternalRow(types);
    return new Iterator<InternalRow>() {
      private int r;

      @Override
      public boolean hasNext() {
        return r < rows;
      }

      @Override
      public InternalRow next() {
        if (r >= rows) {
          throw new java.util.NoSuchElementException();
        }
        for (int c = 0; c < columns; c++) {
          if (nulls[c].length != 0 && nulls[c][r] != 0) {
            row.setNullAt(c);
            continue;
          }
          byte[] bytes = data[c];
          switch (kinds[c]) {
            case DOUBLE ->
                row.setDouble(c, Double.longBitsToDouble((long) LONG_VIEW.get(bytes, r * 8)));
            case LONG -> row.setLong(c, (long) LONG_VIEW.get(bytes, r * 8));
            case TIMESTAMP -> {
              double seconds = Double.longBitsToDouble((long) LONG_VIEW.get(bytes, r * 8));
              row.setLong(c, Math.round(seconds * 1e6));
            }
            case INTEGER -> row.setInt(c, (int) INT_VIEW.get(bytes, r * 4));
            case LOGICAL -> row.setBoolean(c, bytes[r] != 0);
            default -> {
              int from = offsets[c][r];
              row.update(c, UTF8String.fromBytes(bytes, from, offsets[c][r + 1] - from - 1));
            }
          }
        }
        r++;
        return row;
      }
    };
  }

  /** Little-endian ints and longs in a byte array: decodeInternal reads, GrowingBytes writes. */
  private static final VarHandle INT_VIEW =
      MethodHandles.byteArrayViewVarHandle(int[].class, ByteOrder.LITTLE_ENDIAN);
  private static final VarHandle LONG_VIEW =
      MethodHandles.byteArrayViewVarHandle(long[].class, ByteOrder.LITTLE_ENDIAN);

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
      INT_VIEW.set(bytes, size, value);
      size += 4;
    }

    void putLong(long value) {
      ensure(8);
      LONG_VIEW.set(bytes, size, value);
      size += 8;
    }

    /**
     * A text value's UTF-8 bytes. R strings cannot hold NUL, which would also end the value early
     * on the R side: a NUL (in UTF-8 only ever the byte 0) becomes U+FFFD.
     */
    void putText(UTF8String text) {
      int length = text.numBytes();
      ensure(length);
      text.writeToMemory(bytes, Platform.BYTE_ARRAY_OFFSET + size);
      for (int i = size; i < size + length; i++) {
        if (bytes[i] == 0) {
          putBytes(text.toString().replace('\0', '\uFFFD').getBytes(StandardCharsets.UTF_8));
          return;
        }
      }
      size += length;
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
