package dev.lanyard.tls.workloadapi;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;

/** gRPC's message framing, status trailers and timeout header, as this client reads and writes them. */
class GrpcFramingTest {

  @Test
  void messagesCutAtEveryPossiblePlaceComeOutWhole() throws Exception {
    byte[] first = "first message".getBytes();
    byte[] empty = new byte[0];
    byte[] third = new byte[70_000]; // longer than one HTTP/2 DATA frame
    Arrays.fill(third, (byte) 7);
    ByteArrayOutputStream body = new ByteArrayOutputStream();
    body.write(GrpcDeframer.frame(first));
    body.write(GrpcDeframer.frame(empty));
    body.write(GrpcDeframer.frame(third));
    byte[] bytes = body.toByteArray();

    for (int piece : new int[] {1, 2, 4, 5, 6, 13, 4096, bytes.length}) {
      GrpcDeframer deframer = new GrpcDeframer(GrpcDeframer.DEFAULT_MAX_MESSAGE);
      List<byte[]> messages = new ArrayList<>();
      for (int at = 0; at < bytes.length; at += piece) {
        messages.addAll(deframer.feed(ByteBuffer.wrap(bytes, at,
            Math.min(piece, bytes.length - at))));
      }
      assertThat(messages).as("pieces of %d", piece).containsExactly(first, empty, third);
      assertThat(deframer.atMessageBoundary()).isTrue();
    }
  }

  @Test
  void aBodyCutInsideAMessageIsNotAtABoundary() throws Exception {
    GrpcDeframer deframer = new GrpcDeframer(100);
    byte[] framed = GrpcDeframer.frame("abc".getBytes());
    assertThat(deframer.feed(ByteBuffer.wrap(framed, 0, 6))).isEmpty();
    assertThat(deframer.atMessageBoundary()).isFalse();
  }

  @Test
  void aMessageOverTheLimitIsRefusedBeforeItIsBuffered() {
    GrpcDeframer deframer = new GrpcDeframer(1024);
    byte[] header = {0, 0x7f, (byte) 0xff, (byte) 0xff, (byte) 0xff};
    assertThatThrownBy(() -> deframer.feed(ByteBuffer.wrap(header)))
        .isInstanceOf(WorkloadApiException.class)
        .hasMessage("RESOURCE_EXHAUSTED: the Workload API sent a message of 2147483647 bytes;"
            + " the limit is 1024 bytes");
  }

  @Test
  void aCompressedMessageIsRefused() {
    GrpcDeframer deframer = new GrpcDeframer(1024);
    byte[] framed = GrpcDeframer.frame("abc".getBytes());
    framed[0] = 1;
    assertThatThrownBy(() -> deframer.feed(ByteBuffer.wrap(framed)))
        .isInstanceOf(WorkloadApiException.class)
        .hasMessage("INTERNAL: the Workload API sent a message with compressed flag 1; this"
            + " client accepts only uncompressed messages (flag 0)");
  }

  @Test
  void trailersReadAsGrpcPrintsThem() {
    assertThat(GrpcStatus.fromTrailers("7", "no identity issued").toString())
        .isEqualTo("PERMISSION_DENIED: no identity issued");
    assertThat(GrpcStatus.fromTrailers("0", null).isOk()).isTrue();
    assertThat(GrpcStatus.fromTrailers("14", "connection%20refused%3A%20%E2%9C%93").toString())
        .isEqualTo("UNAVAILABLE: connection refused: \u2713");
    assertThat(GrpcStatus.fromTrailers("3", "100%").description()).isEqualTo("100%");
    assertThat(GrpcStatus.fromTrailers(null, "x").toString())
        .isEqualTo("UNKNOWN: the response has no grpc-status (grpc-message: x)");
    assertThat(GrpcStatus.fromTrailers("seven", null).toString())
        .isEqualTo("UNKNOWN: grpc-status \"seven\" is not a number");
    assertThat(GrpcStatus.fromTrailers("99", null).toString()).isEqualTo("CODE_99");
  }

  @Test
  void timeoutsUseAtMostEightDigits() {
    assertThat(GrpcTimeout.encode(5_000_000L)).isEqualTo("5000000n");
    assertThat(GrpcTimeout.encode(10_000_000_000L)).isEqualTo("10000000u");
    assertThat(GrpcTimeout.encode(1_000_000_000_000L)).isEqualTo("1000000m");
    assertThat(GrpcTimeout.encode(Long.MAX_VALUE)).matches("[0-9]{1,8}[SH]");
    assertThat(GrpcTimeout.encode(0)).isEqualTo("1n");
  }
}
