package dev.lanyard.tls.workloadapi;

import com.twitter.hpack.Decoder;
import com.twitter.hpack.Encoder;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.List;

/**
 * HPACK (RFC 7541) for one connection, with Twitter's hpack library (the implementation Netty's
 * own codec started from). Requests are encoded without the dynamic table (they are a few short
 * headers; no table means no table-size signalling to track). Responses are decoded with the
 * default 4 KiB table; a block that is not valid HPACK, or stops inside a field, is a
 * COMPRESSION_ERROR for the connection, since the decoder's table can no longer be trusted.
 */
final class Hpack {
  static final int DEFAULT_TABLE_SIZE = 4096;

  private final Encoder encoder = new Encoder(0);
  private final Decoder decoder;
  /** Who sends the header blocks, for the refusals. */
  private final String peer;

  Hpack(int maxHeaderListSize) {
    this(maxHeaderListSize, "the Workload API");
  }

  Hpack(int maxHeaderListSize, String peer) {
    this.decoder = new Decoder(maxHeaderListSize, DEFAULT_TABLE_SIZE);
    this.peer = peer;
  }

  /** {@code namesAndValues} (name, value, ...), pseudo-headers first, as one header block. */
  byte[] encode(List<String> namesAndValues) {
    ByteArrayOutputStream block = new ByteArrayOutputStream(256);
    try {
      for (int i = 0; i < namesAndValues.size(); i += 2) {
        encoder.encodeHeader(block, namesAndValues.get(i).getBytes(StandardCharsets.ISO_8859_1),
            namesAndValues.get(i + 1).getBytes(StandardCharsets.ISO_8859_1), false);
      }
    } catch (IOException e) {
      throw new IllegalStateException("writing to memory failed", e);
    }
    return block.toByteArray();
  }

  /** One whole header block (HEADERS and its CONTINUATIONs joined). */
  HeaderList decode(byte[] block) throws Http2ProtocolException {
    HeaderList headers = new HeaderList();
    ByteArrayInputStream in = new ByteArrayInputStream(block);
    try {
      decoder.decode(in, (name, value, sensitive) -> headers.add(
          new String(name, StandardCharsets.ISO_8859_1),
          new String(value, StandardCharsets.ISO_8859_1)));
    } catch (IOException e) {
      decoder.endHeaderBlock();
      throw new Http2ProtocolException(Http2ErrorCodes.COMPRESSION_ERROR,
          peer + " sent a header block that is not valid HPACK (" + e.getMessage() + ")");
    }
    boolean truncated = decoder.endHeaderBlock();
    if (in.available() > 0) {
      throw new Http2ProtocolException(Http2ErrorCodes.COMPRESSION_ERROR, peer + " sent"
          + " a header block that ends inside a field (" + in.available() + " bytes left)");
    }
    headers.truncated(truncated);
    return headers;
  }
}
