package dev.lanyard.tls.workloadapi;

import static org.assertj.core.api.Assertions.assertThat;

import com.twitter.hpack.Encoder;
import java.io.ByteArrayOutputStream;
import java.net.StandardProtocolFamily;
import java.net.URI;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * GOAWAY with a last stream ID below an open call, from a scripted HTTP/2 server on a real unix
 * socket (grpc-java's server, in {@link WorkloadApiClientTest}, only sends GOAWAY for all
 * streams): the call above it ends UNAVAILABLE naming the GOAWAY, the call below it runs on, and
 * the next call opens a new connection.
 */
class WorkloadApiClientGoAwayTest {
  private static final ThreadFactory THREADS = runnable -> {
    Thread thread = new Thread(runnable, "test-workload-api-io");
    thread.setDaemon(true);
    return thread;
  };

  @Test
  void streamsAboveTheLastStreamIdFailAndTheNextCallGetsANewConnection(@TempDir Path dir)
      throws Exception {
    Path socket = dir.resolve("api.sock");
    try (ServerSocketChannel server = ServerSocketChannel.open(StandardProtocolFamily.UNIX);
        WorkloadApiClient client = WorkloadApiClient.create(URI.create("unix://" + socket),
            THREADS)) {
      server.bind(UnixDomainSocketAddress.of(socket));
      Recorder first = new Recorder();
      Recorder second = new Recorder();
      client.watchX509(first);
      client.watchX509(second);

      try (SocketChannel connection = server.accept()) {
        Http2FrameReader frames = new Http2FrameReader(connection, 1 << 20, "the client");
        byte[] preface = new byte[24];
        connection.read(ByteBuffer.wrap(preface));
        assertThat(new String(preface, StandardCharsets.US_ASCII))
            .isEqualTo("PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n");
        awaitHeaders(frames, 3);
        Encoder hpack = new Encoder(4096);
        write(connection, Http2Frames.settings());
        write(connection, Http2Frames.goAway(1, Http2ErrorCodes.NO_ERROR, "draining"));
        assertThat(second.closed.get(10, TimeUnit.SECONDS).toString()).isEqualTo("UNAVAILABLE:"
            + " the Workload API at " + socket + " is going away (HTTP/2 GOAWAY NO_ERROR, last"
            + " stream 1, draining)");

        // Stream 1 is below the last stream ID: it still gets its answer.
        write(connection, Http2Frames.headers(1, block(hpack, ":status", "200", "content-type",
            "application/grpc"), false, 16_384));
        byte[] update = GrpcDeframer.frame(
            dev.lanyard.tls.workloadapi.proto.Workload.X509SVIDResponse.getDefaultInstance()
                .toByteArray());
        write(connection, Http2Frames.data(1, update, 0, update.length, false));
        await(() -> first.updates.size() == 1);
        assertThat(first.closed).isNotDone();

        // The next call may not go on the going-away connection: a new one is opened.
        client.watchX509(new Recorder());
        try (SocketChannel next = server.accept()) {
          byte[] again = new byte[24];
          next.read(ByteBuffer.wrap(again));
          assertThat(again).isEqualTo(preface);
          Http2Frame headers = awaitHeaders(new Http2FrameReader(next, 1 << 20, "the client"), 1);
          assertThat(headers.streamId).as("stream IDs start again on a new connection").isEqualTo(1);
        }
        assertThat(first.closed).isNotDone();
      }
    }
  }

  /** Reads frames until the HEADERS of {@code streamId}. */
  private static Http2Frame awaitHeaders(Http2FrameReader frames, int streamId) throws Exception {
    for (Http2Frame frame = frames.read(); frame != null; frame = frames.read()) {
      if (frame.type == Http2Frame.HEADERS && frame.streamId == streamId) {
        return frame;
      }
    }
    throw new AssertionError("the connection ended before the HEADERS of stream " + streamId);
  }

  private static void write(SocketChannel connection, byte[] bytes) throws Exception {
    ByteBuffer buffer = ByteBuffer.wrap(bytes);
    while (buffer.hasRemaining()) {
      connection.write(buffer);
    }
  }

  private static byte[] block(Encoder hpack, String... namesAndValues) throws Exception {
    ByteArrayOutputStream block = new ByteArrayOutputStream();
    for (int i = 0; i < namesAndValues.length; i += 2) {
      hpack.encodeHeader(block, namesAndValues[i].getBytes(StandardCharsets.ISO_8859_1),
          namesAndValues[i + 1].getBytes(StandardCharsets.ISO_8859_1), false);
    }
    return block.toByteArray();
  }

  private static void await(java.util.function.BooleanSupplier condition) throws Exception {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
    while (!condition.getAsBoolean()) {
      if (System.nanoTime() > deadline) {
        throw new AssertionError("not within 10 s");
      }
      Thread.sleep(10);
    }
  }

  private static final class Recorder implements WorkloadApiClient.X509Listener {
    final List<Object> updates = new CopyOnWriteArrayList<>();
    final CompletableFuture<GrpcStatus> closed = new CompletableFuture<>();

    @Override
    public void onUpdate(dev.lanyard.tls.workloadapi.proto.Workload.X509SVIDResponse update) {
      updates.add(update);
    }

    @Override
    public void onUndecodable(com.google.protobuf.InvalidProtocolBufferException error) {
      updates.add(error);
    }

    @Override
    public void onClose(GrpcStatus status) {
      closed.complete(status);
    }
  }
}
