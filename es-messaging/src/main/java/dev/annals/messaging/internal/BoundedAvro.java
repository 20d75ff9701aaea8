package dev.annals.messaging.internal;

import java.io.ByteArrayInputStream;
import java.io.EOFException;
import java.io.IOException;
import org.apache.avro.Schema;
import org.apache.avro.generic.GenericData;
import org.apache.avro.generic.GenericDatumReader;
import org.apache.avro.io.DecoderFactory;

/**
 * Reads Avro binary data that arrived from outside without trusting its lengths. Avro's reader
 * allocates what a string or bytes value claims before reading it, so eight forged bytes can ask
 * for a gigabyte. Here the data is first skipped through, which moves past each value without
 * allocating it and fails on a claim longer than what is left; only data that holds together
 * is then read, and the whole input must be used. Shared by the Avro CloudEvent format and the
 * payload schemas; not an API for applications. Thread-safe.
 */
public final class BoundedAvro {

  private BoundedAvro() {}

  /**
   * The datum {@code data} holds, written with {@code schema}.
   *
   * @throws IOException if the data is cut short, claims more than it holds, or has bytes left over
   */
  public static Object read(Schema schema, byte[] data) throws IOException {
    ByteArrayInputStream in = new ByteArrayInputStream(data);
    try {
      // The direct decoder reads no further ahead than asked, so available() is what is left.
      GenericDatumReader.skip(schema, DecoderFactory.get().directBinaryDecoder(in, null));
    } catch (EOFException e) {
      throw new EOFException("the data claims more bytes than the " + data.length + " it has");
    }
    if (in.available() > 0) {
      throw new IOException(in.available() + " bytes left over after the Avro data");
    }
    return new Reader(schema, data.length).read(null, DecoderFactory.get().binaryDecoder(data, null));
  }

  /** Also caps the room made up front for an array or map at the size of the data. */
  private static final class Reader extends GenericDatumReader<Object> {
    private final int size;

    Reader(Schema schema, int size) {
      super(schema, schema, GenericData.get());
      this.size = size;
    }

    @Override
    protected Object newArray(Object old, int count, Schema schema) {
      return super.newArray(old, Math.min(count, size), schema);
    }

    @Override
    protected Object newMap(Object old, int count) {
      return super.newMap(old, Math.min(count, size));
    }
  }
}
